"""Sessions, retries and error mapping of the Redfish transport (mocked HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import requests

from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from fwupdate.fleet.secrets import Credentials
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.logsafe import install_redaction

from .conftest import BASE, MGR, PASSWORD, USER, FakeIdrac, Sleeps

Make = Callable[..., tuple[FakeIdrac, RedfishClient]]


def _err(mid: str, msg: str = "m") -> dict[str, Any]:
    return {"error": {"@Message.ExtendedInfo": [{"MessageId": mid, "Message": msg}]}}


def test_one_session_via_links_sessions_and_logout(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    with client:
        client.inventory()
        assert client.transport.auth_used == "session"
        assert len(fake.sessions) == 1
    assert fake.sessions == {}
    assert fake.count("POST", "/redfish/v1/Sessions") == 1
    assert fake.count("POST", "/redfish/v1/SessionService/Sessions") == 0
    assert fake.count("DELETE", "/redfish/v1/Sessions/1") == 1
    # every request after the login carried the token, none carried the password
    authed = [c for c in fake.calls if c.path not in ("/redfish/v1", "/redfish/v1/Sessions")]
    assert authed and all(c.headers.get("X-Auth-Token") == "tok1abcdef1" for c in authed)


def test_logout_even_when_an_operation_fails(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    with pytest.raises(DeviceError), client:
        client.transport.get("/redfish/v1/Nope", step="x")
    assert fake.sessions == {}


def test_basic_mode_opens_no_session(make_idrac: Make) -> None:
    fake, client = make_idrac("12G", auth="basic")
    with client:
        client.inventory()
    assert fake.count("POST", "/redfish/v1/Sessions") == 0
    assert fake.count("DELETE") == 0
    assert all(c.headers.get("Authorization", "").startswith("Basic ") for c in fake.calls)


def test_session_cap_falls_back_to_basic(
    make_idrac: Make, caplog: pytest.LogCaptureFixture
) -> None:
    _fake, client = make_idrac("12G", session_cap=0)
    with client:
        inv = client.inventory()
        assert client.transport.auth_used == "basic"
        assert "RAC0218" in (client.transport.session_refused or "") or "maximum" in (
            client.transport.session_refused or ""
        )
    assert inv.ok
    assert "refused a Redfish session" in caplog.text


def test_wrong_password_is_authentication_error(mocked: Any, timing: Any) -> None:
    fake = FakeIdrac()
    import re

    for m in ("GET", "POST", "DELETE"):
        mocked.add_callback(m, re.compile(re.escape(BASE) + r"(/.*)?$"), callback=fake)
    client = RedfishClient.connect(BASE, Credentials(USER, "wrong-pw-123"), timing=timing)
    with pytest.raises(AuthenticationError) as info, client:
        pass
    assert info.value.host == "idrac.test" and info.value.step == "login"
    assert "wrong-pw-123" not in str(info.value)


def test_get_retries_with_backoff_and_retry_after(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    with client:
        fake.queue(
            "GET",
            MGR,
            requests.exceptions.ConnectionError("reset by peer"),
            (503, {"Retry-After": "7"}, _err("IDRAC.2.1.SYS518", "not ready")),
        )
        doc = client.transport.get_json(MGR, step="read")
    assert doc["Model"] == "12G Monolithic"
    assert sleeps.slept == [2.0, 7.0]  # 2 s back-off, then the device's Retry-After (> 4 s)


def test_get_gives_up_after_bounded_attempts(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    with client:
        err = requests.exceptions.ConnectionError("refused")
        fake.queue("GET", MGR, err, err, err, err)
        with pytest.raises(DeviceUnreachableError) as info:
            client.transport.get(MGR, step="read Manager")
    assert info.value.step == "read Manager" and info.value.host == "idrac.test"
    assert len(sleeps.slept) == 2  # 3 attempts


def test_post_is_never_retried(make_idrac: Make, sleeps: Sleeps) -> None:
    fake, client = make_idrac("12G")
    target = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
    with client:
        fake.queue("POST", target, requests.exceptions.ReadTimeout("slow"))
        with pytest.raises(DeviceUnreachableError, match="no answer within"):
            client.transport.post(target, {"ImageURI": "x"}, step="install")
    assert fake.count("POST", target) == 1
    assert sleeps.slept == []


def test_post_refuses_if_match(make_idrac: Make) -> None:
    _fake, client = make_idrac("12G")
    with client, pytest.raises(ValueError, match="If-Match"):
        client.transport.post("/x", {}, step="s", headers={"If-Match": "abc"})


@pytest.mark.parametrize(
    ("status", "mid", "exc", "short"),
    [
        (503, "IDRAC.2.8.RAC0218", DeviceBusyError, "RAC0218"),
        (400, "IDRAC.2.8.RAC0679", DeviceBusyError, "RAC0679"),
        (400, "IDRAC.2.8.LC068", DeviceBusyError, "LC068"),
        (405, "IDRAC.1.6.SYS402", UnsupportedOperationError, "SYS402"),
        (400, "IDRAC.2.8.SUP024", DeviceError, "SUP024"),
        (412, "Base.1.18.PreconditionFailed", DeviceError, "PreconditionFailed"),
        (403, "Base.1.0.InsufficientPrivilege", AuthenticationError, None),
    ],
)
def test_action_errors_are_mapped(
    make_idrac: Make, status: int, mid: str, exc: type[Exception], short: str | None
) -> None:
    fake, client = make_idrac("12G", auth="basic")
    target = "/redfish/v1/Some/Action"
    with client:
        fake.queue("POST", target, (status, {}, _err(mid, "device says no")))
        with pytest.raises(exc) as info:
            client.transport.post(target, {}, step="do it")
    err = info.value
    assert type(err) is exc
    assert err.host == "idrac.test" and err.step == "do it"  # type: ignore[attr-defined]
    assert err.message_id == short  # type: ignore[attr-defined]
    assert "\n" not in str(err)


def test_401_on_session_relogs_in_once(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    with client:
        assert client.capabilities.redfish
        fake.sessions.clear()  # the iDRAC restarted: the token is dead
        doc = client.transport.get_json(MGR, step="read")
        assert doc["Id"] == "iDRAC.Embedded.1"
        assert fake.count("POST", "/redfish/v1/Sessions") == 2
    assert fake.sessions == {}


def test_secrets_never_in_logs_or_errors(
    make_idrac: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, client = make_idrac("12G")
    with client:
        client.inventory()
        client.transport.relogin()
        fake.queue("POST", "/x", (400, {}, _err("IDRAC.1.SYS1", f"echo {PASSWORD}")))
        with pytest.raises(DeviceError) as info:
            client.transport.post("/x", {}, step="s")
    assert PASSWORD not in str(info.value)  # registered secrets are redacted from device text
    assert "tok1abcdef1" not in caplog.text  # the library's header dumps are kept quiet
    assert "session opened at /redfish/v1/Sessions/1" in caplog.text  # our own log is there
    install_redaction()
    logging.getLogger("fwupdate.test").warning("device said: echo %s", PASSWORD)
    assert PASSWORD not in caplog.records[-1].getMessage()


def test_no_password_in_debug_logs(make_idrac: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("redfish").setLevel(logging.DEBUG)  # even with the library's dumps on
    try:
        _fake, client = make_idrac("12G")
        with client:
            client.inventory()
    finally:
        logging.getLogger("redfish").setLevel(logging.WARNING)
    assert "HTTP REQUEST (POST) for /redfish/v1/Sessions" in caplog.text
    assert PASSWORD not in caplog.text


def test_one_request_in_flight_per_idrac(make_idrac: Make, timing: Any) -> None:
    import threading
    import time

    fake, client = make_idrac("12G", auth="basic")
    inflight = 0
    peak = 0
    guard = threading.Lock()

    def slow(call: Any) -> tuple[int, dict[str, str], Any]:
        nonlocal inflight, peak
        with guard:
            inflight += 1
            peak = max(peak, inflight)
        time.sleep(0.005)
        with guard:
            inflight -= 1
        return 200, {}, {"Id": "x"}

    fake.on("GET", "/redfish/v1/Slow", slow)
    other = RedfishClient.connect(BASE, Credentials(USER, PASSWORD), auth="basic", timing=timing)
    with client, other:

        def hammer(c: RedfishClient) -> None:
            for _ in range(5):
                c.transport.get("/redfish/v1/Slow", step="s")

        threads = [threading.Thread(target=hammer, args=(c,)) for c in (client, other, client)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert fake.count("GET", "/redfish/v1/Slow") == 15
    assert peak == 1


def test_dropped_login_leaves_the_transport_closed(make_idrac: Make) -> None:
    """Issue 11 defect 7: a connection dropped at the session login must not leave the
    transport looking open (root set, no credentials): the next request logs in again."""
    fake, client = make_idrac("12G")
    fake.queue("POST", "/redfish/v1/Sessions", requests.exceptions.ConnectionError("dropped"))
    with pytest.raises(DeviceUnreachableError) as info:
        client.transport.open()
    assert info.value.step == "login"
    assert not client.transport.is_open
    assert client.transport.root is None
    doc = client.transport.get_json(MGR, step="read")  # logs in again, with credentials
    assert doc["Model"] == "12G Monolithic"
    assert client.transport.auth_used == "session"
    assert fake.count("POST", "/redfish/v1/Sessions") == 2
    unauth = [
        c
        for c in fake.calls
        if c.path == MGR and not c.headers.get("X-Auth-Token") and "Authorization" not in c.headers
    ]
    assert unauth == []
    client.close()


def test_dropped_relogin_leaves_the_transport_closed(make_idrac: Make) -> None:
    """The same after an iDRAC reset: the re-login's connection is dropped; the next request
    must log in again instead of going without credentials (and reading as HTTP 401)."""
    fake, client = make_idrac("12G")
    with client:
        client.transport.get_json(MGR, step="read")
        fake.sessions.clear()  # the iDRAC restarted: the token is dead
        fake.queue("POST", "/redfish/v1/Sessions", requests.exceptions.ConnectionError("dropped"))
        with pytest.raises(DeviceUnreachableError):
            client.transport.get_json(MGR, step="read")
        assert not client.transport.is_open
        doc = client.transport.get_json(MGR, step="read")
        assert doc["Id"] == "iDRAC.Embedded.1"
        assert client.transport.auth_used == "session"
    assert fake.sessions == {}
