"""WS-Man client against mocked answers: envelopes, pull loop, faults, return values, bad bodies."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
import responses
from lxml import etree
from responses import registries

from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from fwupdate.idrac.wsman import soap as wx
from fwupdate.idrac.wsman.client import WsmanClient, WsmanSettings
from fwupdate.idrac.wsman.dcim import (
    JOB_SERVICE,
    LIFECYCLE_JOB,
    SOFTWARE_IDENTITY,
    WsmanIdrac,
)

URL = "https://idrac.test"
WSMAN = URL + "/wsman"
NS = {"s": wx.NS_S, "wsa": wx.NS_WSA, "wsman": wx.NS_WSMAN, "wsen": wx.NS_WSEN}


def _client(**kw: Any) -> WsmanClient:
    settings = WsmanSettings(retry_delay=0.0, **kw)
    return WsmanClient(URL, "root", "calvin", settings=settings)


def _env(body: str, n1: str = wx.DCIM_URI_BASE + "DCIM_X") -> str:
    return (
        f'<s:Envelope xmlns:s="{wx.NS_S}" xmlns:wsa="{wx.NS_WSA}" xmlns:wsman="{wx.NS_WSMAN}" '
        f'xmlns:wsen="{wx.NS_WSEN}" xmlns:xsi="{wx.NS_XSI}" xmlns:n1="{n1}">'
        "<s:Header><wsa:To>x</wsa:To></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def _items(cls: str, *rows: dict[str, str]) -> str:
    out = ""
    for r in rows:
        out += f"<n1:{cls}>" + "".join(f"<n1:{k}>{v}</n1:{k}>" for k, v in r.items())
        out += f"</n1:{cls}>"
    return out


def _enum(items: str, context: str | None) -> str:
    tail = (
        f"<wsen:EnumerationContext>{context}</wsen:EnumerationContext>"
        if context
        else "<wsen:EnumerationContext/><wsman:EndOfSequence/>"
    )
    return _env(f"<wsen:EnumerateResponse><wsman:Items>{items}</wsman:Items>{tail}"
                "</wsen:EnumerateResponse>")


def _pull(items: str, context: str | None) -> str:
    tail = (
        f"<wsen:EnumerationContext>{context}</wsen:EnumerationContext>"
        if context
        else "<wsen:EndOfSequence/>"
    )
    return _env(f"<wsen:PullResponse><wsen:Items>{items}</wsen:Items>{tail}</wsen:PullResponse>")


def _output(method: str, inner: str, uri: str) -> str:
    return _env(f"<n1:{method}_OUTPUT>{inner}</n1:{method}_OUTPUT>", n1=uri)


JOB_REF = (
    "<n1:Job><wsa:EndpointReference><wsa:Address>anon</wsa:Address><wsa:ReferenceParameters>"
    f"<wsman:ResourceURI>{LIFECYCLE_JOB}</wsman:ResourceURI><wsman:SelectorSet>"
    '<wsman:Selector Name="__cimnamespace">root/dcim</wsman:Selector>'
    '<wsman:Selector Name="InstanceID">JID_442507917525</wsman:Selector>'
    "</wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference></n1:Job>"
)

FAULT = _env(
    "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>wsman:InvalidParameter"
    "</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en\">"
    "CMPI_RC_ERR_INVALID_PARAMETER</s:Text></s:Reason><s:Detail><wsman:FaultDetail>"
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MissingValues</wsman:FaultDetail>"
    "</s:Detail></s:Fault>"
)


class Recorder:
    """Answers POSTs in order and keeps the parsed request envelopes."""

    def __init__(self, answers: list[tuple[int, str]]) -> None:
        self.answers = list(answers)
        self.requests: list[etree._Element] = []
        self.headers: list[dict[str, str]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.requests.append(etree.fromstring(request.body))
        self.headers.append(dict(request.headers))
        status, body = self.answers.pop(0)
        return status, {"Content-Type": "application/soap+xml;charset=UTF-8"}, body


def _mock(answers: list[tuple[int, str]]) -> Recorder:
    rec = Recorder(answers)
    responses.add_callback(responses.POST, WSMAN, callback=rec)
    return rec


def _h(env: etree._Element, path: str) -> str:
    found = env.find(path, NS)
    assert found is not None, path
    return (found.text or "").strip()


@responses.activate
def test_enumerate_envelope_and_pull_until_end() -> None:
    rec = _mock(
        [
            (200, _enum(_items("DCIM_X", {"A": "1"}), "ctx-1")),
            (200, _pull(_items("DCIM_X", {"A": "2"}, {"A": "3"}), "ctx-2")),
            (200, _pull(_items("DCIM_X", {"A": "4"}), None)),
        ]
    )
    with _client(max_elements=2) as c:
        items = c.enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert [i.get("A") for i in items] == ["1", "2", "3", "4"]
    first, pull1, pull2 = rec.requests
    assert _h(first, "s:Header/wsa:To") == WSMAN
    assert _h(first, "s:Header/wsman:ResourceURI") == wx.DCIM_URI_BASE + "DCIM_X"
    assert _h(first, "s:Header/wsa:Action") == wx.ACTION_ENUMERATE
    assert _h(first, "s:Header/wsa:ReplyTo/wsa:Address") == wx.ANONYMOUS
    assert _h(first, "s:Header/wsman:MaxEnvelopeSize") == "512000"
    assert _h(first, "s:Header/wsman:OperationTimeout").startswith("PT")
    ids = [_h(r, "s:Header/wsa:MessageID") for r in rec.requests]
    assert all(i.startswith("uuid:") for i in ids) and len(set(ids)) == 3
    to = first.find("s:Header/wsa:To", NS)
    assert to is not None and to.get(f"{{{wx.NS_S}}}mustUnderstand") == "true"
    assert first.find("s:Body/wsen:Enumerate/wsman:OptimizeEnumeration", NS) is not None
    assert _h(first, "s:Body/wsen:Enumerate/wsman:MaxElements") == "2"
    assert _h(pull1, "s:Header/wsa:Action") == wx.ACTION_PULL
    assert _h(pull1, "s:Body/wsen:Pull/wsen:EnumerationContext") == "ctx-1"
    assert _h(pull2, "s:Body/wsen:Pull/wsen:EnumerationContext") == "ctx-2"
    headers = rec.headers[0]
    assert headers["Content-Type"] == "application/soap+xml;charset=UTF-8"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"root:calvin").decode()


@responses.activate
def test_empty_context_with_end_of_sequence_is_done_and_nil_is_none() -> None:
    body = _enum(
        '<n1:DCIM_X><n1:A>1</n1:A><n1:B xsi:nil="true"/><n1:C>x</n1:C><n1:C>y</n1:C></n1:DCIM_X>',
        None,
    )
    rec = _mock([(200, body)])
    items = _client().enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert len(rec.requests) == 1
    assert items[0].get("B") is None and items[0].values("C") == ("x", "y")


@responses.activate
def test_pull_loop_is_bounded() -> None:
    _mock([(200, _enum("", "ctx"))] + [(200, _pull("", "ctx"))] * 5)
    with pytest.raises(DeviceError, match="did not end after 3 pulls") as exc:
        _client(max_pulls=3, retries=0).enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert exc.value.host == "idrac.test" and exc.value.step == "enumerate DCIM_X"


@responses.activate
def test_fault_becomes_device_error_with_subcode() -> None:
    _mock([(400, FAULT)])
    with pytest.raises(DeviceError) as exc:
        _client().get(JOB_SERVICE, {"InstanceID": "x"})
    err = exc.value
    assert err.message_id == "wsman:InvalidParameter"
    assert "CMPI_RC_ERR_INVALID_PARAMETER" in str(err) and "MissingValues" in str(err)
    assert str(err).startswith("idrac.test: get DCIM_JobService: WS-Man fault s:Sender")


@responses.activate
def test_fault_with_http_200_is_still_a_fault() -> None:
    _mock([(200, FAULT)])
    with pytest.raises(DeviceError, match="WS-Man fault"):
        WsmanIdrac(_client()).delete_job_queue()


@pytest.mark.parametrize(
    ("status", "body", "ctype"),
    [
        (200, "<html><body>Welcome to iDRAC</body></html>", "text/html"),
        (404, "Not Found", "text/plain"),
        (200, "", "text/plain"),
        (500, "<?xml version='1.0'?><oops/>", "text/xml"),
        (200, "<s:Envelope", "text/xml"),
    ],
)
@responses.activate
def test_non_xml_is_not_a_wsman_answer(status: int, body: str, ctype: str) -> None:
    responses.add(responses.POST, WSMAN, status=status, body=body, content_type=ctype)
    with pytest.raises(DeviceError, match="not a WS-Man answer") as exc:
        _client(retries=0).enumerate(SOFTWARE_IDENTITY)
    assert exc.value.host == "idrac.test"
    assert exc.value.step == "enumerate DCIM_SoftwareIdentity"


@responses.activate
def test_401_is_authentication_error() -> None:
    responses.add(responses.POST, WSMAN, status=401, body="")
    with pytest.raises(AuthenticationError) as exc:
        WsmanIdrac(_client()).lc_status()
    assert exc.value.step == "LC status" and "calvin" not in str(exc.value)
    assert len(responses.calls) == 1  # never retried


def _invoke(answer: str, method: str = "DeleteJobQueue") -> wx.MethodOutput:
    _mock([(200, answer)])
    return _client().invoke(JOB_SERVICE, method, {"Name": "JobService"}, {"JobID": "JID_1"})


@responses.activate
def test_return_value_0() -> None:
    out = _invoke(
        _output(
            "DeleteJobQueue",
            "<n1:Message>The specified job was deleted</n1:Message><n1:MessageID>SUP020"
            "</n1:MessageID><n1:ReturnValue>0</n1:ReturnValue>",
            JOB_SERVICE,
        )
    )
    assert out.return_value == 0 and out.message_id == "SUP020" and out.job_id is None


@responses.activate
def test_return_value_2_carries_message_id() -> None:
    with pytest.raises(DeviceError) as exc:
        _invoke(
            _output(
                "DeleteJobQueue",
                "<n1:Message>Invalid Job ID</n1:Message><n1:MessageID>SUP011</n1:MessageID>"
                "<n1:ReturnValue>2</n1:ReturnValue>",
                JOB_SERVICE,
            )
        )
    assert exc.value.message_id == "SUP011"
    assert str(exc.value) == (
        "idrac.test: DeleteJobQueue: DeleteJobQueue failed (ReturnValue 2): Invalid Job ID [SUP011]"
    )


@responses.activate
def test_return_value_2_busy_is_busy_error() -> None:
    with pytest.raises(DeviceBusyError) as exc:
        _invoke(
            _output(
                "DeleteJobQueue",
                "<n1:Message>Lifecycle Controller is in use</n1:Message>"
                "<n1:MessageID>JCP024</n1:MessageID><n1:ReturnValue>2</n1:ReturnValue>",
                JOB_SERVICE,
            )
        )
    assert exc.value.message_id == "JCP024"


@responses.activate
def test_return_value_1_is_unsupported() -> None:
    with pytest.raises(UnsupportedOperationError):
        _invoke(_output("DeleteJobQueue", "<n1:ReturnValue>1</n1:ReturnValue>", JOB_SERVICE))


@responses.activate
def test_4096_job_id_from_instance_id_selector() -> None:
    out = _invoke(
        _output("InstallFromURI", JOB_REF + "<n1:ReturnValue>4096</n1:ReturnValue>", JOB_SERVICE),
        method="InstallFromURI",
    )
    assert out.return_value == 4096 and out.job_id == "JID_442507917525"


@responses.activate
def test_missing_return_value_with_job_is_success_and_11g_shape() -> None:
    ref_11g = (
        "<n1:Job><wsa:ReferenceParameters><wsman:SelectorSet>"
        '<wsman:Selector Name="InstanceID">JID_1</wsman:Selector>'
        "</wsman:SelectorSet></wsa:ReferenceParameters></n1:Job>"
    )
    out = _invoke(_output("InstallFromURI", ref_11g, JOB_SERVICE), method="InstallFromURI")
    assert out.return_value is None and out.job_id == "JID_1"


@responses.activate
def test_4096_without_job_reference_is_an_error() -> None:
    with pytest.raises(DeviceError, match="no job id"):
        _invoke(
            _output("InstallFromURI", "<n1:ReturnValue>4096</n1:ReturnValue>", JOB_SERVICE),
            method="InstallFromURI",
        )


@responses.activate
def test_install_from_uri_envelope_has_selectors_and_target_epr() -> None:
    rec = _mock(
        [(200, _output("InstallFromURI", JOB_REF + "<n1:ReturnValue>4096</n1:ReturnValue>",
                       wx.dcim_uri("DCIM_SoftwareInstallationService")))]
    )
    jid = WsmanIdrac(_client()).install_from_uri(
        "http://10.0.0.5:8080/abc/def/firmimg.d7", "DCIM:INSTALLED#iDRAC.Embedded.1-1#IDRACinfo"
    )
    assert jid == "JID_442507917525"
    env = rec.requests[0]
    uri = wx.dcim_uri("DCIM_SoftwareInstallationService")
    assert _h(env, "s:Header/wsa:Action") == uri + "/InstallFromURI"
    sels = {s.get("Name"): s.text for s in env.iterfind("s:Header/wsman:SelectorSet/*", NS)}
    assert sels == {
        "CreationClassName": "DCIM_SoftwareInstallationService",
        "SystemCreationClassName": "DCIM_ComputerSystem",
        "SystemName": "IDRAC:ID",
        "Name": "SoftwareUpdate",
    }
    body = env.find("s:Body", NS)
    assert body is not None
    inp = body[0]
    assert inp.tag == f"{{{uri}}}InstallFromURI_INPUT"
    assert inp.findtext(f"{{{uri}}}URI") == "http://10.0.0.5:8080/abc/def/firmimg.d7"
    target = inp.find(f"{{{uri}}}Target")
    assert target is not None
    assert target.findtext(f"{{{wx.NS_WSA}}}Address") == wx.ANONYMOUS
    rp = target.find(f"{{{wx.NS_WSA}}}ReferenceParameters")
    assert rp is not None
    assert rp.findtext(f"{{{wx.NS_WSMAN}}}ResourceURI") == SOFTWARE_IDENTITY
    sel = rp.find(f"{{{wx.NS_WSMAN}}}SelectorSet/{{{wx.NS_WSMAN}}}Selector")
    assert sel is not None and sel.get("Name") == "InstanceID"
    assert sel.text == "DCIM:INSTALLED#iDRAC.Embedded.1-1#IDRACinfo"


@responses.activate
def test_setup_job_queue_repeats_array_elements() -> None:
    rec = _mock([(200, _output("SetupJobQueue", "<n1:ReturnValue>0</n1:ReturnValue>",
                               JOB_SERVICE))])
    WsmanIdrac(_client()).setup_job_queue(("RID_1", "JID_2"))
    env = rec.requests[0]
    arr = [e.text for e in env.iter(f"{{{JOB_SERVICE}}}JobArray")]
    assert arr == ["RID_1", "JID_2"]


@responses.activate(registry=registries.OrderedRegistry)
def test_enumerate_retried_on_connection_error_invoke_is_not() -> None:
    responses.add(responses.POST, WSMAN, body=requests.exceptions.ConnectionError("reset"))
    responses.add(responses.POST, WSMAN, body=_enum(_items("DCIM_X", {"A": "1"}), None))
    items = _client(retries=1).enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert [i.get("A") for i in items] == ["1"]

    responses.add(responses.POST, WSMAN, body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(DeviceUnreachableError) as exc:
        _client(retries=3).invoke(JOB_SERVICE, "DeleteJobQueue", {}, {"JobID": "JID_CLEARALL"})
    assert exc.value.step == "DeleteJobQueue"
    assert len(responses.calls) == 3  # 2 for the enumeration, exactly 1 for the invoke


@responses.activate
def test_bad_bytes_are_stripped_and_entities_never_expanded(tmp_path: Any) -> None:
    bad = _enum("<n1:DCIM_X><n1:A>ok\xff\x01</n1:A></n1:DCIM_X>", None).encode("latin-1")
    responses.add(responses.POST, WSMAN, body=bad)
    items = _client().enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert items[0].get("A") == "ok"
    secret = tmp_path / "secret"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file://{secret}">]>'
        + _enum("<n1:DCIM_X><n1:A>&x;</n1:A></n1:DCIM_X>", None)
    )
    responses.replace(responses.POST, WSMAN, body=xxe)
    items = _client().enumerate(wx.DCIM_URI_BASE + "DCIM_X")
    assert "TOPSECRET" not in repr(items)


@responses.activate
def test_job_get_falls_back_to_enumeration() -> None:
    job = {"InstanceID": "JID_9", "JobStatus": "Completed", "MessageID": "RED001",
           "Message": "Job completed successfully.", "Name": "update"}
    clear = {"InstanceID": "JID_CLEARALL", "JobStatus": "Pending", "Name": "CLEARALL"}
    _mock([(400, FAULT), (200, _enum(_items("DCIM_LifecycleJob", job, clear), None)),
           (200, _enum(_items("DCIM_LifecycleJob", job, clear), None))])
    idrac = WsmanIdrac(_client())
    got = idrac.job("JID_9")
    assert got.succeeded and got.message_id == "RED001"
    assert [j.job_id for j in idrac.jobs()] == ["JID_9"]  # the CLEARALL pseudo job is hidden


def _inventory_answers() -> list[tuple[int, str]]:
    card = {"FirmwareVersion": "1.57.57", "Model": "Enterprise", "FQDD": "iDRAC.Embedded.1-1",
            "InstanceID": "iDRAC.Embedded.1-1"}
    system = {"Model": "PowerEdge R320", "ServiceTag": "ABC1234", "SystemID": "1271",
              "SystemGeneration": "12G Monolithic", "BIOSVersionString": "2.4.2",
              "PowerState": "2", "InstanceID": "System.Embedded.1"}
    idrac = {"InstanceID": "DCIM:INSTALLED#iDRAC.Embedded.1-1#IDRACinfo", "ComponentID": "25227",
             "VersionString": "1.57.57", "ElementName": "Integrated Dell Remote Access Controller",
             "FQDD": "iDRAC.Embedded.1-1", "Status": "Installed", "Updateable": "true",
             "ComponentType": "FRMW"}
    prev = dict(idrac, InstanceID="DCIM:PREVIOUS#iDRAC.Embedded.1-1#IDRACinfo",
                VersionString="1.46.45", Status="Available")
    nic = {"InstanceID": "DCIM:INSTALLED#701__NIC.Embedded.1-1-1", "ComponentID": "",
           "VersionString": "7.10.18", "ElementName": "Broadcom Gigabit Ethernet BCM5720",
           "FQDD": "NIC.Embedded.1-1-1", "VendorID": "14e4", "DeviceID": "165f",
           "SubVendorID": "1028", "SubDeviceID": "1f5b", "Updateable": "true"}
    return [
        (200, _enum(_items("DCIM_iDRACCardView", card), None)),
        (200, _enum(_items("DCIM_SystemView", system), None)),
        (200, _enum(_items("DCIM_SoftwareIdentity", idrac, prev), "c1")),
        (200, _pull(_items("DCIM_SoftwareIdentity", nic), None)),
    ]


@responses.activate
def test_inventory_maps_to_node_inventory() -> None:
    _mock(_inventory_answers())
    from fwupdate.idrac.models import Capabilities, Generation

    inv = WsmanIdrac(_client()).inventory("lb-a1", URL, Capabilities(wsman=True))
    assert inv.ok and inv.idrac is not None and inv.system is not None
    assert inv.idrac.generation is Generation.IDRAC7
    assert inv.idrac.firmware_version == "1.57.57" and inv.idrac.model == "12G Monolithic"
    assert inv.system.system_id == "04F7" and inv.system.power_state == "On"
    assert inv.system.model == "PowerEdge R320" and inv.system.service_tag == "ABC1234"
    ids = [c.id for c in inv.components]
    assert ids == ["Installed-25227-1.57.57", "Previous-25227-1.46.45", "Installed-0-7.10.18"]
    nic = inv.components[2]
    assert (nic.vendor_id, nic.device_id, nic.sub_vendor_id, nic.sub_device_id) == (
        "14e4", "165f", "1028", "1f5b")
    assert nic.component_id is None and nic.fqdd == "NIC.Embedded.1-1-1"


@pytest.mark.parametrize(
    ("texts", "gen"),
    [
        (("12G Monolithic",), "iDRAC7"),
        ((None, "13G Modular"), "iDRAC8"),
        (("14G Monolithic",), "iDRAC9"),
        (("16G DCS",), "iDRAC9"),
        (("17G Monolithic",), "iDRAC10"),
        (("", "iDRAC7"), "iDRAC7"),
        (("Enterprise",), "unknown"),
    ],
)
def test_generation_from_model(texts: tuple[str | None, ...], gen: str) -> None:
    from fwupdate.idrac.wsman.dcim import generation_from_model

    assert generation_from_model(*texts).value == gen


def test_invoke_body_shapes() -> None:
    el = wx.invoke_body("urn:x", "M", {"A": "1", "B": ["x", "y"]})
    assert [(etree.QName(c).localname, c.text) for c in el] == [("A", "1"), ("B", "x"), ("B", "y")]

