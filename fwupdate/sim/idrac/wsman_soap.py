"""SOAP 1.2 / WS-Management wire format of the simulated iDRAC (stdlib only).

Parses the requests a WS-Man client sends to `/wsman` (Enumerate, Pull, Get, Invoke, Identify) and
builds answers shaped like iDRAC7/8 replies (idrac-wsman.md §1): the `n1` namespace echoes the
resource URI of the request, Enumerate answers carry `wsman:Items`, Pull answers `wsen:Items`, a
finished enumeration carries `wsman:EndOfSequence` next to an empty `wsen:EnumerationContext`,
method answers are `n1:<Method>_OUTPUT` with ReturnValue/Message/MessageID and job references as
`wsa:EndpointReference` with an `InstanceID` selector (plus `__cimnamespace`).

The simulator may not import the clients (or lxml), so this is a separate, independent encoding
of the same facts; the tests check that both sides agree over real HTTPS.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # input: our own clients; DTDs refused below
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS_S = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSEN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_WXF = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
ANONYMOUS = f"{NS_WSA}/role/anonymous"

ACTION_ENUMERATE = f"{NS_WSEN}/Enumerate"
ACTION_PULL = f"{NS_WSEN}/Pull"
ACTION_GET = f"{NS_WXF}/Get"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

# Both resource-URI forms are accepted (idrac-wsman.md §2.1).
URI_PREFIXES = (
    "http://schemas.dell.com/wbem/wscim/1/cim-schema/2/",
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/root/dcim/",
)

Value = str | None | Sequence[str]


class SoapRequestError(ValueError):
    """The request is not a usable WS-Man envelope (answered with a Sender fault)."""

    def __init__(self, subcode: str, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason
        self.detail = detail


@dataclass
class EndpointRefParam:
    resource_uri: str
    selectors: dict[str, str]


@dataclass
class WsmanRequest:
    action: str
    resource_uri: str
    class_name: str  # DCIM class named by the resource URI ('' when none)
    message_id: str
    selectors: dict[str, str]
    body: ET.Element | None
    # Invoke
    method: str | None = None
    params: dict[str, list[str]] = field(default_factory=dict)
    refs: dict[str, EndpointRefParam] = field(default_factory=dict)
    # Enumerate / Pull
    max_elements: int | None = None
    optimize: bool = False
    context: str | None = None

    @property
    def kind(self) -> str:
        if self.action == ACTION_ENUMERATE:
            return "enumerate"
        if self.action == ACTION_PULL:
            return "pull"
        if self.action == ACTION_GET:
            return "get"
        if self.body is not None and _local(self.body.tag) == "Identify":
            return "identify"
        return "invoke" if self.method else "unknown"

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def class_of(resource_uri: str) -> str:
    for prefix in URI_PREFIXES:
        if resource_uri.startswith(prefix):
            return resource_uri[len(prefix) :].split("?", 1)[0]
    return ""


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _max_elements(el: ET.Element) -> int | None:
    for child in el:
        if _local(child.tag) == "MaxElements":
            text = _text(child)
            if not text.isdigit() or int(text) < 1:
                raise SoapRequestError("wsman:InvalidParameter", "MaxElements must be >= 1")
            return int(text)
    return None


def parse_request(data: bytes) -> WsmanRequest:
    """Parse a request envelope; SoapRequestError for anything that is not WS-Man."""
    if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data:
        raise SoapRequestError("wsman:InvalidParameter", "DTDs are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise SoapRequestError("wsman:SchemaValidationError", f"malformed XML: {exc}") from None
    if root.tag != _q(NS_S, "Envelope"):
        raise SoapRequestError("wsman:SchemaValidationError", "not a SOAP 1.2 envelope")
    header = root.find(_q(NS_S, "Header"))
    body_el = root.find(_q(NS_S, "Body"))
    if header is None or body_el is None:
        raise SoapRequestError("wsman:SchemaValidationError", "the envelope needs Header and Body")
    action = _text(header.find(_q(NS_WSA, "Action")))
    resource_uri = _text(header.find(_q(NS_WSMAN, "ResourceURI")))
    message_id = _text(header.find(_q(NS_WSA, "MessageID")))
    selectors: dict[str, str] = {}
    sset = header.find(_q(NS_WSMAN, "SelectorSet"))
    if sset is not None:
        for sel in sset.findall(_q(NS_WSMAN, "Selector")):
            selectors[sel.get("Name", "")] = _text(sel)
    first = next(iter(body_el), None)
    req = WsmanRequest(
        action=action,
        resource_uri=resource_uri,
        class_name=class_of(resource_uri),
        message_id=message_id,
        selectors=selectors,
        body=first,
    )
    if first is not None and _local(first.tag) == "Identify":
        return req
    if not action:
        raise SoapRequestError("wsa:MessageInformationHeaderRequired", "no wsa:Action header")
    if action == ACTION_ENUMERATE:
        if first is None or _local(first.tag) != "Enumerate":
            raise SoapRequestError("wsman:SchemaValidationError", "Enumerate body missing")
        req.max_elements = _max_elements(first)
        req.optimize = any(_local(c.tag) == "OptimizeEnumeration" for c in first)
    elif action == ACTION_PULL:
        if first is None or _local(first.tag) != "Pull":
            raise SoapRequestError("wsman:SchemaValidationError", "Pull body missing")
        req.max_elements = _max_elements(first)
        req.context = _text(first.find(_q(NS_WSEN, "EnumerationContext")))
    elif action != ACTION_GET and resource_uri and action.startswith(resource_uri + "/"):
        req.method = action[len(resource_uri) + 1 :]
        if first is not None:
            if _local(first.tag) != f"{req.method}_INPUT":
                raise SoapRequestError(
                    "wsman:InvalidParameter",
                    f"the body must be {req.method}_INPUT",
                )
            for child in first:
                name = _local(child.tag)
                ref_params = child.find(_q(NS_WSA, "ReferenceParameters"))
                if ref_params is None:
                    epr = child.find(_q(NS_WSA, "EndpointReference"))
                    if epr is not None:
                        ref_params = epr.find(_q(NS_WSA, "ReferenceParameters"))
                if ref_params is not None:
                    ref_sel: dict[str, str] = {}
                    rs = ref_params.find(_q(NS_WSMAN, "SelectorSet"))
                    if rs is not None:
                        for sel in rs.findall(_q(NS_WSMAN, "Selector")):
                            ref_sel[sel.get("Name", "")] = _text(sel)
                    req.refs[name] = EndpointRefParam(
                        _text(ref_params.find(_q(NS_WSMAN, "ResourceURI"))), ref_sel
                    )
                else:
                    req.params.setdefault(name, []).append(_text(child))
    return req


# --- answers -----------------------------------------------------------------------------------


def _envelope(action: str, relates_to: str, body: str, extra_ns: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{NS_S}" xmlns:wsa="{NS_WSA}" xmlns:wsman="{NS_WSMAN}" '
        f'xmlns:wsen="{NS_WSEN}" xmlns:xsi="{NS_XSI}"{extra_ns}>'
        "<s:Header>"
        f"<wsa:To>{ANONYMOUS}</wsa:To>"
        f"<wsa:Action>{escape(action)}</wsa:Action>"
        f"<wsa:RelatesTo>{escape(relates_to)}</wsa:RelatesTo>"
        f"<wsa:MessageID>uuid:{uuid.uuid4()}</wsa:MessageID>"
        "</s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _props(values: Mapping[str, Value], prefix: str = "n1") -> str:
    out: list[str] = []
    for name, value in values.items():
        if value is None:
            out.append(f'<{prefix}:{name} xsi:nil="true"/>')
        elif isinstance(value, str):
            out.append(f"<{prefix}:{name}>{escape(value)}</{prefix}:{name}>")
        else:
            out.extend(f"<{prefix}:{name}>{escape(v)}</{prefix}:{name}>" for v in value)
    return "".join(out)


@dataclass(frozen=True)
class SimInstance:
    class_name: str
    properties: Mapping[str, Value]

    def xml(self) -> str:
        return f"<n1:{self.class_name}>{_props(self.properties)}</n1:{self.class_name}>"


def _n1(resource_uri: str) -> str:
    return f" xmlns:n1={quoteattr(resource_uri)}"


def enumerate_response(
    req: WsmanRequest, items: Iterable[SimInstance], context: str | None
) -> bytes:
    inner = "".join(i.xml() for i in items)
    tail = (
        f"<wsen:EnumerationContext>{escape(context)}</wsen:EnumerationContext>"
        if context
        else "<wsen:EnumerationContext/><wsman:EndOfSequence/>"
    )
    body = (
        f"<wsen:EnumerateResponse><wsman:Items>{inner}</wsman:Items>{tail}"
        "</wsen:EnumerateResponse>"
    )
    return _envelope(f"{NS_WSEN}/EnumerateResponse", req.message_id, body, _n1(req.resource_uri))


def enumerate_context_only(req: WsmanRequest, context: str) -> bytes:
    """Without OptimizeEnumeration only a context comes back (§1.4)."""
    body = (
        "<wsen:EnumerateResponse>"
        f"<wsen:EnumerationContext>{escape(context)}</wsen:EnumerationContext>"
        "</wsen:EnumerateResponse>"
    )
    return _envelope(f"{NS_WSEN}/EnumerateResponse", req.message_id, body, _n1(req.resource_uri))


def pull_response(req: WsmanRequest, items: Iterable[SimInstance], context: str | None) -> bytes:
    inner = "".join(i.xml() for i in items)
    tail = (
        f"<wsen:EnumerationContext>{escape(context)}</wsen:EnumerationContext>"
        if context
        else "<wsen:EnumerationContext/><wsen:EndOfSequence/>"
    )
    body = f"<wsen:PullResponse><wsen:Items>{inner}</wsen:Items>{tail}</wsen:PullResponse>"
    return _envelope(f"{NS_WSEN}/PullResponse", req.message_id, body, _n1(req.resource_uri))


def get_response(req: WsmanRequest, item: SimInstance) -> bytes:
    return _envelope(f"{NS_WXF}/GetResponse", req.message_id, item.xml(), _n1(req.resource_uri))


def job_reference(job_id: str, resource_uri: str) -> str:
    return (
        "<wsa:EndpointReference>"
        f"<wsa:Address>{ANONYMOUS}</wsa:Address>"
        "<wsa:ReferenceParameters>"
        f"<wsman:ResourceURI>{escape(resource_uri)}</wsman:ResourceURI>"
        "<wsman:SelectorSet>"
        f'<wsman:Selector Name="InstanceID">{escape(job_id)}</wsman:Selector>'
        '<wsman:Selector Name="__cimnamespace">root/dcim</wsman:Selector>'
        "</wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>"
    )


def method_response(
    req: WsmanRequest,
    *,
    return_value: int | None,
    message: str | None = None,
    message_id: str | None = None,
    outputs: Mapping[str, Value] | None = None,
    job: tuple[str, str, str] | None = None,  # (output name, job id, job class resource URI)
) -> bytes:
    """`n1:<Method>_OUTPUT`; `return_value=None` omits ReturnValue (a real firmware quirk)."""
    method = req.method or "Unknown"
    parts: list[str] = []
    if job is not None:
        name, jid, uri = job
        parts.append(f"<n1:{name}>{job_reference(jid, uri)}</n1:{name}>")
    values: dict[str, Value] = dict(outputs or {})
    if message is not None:
        values["Message"] = message
    if message_id is not None:
        values["MessageID"] = message_id
    parts.append(_props(values))
    if return_value is not None:
        parts.append(f"<n1:ReturnValue>{return_value}</n1:ReturnValue>")
    body = f"<n1:{method}_OUTPUT>{''.join(parts)}</n1:{method}_OUTPUT>"
    return _envelope(f"{req.resource_uri}/{method}Response", req.message_id, body,
                     _n1(req.resource_uri))


def identify_response(req: WsmanRequest, product_version: str, firmware: str) -> bytes:
    body = (
        f'<wsmid:IdentifyResponse xmlns:wsmid="{NS_WSMID}">'
        f"<wsmid:ProtocolVersion>{NS_WSMAN}</wsmid:ProtocolVersion>"
        "<wsmid:ProductVendor>Dell, Inc.</wsmid:ProductVendor>"
        f"<wsmid:ProductVersion>{escape(product_version)}</wsmid:ProductVersion>"
        f"<wsmid:FirmwareVersion>{escape(firmware)}</wsmid:FirmwareVersion>"
        "</wsmid:IdentifyResponse>"
    )
    return _envelope(f"{NS_WSMID}/IdentifyResponse", req.message_id, body)


def fault_response(
    relates_to: str, code: str, subcode: str, reason: str, detail: str | None = None
) -> bytes:
    """A SOAP fault; `code` is `s:Sender` or `s:Receiver` (§1.9)."""
    detail_xml = (
        f"<s:Detail><wsman:FaultDetail>{escape(detail)}</wsman:FaultDetail></s:Detail>"
        if detail
        else ""
    )
    body = (
        "<s:Fault>"
        f"<s:Code><s:Value>{escape(code)}</s:Value>"
        f"<s:Subcode><s:Value>{escape(subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en">{escape(reason)}</s:Text></s:Reason>'
        f"{detail_xml}</s:Fault>"
    )
    return _envelope(ACTION_FAULT, relates_to, body)
