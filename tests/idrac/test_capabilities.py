"""Generation and capabilities are detected from the iDRAC's answers, per generation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fwupdate.idrac.capabilities import detect, generation_from_model, version_tuple
from fwupdate.idrac.models import Generation
from fwupdate.idrac.redfish.repository import sis_uri

from .conftest import MGR, SYS


@pytest.mark.parametrize(
    ("model", "gen"),
    [
        ("12G Monolithic", Generation.IDRAC7),
        ("13G Monolithic", Generation.IDRAC8),
        ("13G Modular", Generation.IDRAC8),
        ("14G Monolithic", Generation.IDRAC9),
        ("15G Monolithic", Generation.IDRAC9),
        ("16G Monolithic", Generation.IDRAC9),
        ("17G Monolithic", Generation.IDRAC10),
        ("", Generation.UNKNOWN),
        ("PowerEdge R320", Generation.UNKNOWN),
        (None, Generation.UNKNOWN),
    ],
)
def test_generation_from_manager_model(model: str | None, gen: Generation) -> None:
    assert generation_from_model(model) is gen


def test_version_tuple() -> None:
    assert version_tuple("2.65.65.65") == (2, 65, 65, 65)
    assert version_tuple("1.57.57") == (1, 57, 57)
    assert version_tuple("4.40.00.00") == (4, 40, 0, 0)
    assert version_tuple("") == ()


def test_12g_capabilities(make_idrac: Callable[..., Any]) -> None:
    fake, client = make_idrac("12G")
    with client:
        caps = client.capabilities
        ident = client.identity()
    assert ident.generation is Generation.IDRAC7 and ident.firmware_version == "2.65.65.65"
    assert caps.redfish and caps.redfish_update
    # no HttpPushUri on 12G: the FirmwareInventory collection is the push target from 2.60 on
    assert caps.http_push_uri == "/redfish/v1/UpdateService/FirmwareInventory"
    assert caps.multipart_push_uri is None
    assert caps.simple_update_protocols == ()
    assert caps.jobs_uri == "/redfish/v1/Managers/iDRAC.Embedded.1/Jobs"
    assert caps.dell_oem_services == (("Jobs", caps.jobs_uri),)
    assert caps.oem_service("DellJobService") is None
    assert caps.sessions_uri == "/redfish/v1/Sessions"
    assert caps.manager_reset_types == ("GracefulRestart",)
    assert "GracefulRestart" not in caps.system_reset_types
    assert not caps.expand_supported  # advertised, but not trusted before iDRAC9
    assert caps.task_service_uri == "/redfish/v1/TaskService"
    assert caps.dmtf_jobs_uri is None
    # the fixed Dell ids answered: no walk of the Managers/Systems collections
    assert "/redfish/v1/Managers" not in fake.paths()


def test_12g_below_2_60_has_no_update(make_idrac: Callable[..., Any]) -> None:
    _fake, client = make_idrac("12G-2.50")
    with client:
        caps = client.capabilities
        inv = client.inventory()
    assert caps.redfish and not caps.redfish_update
    assert caps.http_push_uri is None and caps.firmware_inventory_uri is None
    assert inv.idrac is not None and inv.idrac.firmware_version == "2.50.50.50"
    assert inv.components == ()
    assert any("WS-Man is needed" in e for e in inv.errors)


def test_13g_version_rule_and_allow_header(make_idrac: Callable[..., Any]) -> None:
    fake, client = make_idrac("13G", version="2.50.50.50")
    with client:
        assert client.capabilities.http_push_uri is None  # below 2.60: no push assumed
        fake.headers["/redfish/v1/UpdateService/FirmwareInventory"]["Allow"] = "GET, POST"
        inv = client.inventory()
    # ...but the collection itself says POST is allowed: detected, not assumed
    assert inv.capabilities.http_push_uri == "/redfish/v1/UpdateService/FirmwareInventory"
    assert inv.capabilities.redfish_update


def test_idrac9_capabilities(make_idrac: Callable[..., Any]) -> None:
    _fake, client = make_idrac("14G")
    with client:
        caps = client.capabilities
        assert client.identity().generation is Generation.IDRAC9
        sysid = client.system_identity()
    assert caps.http_push_uri == "/redfish/v1/UpdateService/FirmwareInventory"
    assert caps.multipart_push_uri == "/redfish/v1/UpdateService/MultipartUpload"
    assert caps.simple_update_protocols == ("HTTP",)
    assert caps.dell_install_uri.endswith("DellUpdateService.Install")  # type: ignore[union-attr]
    assert caps.oem_service("DellJobService") == (
        "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellJobService"
    )
    assert caps.jobs_uri == "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/Jobs"
    assert caps.dmtf_jobs_uri == "/redfish/v1/JobService/Jobs"
    assert "GracefulRestart" in caps.system_reset_types
    assert caps.expand_supported
    assert sysid.system_id == "0716" and sysid.service_tag == "ABC1234"


def test_idrac10_from_model() -> None:
    caps = detect(
        root={"ProtocolFeaturesSupported": {"ExpandQuery": {"ExpandAll": True}}},
        manager={"Model": "17G Monolithic", "FirmwareVersion": "1.20.25.00"},
        system=None,
        update_service=None,
    )
    assert caps.expand_supported and not caps.redfish_update


def test_redfish_less_idrac(make_idrac: Callable[..., Any]) -> None:
    fake, client = make_idrac("12G", redfish=False)
    with client:
        caps = client.capabilities
        inv = client.inventory()
    assert not caps.redfish
    assert inv.idrac is None and not inv.ok
    assert "no Redfish service" in inv.errors[0]
    assert fake.paths() == ["/redfish/v1"]  # nothing else was tried


def test_managers_found_through_collection(make_idrac: Callable[..., Any]) -> None:
    fake, client = make_idrac("12G")
    doc = fake.docs.pop("/redfish/v1/Managers/iDRAC.Embedded.1")
    fake.docs["/redfish/v1/Managers/Other.1"] = doc
    fake.docs["/redfish/v1/Managers"] = {"Members": [{"@odata.id": "/redfish/v1/Managers/Other.1"}]}
    with client:
        assert client.capabilities.manager_uri == "/redfish/v1/Managers/Other.1"


def test_idrac9_software_installation_service_is_found_on_the_system(
    make_idrac: Callable[..., Any],
) -> None:
    """iDRAC9 links DellSoftwareInstallationService from System.Links.Oem.Dell, not from the
    Manager: the client finds it there (and uses that link, not a hard-coded path)."""
    fake, client = make_idrac("14G")
    sis = "/redfish/v1/Dell/Systems/System.Embedded.1/DellSoftwareInstallationService"
    fake.docs[SYS]["Links"] = {
        "Oem": {"Dell": {"DellSoftwareInstallationService": {"@odata.id": sis}}}
    }
    with client:
        caps = client.capabilities
    assert caps.oem_service("DellSoftwareInstallationService") == sis
    assert sis_uri(caps) == sis
    # the Manager's links are still there, and win on a name both documents carry
    assert caps.oem_service("DellJobService") == f"{MGR}/Oem/Dell/DellJobService"
    manager = {"Links": {"Oem": {"Dell": {"Jobs": {"@odata.id": "/m/Jobs"}}}}}
    system = {"Links": {"Oem": {"Dell": {"Jobs": {"@odata.id": "/s/Jobs"}}}}}
    caps = detect(root={}, manager=manager, system=system, update_service=None)
    assert caps.jobs_uri == "/m/Jobs"
