"""Push (If-Match = ETag verbatim, part `file`, streamed) and install (no If-Match) -> JID."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwupdate.errors import BadInputError, DeviceError, UnsupportedOperationError
from fwupdate.idrac.job_models import JobRef
from fwupdate.idrac.redfish.client import RedfishClient

from .conftest import FWINV, Call, FakeIdrac

Make = Callable[..., tuple[FakeIdrac, RedfishClient]]
SIMPLE = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
INSTALL = "/redfish/v1/UpdateService/Actions/Oem/DellUpdateService.Install"
AVAILABLE = f"{FWINV}/Available-25227-2.70.70.70"


@pytest.fixture
def image(tmp_path: Path) -> Path:
    p = tmp_path / "iDRAC-with-Lifecycle-Controller_Firmware_X_WN64_2.70.70.70_A00.EXE"
    p.write_bytes(b"MZ" + b"\0" * 300_000)
    return p


def _accept_upload(seen: list[Call]) -> Callable[[Call], tuple[int, dict[str, str], Any]]:
    def handler(call: Call) -> tuple[int, dict[str, str], Any]:
        seen.append(call)
        return 201, {"Location": AVAILABLE}, {"Id": "Available-25227-2.70.70.70"}

    return handler


def test_push_uses_etag_verbatim_and_streams(make_idrac: Make, image: Path) -> None:
    fake, client = make_idrac("12G")
    seen: list[Call] = []
    fake.on("POST", FWINV, _accept_upload(seen))
    with client:
        uri = client.push_image(image)
    assert uri == AVAILABLE
    (call,) = seen
    assert call.headers["If-Match"] == "b5a284cf5c079720baf10922407c8a50"  # unquoted, as given
    assert call.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    data = call.body  # `responses` reads the stream; streaming itself: test_real_tls.py
    assert isinstance(data, bytes) and len(data) > 300_000
    assert b'name="file"; filename="' + image.name.encode() + b'"' in data
    assert call.headers.get("X-Auth-Token")


def test_push_retries_once_on_stale_etag(make_idrac: Make, image: Path) -> None:
    fake, client = make_idrac("12G")
    seen: list[Call] = []
    fake.queue("POST", FWINV, (412, {}, {"error": {"message": "stale"}}))
    fake.on("POST", FWINV, _accept_upload(seen))
    with client:
        assert client.push_image(image) == AVAILABLE
    assert fake.count("POST", FWINV) == 2
    assert fake.count("GET", FWINV) == 2  # the ETag was read again before the second POST


def test_push_available_uri_from_body(make_idrac: Make, image: Path) -> None:
    fake, client = make_idrac("14G")
    fake.on("POST", FWINV, lambda c: (201, {}, {"Id": "Available-25227-7.00.00.00"}))
    with client:
        assert client.push_image(image) == f"{FWINV}/Available-25227-7.00.00.00"


def test_push_refuses_linux_bin_and_missing_files(make_idrac: Make, tmp_path: Path) -> None:
    fake, client = make_idrac("12G")
    binfile = tmp_path / "BIOS_X_LN_2.4.2.BIN"
    binfile.write_bytes(b"#!/bin/sh\n")
    with client:
        with pytest.raises(BadInputError, match=r"Linux \.BIN"):
            client.push_image(binfile)
        with pytest.raises(BadInputError, match="does not exist"):
            client.push_image(tmp_path / "missing.exe")
    assert fake.count("POST", FWINV) == 0


def test_push_unsupported_below_2_60(make_idrac: Make, image: Path) -> None:
    _fake, client = make_idrac("12G-2.50")
    with client, pytest.raises(UnsupportedOperationError, match=r"2\.60"):
        client.push_image(image)


def test_push_rejected_by_device(make_idrac: Make, image: Path) -> None:
    fake, client = make_idrac("12G")
    fake.on(
        "POST",
        FWINV,
        lambda c: (
            400,
            {},
            {
                "error": {
                    "@Message.ExtendedInfo": [
                        {"MessageId": "IDRAC.1.6.RED007", "Message": "Unable to verify signature."}
                    ]
                }
            },
        ),
    )
    with client, pytest.raises(DeviceError) as info:
        client.push_image(image)
    assert info.value.message_id == "RED007"


def test_simple_update_returns_jid_without_if_match(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.on(
        "POST",
        SIMPLE,
        lambda c: (202, {"Location": "/redfish/v1/TaskService/Tasks/JID_257309938313"}, ""),
    )
    with client:
        ref = client.install(AVAILABLE)
    assert ref == JobRef("JID_257309938313", "/redfish/v1/TaskService/Tasks/JID_257309938313")
    (call,) = [c for c in fake.calls if c.path == SIMPLE]
    assert call.body == {"ImageURI": AVAILABLE}
    assert "If-Match" not in call.headers


def test_dell_install_body_and_install_upon(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.on(
        "POST",
        INSTALL,
        lambda c: (202, {"Location": "/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/JID_1"}, ""),
    )
    with client:
        ref = client.install(AVAILABLE, method="dell", install_upon="OnReset")
        with pytest.raises(BadInputError):
            client.install(AVAILABLE, method="dell", install_upon="Whenever")
    assert ref.jid == "JID_1"
    (call,) = [c for c in fake.calls if c.path == INSTALL]
    assert call.body == {"SoftwareIdentityURIs": [AVAILABLE], "InstallUpon": "NextReboot"}


def test_pull_checks_transfer_protocols(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    with client, pytest.raises(UnsupportedOperationError, match="push the image instead"):
        client.install("http://10.0.0.5/x.exe", transfer_protocol="HTTP")
    fake, client = make_idrac("14G")
    fake.on("POST", SIMPLE, lambda c: (202, {}, {"Id": "JID_99"}))
    with client:
        assert client.install("http://10.0.0.5/x.exe", transfer_protocol="HTTP").jid == "JID_99"


def test_install_without_jid_is_an_error(make_idrac: Make) -> None:
    fake, client = make_idrac("12G")
    fake.on("POST", SIMPLE, lambda c: (202, {}, ""))
    with client, pytest.raises(DeviceError, match="no job id"):
        client.install(AVAILABLE)
