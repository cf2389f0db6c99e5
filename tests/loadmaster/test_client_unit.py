"""Unit tests of the API v1 client with mocked HTTP (`responses`): parsing and error mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses

from fwupdate.errors import (
    AuthenticationError,
    DeviceBusyError,
    DeviceError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from fwupdate.loadmaster.answer import parse_answer
from fwupdate.loadmaster.client import LoadMasterClient, parse_role
from fwupdate.loadmaster.ha import pair_problems
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, PairStatus, VirtualServiceHealth
from fwupdate.loadmaster.pacing import Pacer
from fwupdate.loadmaster.patchinfo import version_from_image
from fwupdate.loadmaster.versions import crosses_secret_boundary, version_matches

URL = "https://lm.example.test"
DECL = '<?xml version="1.0" encoding="ISO-8859-1"?>'


def ok(data: str) -> str:
    return f'{DECL}<Response stat="200" code="ok"><Success><Data>{data}</Data></Success></Response>'


def fail(status: int, text: str) -> str:
    return f'{DECL}<Response stat="{status}" code="fail"><Error>{text}</Error></Response>'


def client(**kw: object) -> LoadMasterClient:
    args: dict[str, object] = {
        "name": "lm1",
        "username": "bal",
        "password": "pw-not-logged",
        "min_interval": 0.0,
        "retry_backoff": 0.0,
        "sleep": lambda s: None,
    }
    args.update(kw)
    return LoadMasterClient(URL, **args)  # type: ignore[arg-type]


def test_parse_answer_shapes() -> None:
    a = parse_answer(ok("<cachesize>\n100\n</cachesize>").encode("latin-1"), 200)
    assert a.ok and a.status == 200 and a.data is not None and a.data[0].text == "\n100\n"
    a = parse_answer(
        f'{DECL}<Response stat="200" code="ok"><Success>Command completed ok</Success>'
        "</Response>".encode(),
        200,
    )
    assert a.ok and a.message == "Command completed ok" and a.data is None
    assert parse_answer(b"OK\r\n", 200).ok
    a = parse_answer(fail(422, "Unknown VS").encode(), 422)
    assert not a.ok and a.status == 422 and a.message == "Unknown VS"
    # the body's stat wins over a (wrong) 200 HTTP status
    assert not parse_answer(fail(400, "x").encode(), 200).ok
    a = parse_answer(b"<html><head><title>404 Not Found</title></head></html>", 404)
    assert not a.ok and a.message == "404 Not Found"
    assert parse_answer(b"<<<not xml", 500).message == "<<<not xml"


def test_parse_answer_does_not_expand_entities() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Response stat="200" code="ok"><Success><Data><v>&x;</v></Data></Success></Response>'
    )
    a = parse_answer(evil, 200)
    text = "" if a.data is None else "".join(str(t) for t in a.data.itertext())
    assert "root:" not in text


@responses.activate
def test_reads_are_tolerant_of_whitespace_quotes_casing_and_single_elements() -> None:
    responses.get(f"{URL}/access/get", body=ok('<Version>\n "7.2.48.3" \n</Version>'))
    assert client().version() == "7.2.48.3"
    one_vs = (
        "<VS><status>up</status><Index>2</Index><VSAddress>10.0.0.1</VSAddress>"
        "<VSPort>443</VSPort><NickName>web</NickName>"
        "<RS><Status>Up</Status><RSIndex>7</RSIndex></RS><rs><Status>Down</Status></rs></VS>"
    )
    responses.get(f"{URL}/access/listvs", body=ok(one_vs))
    (vs,) = client().virtual_services()
    assert vs == VirtualServiceHealth("2", "web", "10.0.0.1", "443", "Up", 1, 2)
    assert [h.headers["Authorization"].startswith("Basic ") for h in
            (c.request for c in responses.calls)] == [True, True]  # fmt: skip
    assert all("pw-not-logged" not in (c.request.url or "") for c in responses.calls)


@responses.activate
def test_getall_falls_back_to_single_gets_on_old_units() -> None:
    responses.get(f"{URL}/access/getall", body=fail(405, "Unknown command"), status=405)
    for name, value in (("version", "7.1-Patch28b"), ("hamode", "0")):
        responses.get(
            f"{URL}/access/get",
            body=ok(f"<{name}>{value}</{name}>"),
            match=[responses.matchers.query_param_matcher({"param": name})],
        )
    assert client().params(("version", "hamode")) == {"version": "7.1-Patch28b", "hamode": "0"}


@pytest.mark.parametrize(
    ("status", "body", "exc", "says"),
    [
        (401, fail(401, "Authorization required"), AuthenticationError, "refused the credentials"),
        (404, "<html><title>Not Found</title></html>", UnsupportedOperationError, "not enabled"),
        (405, fail(405, "Unknown command"), UnsupportedOperationError, "does not know"),
        (422, fail(422, "Invalid patch file"), DeviceError, "Invalid patch file"),
        (503, fail(503, "busy"), DeviceBusyError, "busy"),
    ],
)
@responses.activate
def test_error_answers_map_to_fwupdate_errors(
    status: int, body: str, exc: type[Exception], says: str
) -> None:
    responses.get(f"{URL}/access/get", body=body, status=status)
    with pytest.raises(exc, match=says) as info:
        client().get_param("version", step="read version")
    assert str(info.value).startswith("lm1: read version: ")


@responses.activate
def test_dropped_get_is_retried_with_backoff_but_reboot_is_not() -> None:
    slept: list[float] = []
    drop = requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")
    responses.get(f"{URL}/access/get", body=drop)
    responses.get(f"{URL}/access/get", body=drop)
    responses.get(f"{URL}/access/get", body=ok("<serialnumber>123</serialnumber>"))
    c = client(retry_backoff=1.0, sleep=slept.append)
    assert c.serial() == "123"
    assert slept == [1.0, 2.0]
    responses.get(f"{URL}/access/reboot", body=drop)
    with pytest.raises(DeviceUnreachableError, match="connection dropped"):
        c.reboot()
    assert len([x for x in responses.calls if "reboot" in (x.request.url or "")]) == 1


@responses.activate
def test_installpatch_streams_the_file_once(tmp_path: Path) -> None:
    image = tmp_path / "p.bin"
    image.write_bytes(b"KEMP-LM-PATCH 7.2.48.10 BARE-METAL\n" + b"x" * 5000)
    responses.post(f"{URL}/access/installpatch", body=fail(422, "Invalid patch file"), status=422)
    with pytest.raises(DeviceError, match="Invalid patch file"):
        client().install_patch(image)
    (call,) = responses.calls
    assert call.request.headers["Content-Length"] == str(image.stat().st_size)
    assert call.request.method == "POST"


def test_status_of_an_unreachable_unit() -> None:
    c = LoadMasterClient("https://127.0.0.1:9", name="gone", username="bal", password="x",
                         min_interval=0, get_retries=0, timeout=2)  # fmt: skip
    s = c.status()
    assert not s.reachable and s.name == "gone" and "no answer" in (s.error or "")


def test_roles_versions_and_image_names(tmp_path: Path) -> None:
    assert parse_role(" Active ") is HaRole.ACTIVE
    assert parse_role("standby") is HaRole.STANDBY
    assert parse_role("Passive") is HaRole.PASSIVE
    assert parse_role("HA not configured") is HaRole.NOT_HA
    assert parse_role("", "0") is HaRole.NOT_HA
    assert parse_role("weird") is HaRole.UNKNOWN
    assert version_matches("7.2.54.12.22642.RELEASE", "7.2.54.12")
    assert version_matches("V7.1.40", "7.1.40")
    assert not version_matches("7.2.54.1", "7.2.54.12")
    assert not version_matches(None, "7.2.54.12")
    assert crosses_secret_boundary("7.2.48.3", "7.2.54.10")
    assert crosses_secret_boundary("7.2.58.0", "7.2.59.4")
    assert not crosses_secret_boundary("7.2.54.10", "7.2.54.12")
    assert not crosses_secret_boundary("7.2.48.3", "7.2.48.10")
    sim_image = tmp_path / "x.bin"
    sim_image.write_bytes(b"KEMP-LM-PATCH 7.2.54.12 BARE-METAL\npayload")
    assert version_from_image(sim_image) == "7.2.54.12"
    named = tmp_path / "7.1-Patch28b-BARE-METAL.bin"
    named.write_bytes(b"\x1f\x8b opaque")
    assert version_from_image(named) == "7.1-Patch28b"
    anon = tmp_path / "patch.bin"
    anon.write_bytes(b"opaque")
    assert version_from_image(anon) is None


def test_pacer_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 3))
        now[0] += s

    pacer = Pacer(0.25, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.25, 0.25]


def _unit(name: str, role: HaRole, **kw: object) -> LoadMasterStatus:
    base: dict[str, object] = {
        "address": f"https://{name}",
        "reachable": True,
        "version": "7.2.48.3",
        "serial": name.upper(),
        "ha_role": role,
        "ha_mode": "1" if name == "a" else "2",
        "name": name,
    }
    base.update(kw)
    return LoadMasterStatus(**base)  # type: ignore[arg-type]


def test_pair_problems() -> None:
    a, b = _unit("a", HaRole.ACTIVE), _unit("b", HaRole.STANDBY)
    assert pair_problems((a, b), shared_reachable=True, shared_serial="A") == []
    both = pair_problems((a, _unit("b", HaRole.ACTIVE)))
    assert any("HA split" in p for p in both)
    passive = pair_problems((a, _unit("b", HaRole.PASSIVE)))
    assert any("Passive" in p and "Partner Shared Secret" in p for p in passive)
    assert "no unit reports Active" in pair_problems((_unit("a", HaRole.STANDBY), b))
    assert any("HA mode 1" in p for p in pair_problems((a, _unit("b", HaRole.STANDBY,
                                                                  ha_mode="1"))))  # fmt: skip
    down = _unit("b", HaRole.UNKNOWN, reachable=False, error="no answer")
    assert pair_problems((a, down)) == ["b: unreachable (no answer)"]
    assert any("serial B" in p for p in pair_problems((a, b), shared_serial="B"))
    assert pair_problems((a, b), shared_reachable=False) == ["the shared address does not answer"]
    web = VirtualServiceHealth("1", "web", "10.0.0.1", "443", "Up", 2, 2)
    baseline = PairStatus("p", (a, b), virtual_services=(web,))
    down_vs = _unit("a", HaRole.ACTIVE, virtual_services=(
        VirtualServiceHealth("1", "web", "10.0.0.1", "443", "Down", 0, 2),))  # fmt: skip
    assert pair_problems((down_vs, b), baseline=baseline) == [
        "VS web (10.0.0.1:443) was Up, now Down"
    ]
    assert pair_problems((_unit("a", HaRole.ACTIVE), b), baseline=baseline) == [
        "VS web was Up and is gone"
    ]


@pytest.mark.parametrize(("answer", "seconds"), [
    ("1796000000", 1796000000.0), ("0", None), ("", None), (None, None),
    ("2026-12-06T10:23:31+00:00", 1796552611.0), ("2026-12-06 10:23:31", 1796552611.0),
    ("Sun Dec  6 10:23:31 2026", None),
])  # fmt: skip
def test_activetime_read_as_an_epoch_or_an_iso_time(answer: str | None,
                                                    seconds: float | None) -> None:
    """Kemp documents no format for `activetime` (an epoch or a time string): both an epoch
    and an ISO 8601 time are read; the standby's "0" and forms not read are None."""
    from fwupdate.loadmaster.models import activetime_epoch

    assert activetime_epoch(answer) == seconds
