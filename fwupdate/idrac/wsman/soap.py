"""WS-Management SOAP 1.2 envelopes and answers, as iDRAC7/8 (LC2) speak them.

Pure functions, no I/O: build request envelopes (Enumerate, Pull, Get, Invoke) and read answers
(instances, method outputs, job references, faults).  Facts: docs/domain idrac-wsman.md §1.

Answers are parsed by *local name* wherever the namespace depends on the class or on the
resource-URI form the request used (§2.1): iDRAC echoes the URI form of the request into `n1`.
Untrusted XML is parsed without entities, DTDs or network access.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

# --- namespaces (idrac-wsman.md §1.2) ------------------------------------------------------------

NS_S = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSEN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_WXF = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
ACTION_ENUMERATE = f"{NS_WSEN}/Enumerate"
ACTION_PULL = f"{NS_WSEN}/Pull"
ACTION_GET = f"{NS_WXF}/Get"

DCIM_URI_BASE = "http://schemas.dell.com/wbem/wscim/1/cim-schema/2/"
DMTF_DCIM_URI_BASE = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/root/dcim/"

_NSMAP = {"s": NS_S, "wsa": NS_WSA, "wsman": NS_WSMAN, "wsen": NS_WSEN}
_TRUE = "true"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"

PropertyValue = str | None | tuple[str | None, ...]


def dcim_uri(class_name: str) -> str:
    """Resource URI of a DCIM class in the form dracclient and Dell's profiles use."""
    return DCIM_URI_BASE + class_name


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def local_name(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointRef:
    """A reference (EPR) parameter such as InstallFromURI.Target."""

    resource_uri: str
    selectors: tuple[tuple[str, str], ...]


InvokeValue = str | Sequence[str] | EndpointRef


def new_message_id() -> str:
    return f"uuid:{uuid.uuid4()}"


def _selector_set(parent: etree._Element, selectors: Iterable[tuple[str, str]]) -> None:
    sset = etree.SubElement(parent, _q(NS_WSMAN, "SelectorSet"))
    for name, value in selectors:
        sel = etree.SubElement(sset, _q(NS_WSMAN, "Selector"), Name=name)
        sel.text = value


def envelope(
    *,
    to: str,
    resource_uri: str,
    action: str,
    message_id: str,
    selectors: Mapping[str, str] | None = None,
    body: etree._Element | None = None,
    max_envelope_size: int = 512000,
    operation_timeout_s: float = 60.0,
) -> bytes:
    """A complete SOAP 1.2 request (header order as dracclient/omsdk send it, §1.3)."""
    env = etree.Element(_q(NS_S, "Envelope"), nsmap=_NSMAP)
    header = etree.SubElement(env, _q(NS_S, "Header"))
    must = {_q(NS_S, "mustUnderstand"): _TRUE}
    etree.SubElement(header, _q(NS_WSA, "To"), must).text = to
    etree.SubElement(header, _q(NS_WSMAN, "ResourceURI"), must).text = resource_uri
    etree.SubElement(header, _q(NS_WSA, "MessageID"), must).text = message_id
    reply = etree.SubElement(header, _q(NS_WSA, "ReplyTo"))
    etree.SubElement(reply, _q(NS_WSA, "Address")).text = ANONYMOUS
    etree.SubElement(header, _q(NS_WSA, "Action"), must).text = action
    etree.SubElement(header, _q(NS_WSMAN, "MaxEnvelopeSize"), must).text = str(max_envelope_size)
    etree.SubElement(header, _q(NS_WSMAN, "OperationTimeout")).text = (
        f"PT{operation_timeout_s:.3f}S"
    )
    if selectors:
        _selector_set(header, selectors.items())
    body_el = etree.SubElement(env, _q(NS_S, "Body"))
    if body is not None:
        body_el.append(body)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def identify_envelope() -> bytes:
    """`wsmid:Identify` with an empty header, as omsdk sends it (§1.8)."""
    env = etree.Element(_q(NS_S, "Envelope"), nsmap={**_NSMAP, "wsmid": NS_WSMID})
    etree.SubElement(env, _q(NS_S, "Header"))
    body = etree.SubElement(env, _q(NS_S, "Body"))
    etree.SubElement(body, _q(NS_WSMID, "Identify"))
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def identify_result(root: etree._Element) -> dict[str, str]:
    """IdentifyResponse children by local name (ProductVendor, ProductVersion, ...)."""
    body = body_of(root)
    for child in body:
        if isinstance(child.tag, str) and local_name(child.tag) == "IdentifyResponse":
            return {
                local_name(c.tag): (c.text or "").strip()
                for c in child
                if isinstance(c.tag, str)
            }
    raise NotXmlError("the answer is not an IdentifyResponse")


def enumerate_body(max_elements: int) -> etree._Element:
    el = etree.Element(_q(NS_WSEN, "Enumerate"), nsmap=_NSMAP)
    etree.SubElement(el, _q(NS_WSMAN, "OptimizeEnumeration"))
    etree.SubElement(el, _q(NS_WSMAN, "MaxElements")).text = str(max_elements)
    return el


def pull_body(context: str, max_elements: int) -> etree._Element:
    el = etree.Element(_q(NS_WSEN, "Pull"), nsmap=_NSMAP)
    etree.SubElement(el, _q(NS_WSEN, "EnumerationContext")).text = context
    # dracclient writes wsman:MaxElements and iDRAC accepts it; WS-Enumeration says wsen (§1.5).
    etree.SubElement(el, _q(NS_WSEN, "MaxElements")).text = str(max_elements)
    return el


def invoke_body(
    resource_uri: str, method: str, params: Mapping[str, InvokeValue]
) -> etree._Element:
    """`<p:METHOD_INPUT xmlns:p=URI>`; lists become repeated elements, EPRs nested XML (§1.7)."""
    el = etree.Element(_q(resource_uri, f"{method}_INPUT"), nsmap={"p": resource_uri})
    for name, value in params.items():
        if isinstance(value, EndpointRef):
            ref = etree.SubElement(
                el, _q(resource_uri, name), nsmap={"a": NS_WSA, "w": NS_WSMAN}
            )
            etree.SubElement(ref, _q(NS_WSA, "Address")).text = ANONYMOUS
            rp = etree.SubElement(ref, _q(NS_WSA, "ReferenceParameters"))
            etree.SubElement(rp, _q(NS_WSMAN, "ResourceURI")).text = value.resource_uri
            _selector_set(rp, value.selectors)
        elif isinstance(value, str):
            etree.SubElement(el, _q(resource_uri, name)).text = value
        else:
            for item in value:
                etree.SubElement(el, _q(resource_uri, name)).text = item
    return el


# --- answers -----------------------------------------------------------------------------------


class NotXmlError(ValueError):
    """The body is not XML at all (an HTML error page, an empty answer...)."""


_BAD_CHARS = re.compile(rb"[^\x09\x0a\x0d\x20-\x7e]")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def parse(data: bytes) -> etree._Element:
    """Parse an answer; strip bytes outside printable ASCII and retry once (LP#1779412)."""
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        raise NotXmlError("the body does not start with '<'")
    try:
        root = etree.fromstring(stripped, _parser())
    except etree.XMLSyntaxError:
        try:
            root = etree.fromstring(_BAD_CHARS.sub(b"", stripped), _parser())
        except etree.XMLSyntaxError as exc:
            raise NotXmlError(f"unparseable XML: {exc}") from None
    if root.tag != _q(NS_S, "Envelope"):
        raise NotXmlError(f"the XML root is {local_name(root.tag)!r}, not a SOAP 1.2 Envelope")
    return root


def body_of(root: etree._Element) -> etree._Element:
    body = root.find(_q(NS_S, "Body"))
    if body is None:
        raise NotXmlError("the SOAP envelope has no Body")
    return body


@dataclass(frozen=True)
class Fault:
    code: str  # s:Sender / s:Receiver
    subcode: str | None  # wsman:InvalidParameter, wsman:TimedOut ...
    reason: str
    detail: str | None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return (el.text or "").strip()


def find_fault(root: etree._Element) -> Fault | None:
    body = root.find(_q(NS_S, "Body"))
    fault = body.find(_q(NS_S, "Fault")) if body is not None else None
    if fault is None:
        return None
    code = _text(fault.find(f"{_q(NS_S, 'Code')}/{_q(NS_S, 'Value')}")) or "unknown"
    sub = _text(fault.find(f"{_q(NS_S, 'Code')}/{_q(NS_S, 'Subcode')}/{_q(NS_S, 'Value')}"))
    reason = _text(fault.find(f"{_q(NS_S, 'Reason')}/{_q(NS_S, 'Text')}")) or ""
    detail_el = fault.find(_q(NS_S, "Detail"))
    detail = None
    if detail_el is not None:
        texts = [str(t).strip() for t in detail_el.itertext()]
        detail = " ".join(t for t in texts if t) or None
    return Fault(code=code, subcode=sub or None, reason=reason, detail=detail)


def _is_nil(el: etree._Element) -> bool:
    return el.get(_q(NS_XSI, "nil"), "").lower() == "true"


@dataclass(frozen=True)
class Instance:
    """One CIM instance: class name and its scalar properties (by local name)."""

    class_name: str
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """A scalar property as text; the first value of a multi-valued one; None if absent/nil."""
        value = self.properties.get(name)
        if isinstance(value, tuple):
            return value[0] if value else None
        return value

    def values(self, name: str) -> tuple[str, ...]:
        value = self.properties.get(name)
        if value is None:
            return ()
        if isinstance(value, tuple):
            return tuple(v for v in value if v is not None)
        return (value,)


def instance_from_element(el: etree._Element) -> Instance:
    props: dict[str, PropertyValue] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = local_name(child.tag)
        value: str | None = None if _is_nil(child) else (child.text or "").strip()
        if name in props:
            prev = props[name]
            props[name] = (*prev, value) if isinstance(prev, tuple) else (prev, value)
        else:
            props[name] = value
    return Instance(class_name=local_name(el.tag), properties=props)


@dataclass(frozen=True)
class EnumerationPage:
    items: tuple[Instance, ...]
    context: str | None  # None or "" = finished
    end_of_sequence: bool

    @property
    def finished(self) -> bool:
        return self.end_of_sequence or not self.context


def enumeration_page(root: etree._Element) -> EnumerationPage:
    """EnumerateResponse (wsman:Items) or PullResponse (wsen:Items), both tolerated (§1.4-1.5)."""
    body = body_of(root)
    resp = None
    for child in body:
        if isinstance(child.tag, str) and local_name(child.tag) in (
            "EnumerateResponse",
            "PullResponse",
        ):
            resp = child
            break
    if resp is None:
        raise NotXmlError("the answer is neither an EnumerateResponse nor a PullResponse")
    items: list[Instance] = []
    for items_el in resp:
        if isinstance(items_el.tag, str) and local_name(items_el.tag) == "Items":
            items.extend(instance_from_element(i) for i in items_el if isinstance(i.tag, str))
    ctx_el = resp.find(_q(NS_WSEN, "EnumerationContext"))
    context = _text(ctx_el)
    eos = any(
        isinstance(c.tag, str) and local_name(c.tag) == "EndOfSequence" for c in resp
    )
    return EnumerationPage(items=tuple(items), context=context or None, end_of_sequence=eos)


def get_instance(root: etree._Element) -> Instance:
    body = body_of(root)
    for child in body:
        if isinstance(child.tag, str):
            return instance_from_element(child)
    raise NotXmlError("the Get answer has an empty Body")


@dataclass(frozen=True)
class MethodOutput:
    method: str
    return_value: int | None  # None: some firmware omits it on success (§1.10)
    message: str | None
    message_id: str | None
    message_arguments: tuple[str, ...]
    job_id: str | None  # InstanceID selector of a Job / RebootJobID reference
    properties: Mapping[str, PropertyValue]

    def get(self, name: str) -> str | None:
        value = self.properties.get(name)
        if isinstance(value, tuple):
            return value[0] if value else None
        return value


def _job_id(out: etree._Element) -> str | None:
    # Job / RebootJobID references, with or without the EndpointReference wrapper (11G vs 12G).
    for sel in out.iter(_q(NS_WSMAN, "Selector")):
        if sel.get("Name") == "InstanceID":
            return (sel.text or "").strip() or None
    return None


def method_output(root: etree._Element, method: str) -> MethodOutput:
    body = body_of(root)
    out = None
    for child in body:
        if isinstance(child.tag, str) and local_name(child.tag) == f"{method}_OUTPUT":
            out = child
            break
    if out is None:
        raise NotXmlError(f"the answer has no {method}_OUTPUT element")
    scalars = [c for c in out if isinstance(c.tag, str) and len(c) == 0]
    props: dict[str, PropertyValue] = {}
    for c in scalars:
        name = local_name(c.tag)
        value = None if _is_nil(c) else (c.text or "").strip()
        if name in props:
            prev = props[name]
            props[name] = (*prev, value) if isinstance(prev, tuple) else (prev, value)
        else:
            props[name] = value
    rv_text = props.get("ReturnValue")
    rv: int | None = None
    if isinstance(rv_text, str) and rv_text.strip().lstrip("-").isdigit():
        rv = int(rv_text)
    msg_args = props.get("MessageArguments")
    args: tuple[str, ...]
    if isinstance(msg_args, tuple):
        args = tuple(a for a in msg_args if a)
    else:
        args = (msg_args,) if msg_args else ()
    message = props.get("Message")
    message_id = props.get("MessageID")
    return MethodOutput(
        method=method,
        return_value=rv,
        message=message if isinstance(message, str) else None,
        message_id=message_id if isinstance(message_id, str) and message_id else None,
        message_arguments=args,
        job_id=_job_id(out),
        properties=props,
    )
