"""The transport facade: the per-operation choice table, and each choice against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwupdate.errors import JobFailedError, UnsupportedOperationError
from fwupdate.fileserver import FileServer
from fwupdate.fleet.secrets import Credentials
from fwupdate.idrac.capabilities import Operation, choose_transport
from fwupdate.idrac.facade import IdracFacade
from fwupdate.idrac.models import Capabilities, Generation, Transport

W, R = Transport.WSMAN, Transport.REDFISH
OPS = (
    Operation.IDENTITY,
    Operation.INVENTORY,
    Operation.LC_STATUS,
    Operation.JOBS,
    Operation.INSTALL,
    Operation.HOST_REBOOT,
)
IDRAC7_1X = Capabilities(wsman=True)
IDRAC7_250 = Capabilities(
    redfish=True, wsman=True, system_uri="/redfish/v1/Systems/System.Embedded.1",
    jobs_uri="/redfish/v1/Managers/iDRAC.Embedded.1/Jobs",
)
IDRAC7_265 = Capabilities(
    redfish=True, redfish_update=True, wsman=True,
    firmware_inventory_uri="/redfish/v1/UpdateService/FirmwareInventory",
    system_uri="/redfish/v1/Systems/System.Embedded.1",
    jobs_uri="/redfish/v1/Managers/iDRAC.Embedded.1/Jobs",
)
IDRAC9 = Capabilities(
    redfish=True, redfish_update=True,
    firmware_inventory_uri="/redfish/v1/UpdateService/FirmwareInventory",
    system_uri="/redfish/v1/Systems/System.Embedded.1",
    jobs_uri="/redfish/v1/Managers/iDRAC.Embedded.1/Jobs",
    dell_oem_services=(
        ("DellJobService", "/x/DellJobService"),
        ("DellLCService", "/x/DellLCService"),
    ),
)


@pytest.mark.parametrize(
    ("caps", "expected"),
    [
        (IDRAC7_1X, (W, W, W, W, W, W)),
        (IDRAC7_250, (R, W, W, W, W, R)),
        (IDRAC7_265, (R, R, W, W, R, R)),
        (IDRAC9, (R, R, R, R, R, R)),
    ],
    ids=["idrac7-1.x", "idrac7-2.50", "idrac7-2.65", "idrac9"],
)
def test_choice_table(caps: Capabilities, expected: tuple[Transport, ...]) -> None:
    assert tuple(choose_transport(op, caps) for op in OPS) == expected


def test_forced_choices_and_impossible_ones() -> None:
    assert choose_transport(Operation.INSTALL, IDRAC7_265, forced="wsman") is W
    assert choose_transport(Operation.INVENTORY, IDRAC7_250, forced="redfish") is R
    with pytest.raises(UnsupportedOperationError, match="no Redfish update"):
        choose_transport(Operation.INSTALL, IDRAC7_250, forced="redfish")
    with pytest.raises(UnsupportedOperationError, match="no Redfish DellLCService"):
        choose_transport(Operation.LC_STATUS, IDRAC7_265, forced="redfish")
    with pytest.raises(UnsupportedOperationError, match="/wsman did not answer"):
        choose_transport(Operation.JOBS, IDRAC9, forced="wsman")
    with pytest.raises(UnsupportedOperationError, match="neither Redfish nor WS-Man"):
        choose_transport(Operation.LC_STATUS, Capabilities(redfish=True))


DELIVERY = (Operation.REPOSITORY, Operation.VIRTUAL_MEDIA, Operation.NETWORK_ISO)


def _delivery_row(caps: Capabilities, gen: Generation | None) -> tuple[Transport | None, ...]:
    row: list[Transport | None] = []
    for op in DELIVERY:
        try:
            row.append(choose_transport(op, caps, generation=gen))
        except UnsupportedOperationError:
            row.append(None)
    return tuple(row)


@pytest.mark.parametrize(
    ("caps", "gen", "expected"),
    [
        (IDRAC7_1X, None, (W, None, W)),
        (IDRAC7_265, Generation.IDRAC7, (W, None, W)),
        (IDRAC9, Generation.IDRAC9, (R, R, None)),
        (Capabilities(redfish=True), Generation.IDRAC8, (None, None, None)),
    ],
    ids=["idrac7-1.x", "idrac7-2.65", "idrac9", "idrac8-without-wsman"],
)
def test_delivery_rows_of_the_table(
    caps: Capabilities, gen: Generation | None, expected: tuple[Transport | None, ...]
) -> None:
    """Repository, virtual media and network ISO are in the same table: 12G/13G have neither
    the Redfish repository service nor a usable virtual CD even where Redfish answers."""
    assert _delivery_row(caps, gen) == expected


def test_delivery_messages_name_the_step() -> None:
    with pytest.raises(UnsupportedOperationError, match=r"^scan repository: this iDRAC has"):
        choose_transport(Operation.REPOSITORY, Capabilities(redfish=True),
                         generation=Generation.IDRAC8, what="scan repository")  # fmt: skip
    with pytest.raises(UnsupportedOperationError, match="iDRAC7 has neither usable"):
        choose_transport(Operation.VIRTUAL_MEDIA, IDRAC7_265, generation=Generation.IDRAC7)


def _facade(node: Any, **kw: Any) -> IdracFacade:
    return IdracFacade(
        node.url, Credentials("root", "calvin"), tls=node.tls, name="lb-1",
        timing=node.timing, **kw,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("profile", "inventory", "lc", "wsman"),
    [
        ("r320-idrac7-1.57", W, W, True),
        ("r320-idrac7-2.50", W, W, True),
        ("r320-idrac7-2.65", R, W, True),
        ("r640-idrac9-4.40", R, R, False),
    ],
)
def test_detected_choices_against_the_simulator(
    make_node: Callable[..., Any], profile: str, inventory: Transport, lc: Transport, wsman: bool
) -> None:
    node = make_node(profile)
    with _facade(node) as f:
        assert f.capabilities().wsman is wsman
        assert f.transport_for(Operation.INVENTORY) is inventory
        inv = f.inventory()
        assert inv.ok, inv.errors
        assert inv.idrac is not None and inv.idrac.firmware_version == (
            node.device.state.firmware_version
        )
        idrac_rows = [c for c in inv.components if c.component_id == "25227"]
        assert idrac_rows and idrac_rows[0].id.startswith("Installed-25227-")
        st = f.lc_status()
        assert st.ready and st.transport is lc
    posts = [e for e in node.events("wsman")]
    assert bool(posts) is wsman  # an iDRAC9 is never asked over WS-Man


@pytest.mark.integration
def test_wsman_inventory_matches_redfish_inventory(make_node: Callable[..., Any]) -> None:
    node = make_node("r320-idrac7-2.65")
    with _facade(node) as f:
        over_redfish = f.inventory()
    with _facade(node, transport="wsman") as f:
        over_wsman = f.inventory()
    assert over_wsman.capabilities.redfish is False  # Redfish never touched when forced
    installed = {c.id for c in over_redfish.components if c.state == "Installed"}
    assert installed == {c.id for c in over_wsman.components if c.state == "Installed"}
    assert over_redfish.idrac is not None and over_wsman.idrac is not None
    assert over_wsman.idrac.generation is over_redfish.idrac.generation
    assert over_wsman.system is not None and over_wsman.system.system_id == "04F7"


@pytest.mark.integration
def test_reboot_host_over_wsman_and_failed_install_from_url(
    make_node: Callable[..., Any], idrac_dups: dict[str, Path]
) -> None:
    node = make_node("r320-idrac7-1.57")
    with _facade(node) as f:
        f.reboot_host()
        assert node.events("host_power")[-1]["reason"].startswith("RID_")
        assert f.list_jobs()[0].state == "RebootCompleted"
        # A URL the iDRAC cannot fetch: the job fails with the iDRAC's message id.
        job = f.install_image("http://127.0.0.1:9/abc/firmimg.d7")
        assert job.transport is W
        with pytest.raises(JobFailedError) as exc:
            f.wait_job(job, step="install firmimg.d7")
        assert exc.value.message_id == "RED006" and exc.value.step == "install firmimg.d7"
        assert exc.value.host == f.host


@pytest.mark.integration
def test_update_idrac_through_the_facade_over_https_file_server(
    make_node: Callable[..., Any], idrac_dups: dict[str, Path], tmp_path: Path
) -> None:
    """The executor's call, with the file server on HTTPS (a certificate the sim CA issued)."""
    from fwupdate.dup.extract import extract_dup

    node = make_node("r320-idrac7-1.57")
    issued = node.sim.ctx.ca.issue("orchestrator")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(issued.cert_pem)
    key.write_bytes(issued.key_pem)
    image = Path(extract_dup(idrac_dups["1.66.65"], tmp_path / "x").files[0].path)
    messages: list[str] = []
    with FileServer(certfile=cert, keyfile=key) as files, _facade(node) as f:
        f.progress = messages.append
        result = f.update_idrac(image, fileserver=files, expected_version="1.66.65")
        fetched = [a for a in files.accesses() if a.status == 200]
    assert (result.from_version, result.to_version, result.transport) == ("1.57.57", "1.66.65", W)
    assert result.lc_before and result.lc_after and result.job_id
    assert [a.name for a in fetched] == ["firmimg.d7"]
    assert any(m.startswith("InstallFromURI firmimg.d7") for m in messages)


