"""Host restart sequences per generation, and waiting out an iDRAC restart (mocked HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fwupdate.errors import DeviceError, JobFailedError, WaitTimeoutError
from fwupdate.idrac.redfish.client import RedfishClient

from .conftest import MGR, SYS, Call, FakeIdrac, Sleeps

Make = Callable[..., tuple[FakeIdrac, RedfishClient]]
RESET = f"{SYS}/Actions/ComputerSystem.Reset"


def _power_host(fake: FakeIdrac, *, obey_graceful: bool = True) -> list[str]:
    sent: list[str] = []

    def handler(call: Call) -> tuple[int, dict[str, str], Any]:
        kind = call.body["ResetType"]
        sent.append(kind)
        if kind in ("ForceOff",) or (kind == "GracefulShutdown" and obey_graceful):
            fake.docs[SYS]["PowerState"] = "Off"
        elif kind == "On":
            fake.docs[SYS]["PowerState"] = "On"
        return 204, {}, ""

    fake.on("POST", RESET, handler)
    return sent


def test_12g_restart_is_shutdown_then_on(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    sent = _power_host(fake)
    with client:
        assert client.restart_host() == ("GracefulShutdown", "On")
    assert sent == ["GracefulShutdown", "On"]


def test_12g_restart_forces_off_when_os_ignores_shutdown(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    sent = _power_host(fake, obey_graceful=False)
    with client:
        assert client.restart_host() == ("GracefulShutdown", "ForceOff", "On")
    assert sent == ["GracefulShutdown", "ForceOff", "On"]
    assert sum(sleeps.slept) == pytest.approx(300.0)  # the bounded graceful wait


def test_host_already_off_is_just_powered_on(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.docs[SYS]["PowerState"] = "Off"
    sent = _power_host(fake)
    with client:
        assert client.restart_host() == ("On",)
    assert sent == ["On"]


def test_idrac9_uses_graceful_restart(make_idrac: Make) -> None:
    fake, client = make_idrac("14G")
    sent = _power_host(fake)
    with client:
        assert client.restart_host() == ("GracefulRestart",)
    assert sent == ["GracefulRestart"]


def _psu501(state: str) -> dict[str, Any]:
    return {"error": {"code": "Base.1.12.GeneralError", "message": "", "@Message.ExtendedInfo": [
        {"Message": f"Server is already powered {state.upper()}.",
         "MessageId": "IDRAC.2.9.PSU501"}]}}


def test_reset_to_the_current_state_is_already_there(make_idrac: Make) -> None:
    """A real iDRAC answers 409 PSU501 to On while on (ForceOff while off...): done, not an
    error (issue 11: a resume that powers a host on must not fail when it is on already)."""
    fake, client = make_idrac("12G")
    fake.on("POST", RESET, lambda call: (409, {}, _psu501("on")))
    with client:
        client.reset_host("On")
        assert client.power_on() == ()


def test_other_409_is_still_an_error(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    body = {"error": {"@Message.ExtendedInfo": [{"Message": "busy", "MessageId": "IDRAC.2.9.X1"}]}}
    fake.on("POST", RESET, lambda call: (409, {}, body))
    with client, pytest.raises(DeviceError, match="HTTP 409") as err:
        client.reset_host("On")
    assert err.value.message_id == "X1"


def test_shutdown_that_finds_the_host_off_goes_on(make_idrac: Make) -> None:
    """The host went off between the power read and GracefulShutdown (409 PSU501): the
    restart goes on with On."""
    fake, client = make_idrac("12G")
    sent: list[str] = []

    def handler(call: Call) -> tuple[int, dict[str, str], Any]:
        kind = call.body["ResetType"]
        sent.append(kind)
        if kind == "GracefulShutdown":
            fake.docs[SYS]["PowerState"] = "Off"
            return 409, {}, _psu501("off")
        fake.docs[SYS]["PowerState"] = "On"
        return 204, {}, ""

    fake.on("POST", RESET, handler)
    with client:
        assert client.restart_host() == ("GracefulShutdown", "On")
    assert sent == ["GracefulShutdown", "On"]


def test_reset_type_checked_against_allowable(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    with client, pytest.raises(Exception, match="ResetType PowerCycle not offered"):
        client.reset_host("PowerCycle")
    assert fake.count("POST", RESET) == 0


def _reboot_idrac(fake: FakeIdrac, new_version: str, down_polls: int) -> None:
    """Manager.Reset: the next `down_polls` requests fail, sessions die, then the new version."""

    def up() -> None:
        fake.docs[MGR]["FirmwareVersion"] = new_version

    def handler(call: Call) -> tuple[int, dict[str, str], Any]:
        fake.sessions.clear()
        fake.down_requests = down_polls
        fake.on_up = up
        return 204, {}, ""

    fake.on("POST", f"{MGR}/Actions/Manager.Reset", handler)


def test_idrac_restart_wait_relogin_and_verify(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    _reboot_idrac(fake, "2.65.65.65", down_polls=3)
    with client:
        client.reset_idrac()
        version = client.wait_for_idrac_restart(expected_version="2.65.65.65")
        assert version == "2.65.65.65"
        assert client.capabilities.redfish_update
    # a second session was opened after the reset, and it is logged out at the end
    assert fake.count("POST", "/redfish/v1/Sessions") == 2
    assert fake.sessions == {}
    # three consecutive good answers of the service root after the outage
    roots = [c for c in fake.calls if c.path == "/redfish/v1"]
    assert len(roots) >= 3 + 3


def test_idrac_restart_version_mismatch(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    _reboot_idrac(fake, "2.60.60.60", down_polls=1)
    with client:
        client.reset_idrac()
        with pytest.raises(JobFailedError, match=r"came back running 2\.60\.60\.60, not 2\.65"):
            client.wait_for_idrac_restart(expected_version="2.65.65.65")


def test_idrac_never_back_times_out(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    _reboot_idrac(fake, "2.65.65.65", down_polls=10_000)
    with client:
        client.reset_idrac()
        with pytest.raises(WaitTimeoutError, match="did not answer 3 times in a row"):
            client.wait_for_idrac_restart(previous_version="2.60.60.60")
    assert sum(sleeps.slept) <= 900.0 + 1e-6


def test_restart_already_over_is_not_waited_for_again(make_idrac: Make, sleeps: Sleeps) -> None:
    # the caller followed the iDRAC job through the outage: the new version already runs
    _fake, client = make_idrac("12G", version="2.65.65.65")
    with client:
        assert client.wait_for_idrac_restart(expected_version="2.65.65.65") == "2.65.65.65"
    assert sum(sleeps.slept) == pytest.approx(2 * 10.0)  # 3 good probes, 10 s apart; no 300 s
