"""The simulated iDRAC's WS-Man front-end over real HTTPS: paging, faults, methods, realism."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from lxml import etree

from fwupdate.errors import AuthenticationError, DeviceBusyError, DeviceError
from fwupdate.idrac.wsman import soap as wx
from fwupdate.idrac.wsman.client import WsmanClient, WsmanSettings
from fwupdate.idrac.wsman.dcim import (
    JOB_SERVICE,
    JOB_SERVICE_SELECTORS,
    LIFECYCLE_JOB,
    SOFTWARE_IDENTITY,
    SOFTWARE_INSTALLATION_SERVICE,
    WsmanIdrac,
)
from fwupdate.idrac.wsman.waits import wait_job

pytestmark = pytest.mark.integration

SOAP = {"Content-Type": "application/soap+xml;charset=UTF-8"}


def _post(node: Any, body: bytes, auth: tuple[str, str] | None = ("root", "calvin")) -> Any:
    return requests.post(
        node.url + "/wsman", data=body, auth=auth, headers=SOAP, timeout=10,
        verify=str(node.sim.ca_bundle),
    )


def _enum_envelope(node: Any, uri: str, max_elements: int = 2) -> bytes:
    return wx.envelope(
        to=node.url + "/wsman", resource_uri=uri, action=wx.ACTION_ENUMERATE,
        message_id=wx.new_message_id(), body=wx.enumerate_body(max_elements),
    )


def test_enumeration_pages_and_contexts(make_node: Callable[[str], Any]) -> None:
    node = make_node("r320-idrac7-1.57")
    everything = node.wsman().software_identities()
    assert len(everything) == len(node.device.state.inventory()) > 5
    paged = WsmanIdrac(
        WsmanClient(node.url, "root", "calvin", tls=node.tls,
                    settings=WsmanSettings(max_elements=3))
    ).software_identities()
    assert [i.get("InstanceID") for i in paged] == [i.get("InstanceID") for i in everything]
    pulls = [e for e in node.events("wsman") if e["kind"] == "pull"]
    assert len(pulls) >= len(everything) // 3 - 1

    # The first answer carries wsman:Items and a context; a Pull with a bogus context faults.
    r = _post(node, _enum_envelope(node, SOFTWARE_IDENTITY))
    root = etree.fromstring(r.content)
    page = wx.enumeration_page(root)
    assert len(page.items) == 2 and page.context and not page.end_of_sequence
    bogus = wx.envelope(
        to=node.url + "/wsman", resource_uri=SOFTWARE_IDENTITY, action=wx.ACTION_PULL,
        message_id=wx.new_message_id(), body=wx.pull_body("no-such-context", 5),
    )
    r = _post(node, bogus)
    assert r.status_code == 400
    fault = wx.find_fault(etree.fromstring(r.content))
    assert fault is not None and fault.subcode == "wsen:InvalidEnumerationContext"


def test_dmtf_uri_form_is_accepted_and_echoed(make_node: Callable[[str], Any]) -> None:
    node = make_node("r320-idrac7-1.57")
    uri = wx.DMTF_DCIM_URI_BASE + "DCIM_iDRACCardView"
    r = _post(node, _enum_envelope(node, uri))
    root = etree.fromstring(r.content)
    items = root.find(f".//{{{wx.NS_WSMAN}}}Items")
    assert items is not None and items[0].tag == f"{{{uri}}}DCIM_iDRACCardView"
    assert wx.enumeration_page(root).items[0].get("FirmwareVersion") == "1.57.57"


def test_transport_level_answers(make_node: Callable[[str], Any]) -> None:
    node = make_node("r320-idrac7-1.57")
    r = _post(node, _enum_envelope(node, SOFTWARE_IDENTITY), auth=None)
    assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"]
    with pytest.raises(AuthenticationError):
        node.wsman(password="wrong").lc_status()
    r = requests.get(node.url + "/wsman", auth=("root", "calvin"), timeout=10,
                     verify=str(node.sim.ca_bundle))
    assert r.status_code == 405
    r = _post(node, b"<not-xml")
    assert r.status_code == 400
    assert wx.find_fault(etree.fromstring(r.content)) is not None
    r = _post(node, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert r.status_code == 400
    node.device.set_fault("busy", 1)
    with pytest.raises(DeviceBusyError, match="HTTP 503"):
        node.wsman().lc_status()  # an Invoke is never retried


def test_a_busy_idrac_is_waited_out_longer_than_a_transport_error(
        make_node: Callable[[str], Any]) -> None:
    """Chaos seed 3031 --intensity 3 night 9: three 503s in a row (a busy LC around a job) used
    up an Enumerate's 3 attempts and failed the pair.  A busy answer is retried up to
    `busy_retries` times (doubling delays); a transport error keeps `retries`."""
    node = make_node("r320-idrac7-1.57")
    idrac = node.wsman()
    node.device.set_fault("busy", 5)
    assert idrac.client.enumerate(SOFTWARE_IDENTITY)  # 5 x 503, then the answer
    assert len(node.events("busy_answer")) == 5
    node.device.set_fault("busy", 6)
    with pytest.raises(DeviceBusyError, match="HTTP 503"):
        idrac.client.enumerate(SOFTWARE_IDENTITY)  # 1 + busy_retries attempts, all busy


def test_faults_for_unknown_things(make_node: Callable[[str], Any]) -> None:
    node = make_node("r320-idrac7-1.57")
    idrac = node.wsman()
    with pytest.raises(DeviceError) as exc:
        idrac.client.enumerate(wx.dcim_uri("DCIM_NoSuchView"))
    assert exc.value.message_id == "wsa:DestinationUnreachable"
    with pytest.raises(DeviceError) as exc:
        idrac.client.invoke(JOB_SERVICE, "Explode", JOB_SERVICE_SELECTORS)
    assert exc.value.message_id == "wsa:ActionNotSupported"
    with pytest.raises(DeviceError) as exc:
        idrac.client.invoke(JOB_SERVICE, "DeleteJobQueue", JOB_SERVICE_SELECTORS, {})
    assert exc.value.message_id == "wsman:InvalidParameter" and "MissingValues" in str(exc.value)
    with pytest.raises(DeviceError) as exc:
        idrac.client.invoke(JOB_SERVICE, "DeleteJobQueue", {"Name": "JobService"},
                            {"JobID": "JID_CLEARALL"})
    assert exc.value.message_id == "wsman:InvalidSelectors"
    # Method errors are ReturnValue 2 with the iDRAC's message id.
    with pytest.raises(DeviceError) as exc:
        idrac.delete_job_queue("JID_000000000001")
    assert exc.value.message_id == "SUP011"
    with pytest.raises(DeviceError) as exc:
        idrac.install_from_uri("http://127.0.0.1:1/firmimg.d7", "DCIM:INSTALLED#nothing")
    assert exc.value.message_id == "SUP024" and exc.value.step == "InstallFromURI"
    with pytest.raises(DeviceError, match="does not exist"):
        idrac.job("JID_999999999999")  # Get faults, the enumeration fallback finds nothing


def test_lc_status_codes_and_rtstatus_by_version(make_node: Callable[[str], Any]) -> None:
    old = make_node("r320-idrac7-1.57").wsman().lc_status()
    assert (old.status, old.lc_status, old.server_status, old.rt_status) == ("0", "0", "2", None)
    assert old.ready and old.message_id == "LC061"
    new = make_node("r320-idrac7-2.65").wsman().lc_status()
    assert new.ready and new.rt_status == "0"


def test_clearall_pseudo_job_and_reboot_jobs(make_node: Callable[..., Any]) -> None:
    # LC takes a (simulated) hour to settle after JID_CLEARALL: long enough to look at it.
    node = make_node("r320-idrac7-1.57", timings={"clear_queue_seconds": 3600 * 1000})
    idrac = node.wsman()
    rid = idrac.create_reboot_job(3)
    assert rid.startswith("RID_") and idrac.job(rid).status == "Reboot Pending"
    assert idrac.job_count() == 1
    out = idrac.delete_job_queue()
    assert out.message_id == "SUP020"
    raw = idrac.client.enumerate(LIFECYCLE_JOB)
    assert [i.get("InstanceID") for i in raw] == ["JID_CLEARALL"]  # the pseudo job, for a while
    assert idrac.jobs() == () and idrac.job_count() == 0
    assert not idrac.lc_status().ready  # LC reloads after JID_CLEARALL

    # A reboot job scheduled TIME_NOW reboots the host and completes.
    rid = idrac.create_reboot_job(3)
    idrac.setup_job_queue((rid,))
    final = wait_job(idrac, rid, node.timing, timeout=600)
    assert final is not None and final.state == "RebootCompleted"
    assert node.events("host_power")[-1]["reason"] == rid


def test_install_from_uri_pulls_for_real_and_bad_urls_fail(
    make_node: Callable[[str], Any], idrac_dups: dict[str, Any]
) -> None:
    node = make_node("r320-idrac7-1.57")
    idrac = node.wsman()
    target = idrac.idrac_target()
    # Nothing listens there: the job fails with RED006 (could not download).
    jid = idrac.install_from_uri("http://127.0.0.1:9/x/firmimg.d7", target)
    with pytest.raises(DeviceError) as exc:
        wait_job(idrac, jid, node.timing, timeout=600, step="install")
    assert exc.value.message_id == "RED006" and exc.value.host == node.url.split("://")[1]
    # An unsupported scheme is refused at once (ReturnValue 2).
    with pytest.raises(DeviceError) as exc:
        idrac.install_from_uri("gopher://127.0.0.1/firmimg.d7", target)
    assert exc.value.message_id == "RED005"
    out = idrac.client.invoke(
        SOFTWARE_INSTALLATION_SERVICE, "CreateRebootJob",
        {"CreationClassName": "DCIM_SoftwareInstallationService",
         "SystemCreationClassName": "DCIM_ComputerSystem", "SystemName": "IDRAC:ID",
         "Name": "SoftwareUpdate"},
        {"RebootJobType": "2"},
    )
    assert out.return_value == 4096 and out.job_id and out.job_id.startswith("RID_")


def test_device_traffic_takes_no_proxy_from_the_environment(
    make_node: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY (here a closed port) is for downloads from the internet, never for the
    management network: WS-Man, like Redfish, reaches the iDRAC directly."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    node = make_node("r320-idrac7-2.65")
    assert node.wsman().lc_status().ready
