"""Error lines read once: a wrapped cause does not repeat the host, a version wait that saw the
version does not claim it did not (issue 14, rough edges)."""

from __future__ import annotations

import socket

import pytest
import requests

from fwupdate.errors import DeviceError, WaitTimeoutError, cause_text
from fwupdate.fleet.models import TlsSettings
from fwupdate.idrac.redfish.errors import transport_error
from fwupdate.idrac.timing import Timing
from fwupdate.idrac.wsman.waits import wait_version
from fwupdate.netcause import cause_in_words

HOST = "127.0.0.1:35725"


def test_a_wrapped_cause_does_not_repeat_the_host() -> None:
    inner = DeviceError("GET /redfish/v1: HTTP 503", host=HOST, step="read Manager",
                        message_id="RAC0508")
    outer = WaitTimeoutError(f"not ready; last error: {cause_text(inner, host=HOST)}",
                             host=HOST, step="wait")
    assert str(outer).count(HOST) == 1
    assert "read Manager: GET /redfish/v1: HTTP 503 [RAC0508]" in str(outer)
    other = DeviceError("down", host="10.0.0.9")
    assert cause_text(other, host=HOST).startswith("10.0.0.9: ")


def _fast() -> Timing:
    return Timing(idrac_up_timeout=0.05, idrac_probe_interval=0.01, required_successes=3,
                  sleep=lambda s: None)


def test_a_version_reached_but_not_steady_is_said_so() -> None:
    answers = iter(["1.66.65"] + [DeviceError("refused", host=HOST, step="read")] * 10**6)

    def read() -> str:
        a = next(answers)
        if isinstance(a, Exception):
            raise a
        return a

    with pytest.raises(WaitTimeoutError) as ei:
        wait_version(read, _fast(), host=HOST, expected="1.66.65", previous="1.57.57")
    text = str(ei.value)
    assert "did not come back with firmware 1.66.65" not in text, text
    assert "reported firmware 1.66.65 but did not answer steadily" in text
    assert text.count(HOST) == 1, text


def test_a_version_never_reached_names_what_it_reports() -> None:
    with pytest.raises(WaitTimeoutError) as ei:
        wait_version(lambda: "1.57.57", _fast(), host=HOST, expected="1.66.65",
                     previous="1.57.57")
    assert "did not come back with firmware 1.66.65" in str(ei.value)
    assert "it reports 1.57.57" in str(ei.value)


def _refused() -> tuple[requests.RequestException, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        requests.get(f"https://127.0.0.1:{port}/redfish/v1?token=s3cret", timeout=2)
    except requests.RequestException as exc:
        return exc, port
    raise AssertionError("nothing listens there")


def test_a_connection_error_is_one_clean_line() -> None:
    exc, port = _refused()
    host = f"127.0.0.1:{port}"
    err = transport_error(exc, host=host, step="service root", tls=TlsSettings(), timeout=5)
    assert str(err) == f"{host}: service root: cannot talk to the iDRAC: connection refused"
    assert cause_in_words(requests.exceptions.ConnectTimeout("x")) == "connect timed out"
    assert cause_in_words(requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='x', port=1): Max retries exceeded (Caused by "
        "NameResolutionError(\"Failed to resolve 'x'\"))")) == "host name not found"


def test_a_loadmaster_that_does_not_come_back_is_named_once() -> None:
    from typing import Any

    from fwupdate.loadmaster.procedure import wait_rebooted

    class Unit:
        name = "lb1b"

        def probe(self) -> tuple[bool, str | None]:
            return False, None

    def wait(what: str, check: Any, *, timeout: float, host: str, step: str) -> Any:
        assert check() is None
        raise WaitTimeoutError(f"{what}: not reached within {timeout:g} s", host=host, step=step)

    with pytest.raises(WaitTimeoutError) as ei:
        wait_rebooted(Unit(), "t0", wait, timeout=1800, step="pair-1/005-cpld_apply")  # type: ignore[arg-type]
    assert str(ei.value) == ("lb1b: pair-1/005-cpld_apply: LoadMaster back: not reached "
                             "within 1800 s")