@pytest.mark.integration
def test_update_idrac_over_redfish_push_where_it_works(
    make_node: Callable[..., Any], tmp_path: Path
) -> None:
    """iDRAC7 >= 2.60 updates over Redfish (push + SimpleUpdate); LC readiness stays WS-Man."""
    from fwupdate.dup.build import build_firmware_image

    node = make_node("r320-idrac7-2.65")
    image = build_firmware_image(tmp_path / "firmimg.d7", version="2.60.60.60")
    with _facade(node) as f:
        assert f.transport_for(Operation.INSTALL) is R
        result = f.update_idrac(image, fileserver=None, expected_version="2.60.60.60")
    assert (result.from_version, result.to_version, result.transport) == (
        "2.65.65.65", "2.60.60.60", R)
    assert result.lc_before and result.lc_after  # asked over WS-Man before and after
    assert [u["source"] for u in node.events("upload")] == ["redfish-push"]
    lc_calls = [e for e in node.events("wsman") if e.get("method") == "GetRemoteServicesAPIStatus"]
    assert len(lc_calls) >= 2


@pytest.mark.integration
def test_redfish_and_wsman_of_one_idrac_share_one_connection(
    make_node: Callable[..., Any],
) -> None:
    """Requests to one iDRAC go one at a time (host_lock), so its two clients keep one
    connection between them, not one each (an iDRAC7 has few connection slots)."""
    node = make_node("r320-idrac7-2.65")
    before = node.device.connection_count
    with _facade(node) as f:
        assert f.inventory().ok
        assert f.lc_status().transport is W
        assert f.inventory().ok
        assert f.lc_status().ready
    kinds = node.device.request_kinds
    assert any(k.startswith("POST /wsman") for k in kinds)
    assert any(k.startswith("GET /redfish") for k in kinds)
    assert node.device.connection_count - before == 1
