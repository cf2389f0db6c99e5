"""Safe extraction: good packages extract; every malicious shape is refused and writes nothing."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from fwupdate.dup import ExtractLimits, build_bin_dup, build_exe_dup, extract_dup, inspect_dup
from fwupdate.dup.limits import GiB, MiB, parse_size
from fwupdate.errors import BadInputError, DupError, UnsafeArchiveError


def test_extract_exe_default_payload(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(
        tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE, "sub/readme.txt": b"hi"}
    )
    out = tmp_path / "out"
    r = extract_dup(p, out)
    assert sorted(f.member for f in r.files) == ["payload/firmimg.d7", "payload/sub/readme.txt"]
    assert (out / "payload" / "firmimg.d7").read_bytes() == kit.IMAGE
    assert kit.tree_files(out) == [
        "payload",
        "payload/firmimg.d7",
        "payload/sub",
        "payload/sub/readme.txt",
    ]  # package.xml not extracted by default, no staging leftovers


def test_extract_one_member_and_all(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    c = kit.idrac_component(kit.IDRAC_BIN)
    p = build_bin_dup(tmp_path / "x.BIN", c, {"firmimg.d7": kit.IMAGE, "other.bin": b"o"})
    r = extract_dup(p, tmp_path / "one", members=["payload/firmimg.d7"])
    assert [f.member for f in r.files] == ["payload/firmimg.d7"]
    assert kit.tree_files(tmp_path / "one") == ["payload", "payload/firmimg.d7"]
    r = extract_dup(p, tmp_path / "all", all_files=True)
    assert {f.member for f in r.files} == {"package.xml", "payload/firmimg.d7", "payload/other.bin"}


def test_unknown_member_is_an_error_naming_the_payload(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    with pytest.raises(DupError, match=r"payload/firmimg\.d7"):
        extract_dup(p, tmp_path / "out", members=["payload/firmimg.d9"])
    assert not (tmp_path / "out").exists()
    with pytest.raises(BadInputError):
        extract_dup(p, tmp_path / "out", members=["../x"])


def test_dot_slash_names_are_normalised(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz(
        [kit.tar_entry("./package.xml", kit.PACKAGE_XML), kit.tar_entry("./payload/firmimg.d7")]
    )
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    r = extract_dup(p, tmp_path / "out", members=["payload/firmimg.d7"])
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == b"x"
    assert r.files[0].member == "payload/firmimg.d7"


def test_existing_file_is_replaced(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    (tmp_path / "out/payload").mkdir(parents=True)
    (tmp_path / "out/payload/firmimg.d7").write_bytes(b"old")
    extract_dup(p, tmp_path / "out")
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == kit.IMAGE


# --- malicious ZIPs (.EXE) -----------------------------------------------------------------------

EVIL_NAMES = [
    "../evil.txt",
    "payload/../../evil.txt",
    "/tmp/evil.txt",
    "C:/evil.txt",
    "payload\\..\\..\\evil.txt",
    "payload/\nevil",
]


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_zip_slip_names_refused(tmp_path: Path, kit, name: str) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/ok.bin", b"ok"), (name, b"x")])
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError):
        extract_dup(p, out)
    assert not out.exists()
    assert not (tmp_path / "evil.txt").exists()
    assert kit.tree_files(tmp_path) == ["x.EXE"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("link", "symbolic link"),
        ("device", "device node"),
    ],
)
def test_zip_special_members_refused(tmp_path: Path, kit, entry: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    special = kit.zip_link("payload/link") if entry == "link" else kit.zip_device("payload/dev")
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/ok.bin", b"ok"), special])
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    with pytest.raises(UnsafeArchiveError, match=reason):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    # inspect still describes it, flagging the member
    doc = inspect_dup(p)
    assert doc.listing is not None and not doc.listing.safe


@pytest.mark.parametrize(
    "names",
    [["payload/a.bin", "payload/a.bin"], ["payload/A.bin", "payload/a.bin"]],
)
def test_zip_duplicates_refused(tmp_path: Path, kit, names: list[str]) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML)] + [(n, b"x") for n in names])
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    with pytest.raises(UnsafeArchiveError, match="duplicate"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_file_member_used_as_folder_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/x", b"file"), kit.tar_entry("payload/x/y", b"y")])
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    with pytest.raises(UnsafeArchiveError, match="is a file member"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_bomb_by_ratio(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/zeros.bin", b"\0" * (4 * MiB))])
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    with pytest.raises(UnsafeArchiveError, match="compression ratio"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _patch_zip_sizes(data: bytes, member: bytes, new_size: int) -> bytes:
    """Rewrite the uncompressed size of `member` in its local and central headers."""
    buf = bytearray(data)
    size = new_size.to_bytes(4, "little")
    i = buf.find(b"PK\x03\x04")
    while i >= 0:
        n = int.from_bytes(buf[i + 26 : i + 28], "little")
        if buf[i + 30 : i + 30 + n] == member:
            buf[i + 22 : i + 26] = size
        i = buf.find(b"PK\x03\x04", i + 4)
    i = buf.find(b"PK\x01\x02")
    while i >= 0:
        n = int.from_bytes(buf[i + 28 : i + 30], "little")
        if buf[i + 46 : i + 46 + n] == member:
            buf[i + 24 : i + 28] = size
        i = buf.find(b"PK\x01\x02", i + 4)
    return bytes(buf)


def test_zip_bomb_by_declared_size(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/big.bin", os.urandom(4096))])
    zb = _patch_zip_sizes(zb, b"payload/big.bin", 3 * GiB)
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    with pytest.raises(UnsafeArchiveError, match="per-member cap"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_member_lying_small_is_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/x.bin", os.urandom(50_000))])
    zb = _patch_zip_sizes(zb, b"payload/x.bin", 100)
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    with pytest.raises(DupError):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_total_cap(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = kit.raw_zip(
        [("package.xml", kit.PACKAGE_XML)]
        + [(f"payload/{i}.bin", os.urandom(300 * 1024)) for i in range(4)]
    )
    p = kit.write_exe(tmp_path / "x.EXE", zb)
    limits = ExtractLimits(max_total_bytes=1 * MiB)
    with pytest.raises(UnsafeArchiveError, match="total cap"):
        extract_dup(p, tmp_path / "out", limits=limits)
    assert not (tmp_path / "out").exists()


def test_encrypted_member_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    zb = bytearray(kit.raw_zip([("package.xml", kit.PACKAGE_XML), ("payload/x.bin", b"x")]))
    # set the "encrypted" flag bit on every header
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = zb.find(sig)
        while i >= 0:
            zb[i + off] |= 0x1
            i = zb.find(sig, i + 4)
    p = kit.write_exe(tmp_path / "x.EXE", bytes(zb))
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_corrupt_second_member_leaves_nothing(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(
        tmp_path / "x.EXE",
        component,
        {"a.bin": os.urandom(20_000), "b.bin": os.urandom(20_000)},
    )
    data = bytearray(p.read_bytes())
    # The first occurrence of the name is b.bin's local header; its deflated data follows.
    name_at = data.find(b"payload/b.bin")
    start = name_at + len(b"payload/b.bin") + 100
    data[start : start + 64] = bytes(64)
    p.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(DupError, match="CRC"):
        extract_dup(p, out)
    assert kit.tree_files(out) == ["keep.txt"]  # a.bin was staged, then removed


def test_existing_symlink_in_target_is_not_followed(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "payload").symlink_to(outside)
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_dup(p, out)
    assert kit.tree_files(outside) == []
    assert kit.tree_files(out) == ["payload"]


# --- malicious tar.gz (.BIN) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"name": "payload/link", "type_": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "link"),
        ({"name": "payload/link", "type_": tarfile.SYMTYPE, "linkname": "../../x"}, "link"),
        ({"name": "payload/link", "type_": tarfile.SYMTYPE, "linkname": "firmimg.d7"}, "link"),
        ({"name": "payload/hard", "type_": tarfile.LNKTYPE, "linkname": "/etc/passwd"}, "hard"),
        ({"name": "payload/hard", "type_": tarfile.LNKTYPE, "linkname": "package.xml"}, "hard"),
        ({"name": "payload/dev", "type_": tarfile.CHRTYPE}, "device"),
        ({"name": "payload/blk", "type_": tarfile.BLKTYPE}, "device"),
        ({"name": "payload/fifo", "type_": tarfile.FIFOTYPE}, "FIFO"),
        ({"name": "../evil.txt"}, r"'\.\.'"),
        ({"name": "/tmp/evil.txt"}, "absolute"),
        ({"name": "payload\\..\\..\\evil.txt"}, "backslash"),
    ],
)
def test_tar_unsafe_members_refused(tmp_path: Path, kit, entry: dict, reason: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    name = entry.pop("name")
    arc = kit.raw_tar_gz(
        [
            kit.tar_entry("package.xml", kit.PACKAGE_XML),
            kit.tar_entry("payload/firmimg.d7", b"IMG"),
            kit.tar_entry(name, b"x", **entry),
        ]
    )
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=reason):
        extract_dup(p, out)
    assert not out.exists()
    assert kit.tree_files(tmp_path) == ["x.BIN"]


def test_tar_duplicates_refused(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz(
        [kit.tar_entry("payload/firmimg.d7", b"A"), kit.tar_entry("./payload/firmimg.d7", b"B")]
    )
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    with pytest.raises(UnsafeArchiveError, match="duplicate"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_bomb_by_declared_size_is_not_inflated(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    ti, _ = kit.tar_entry("payload/huge.bin")
    ti.size = 5 * GiB  # header only: the data is not there and is never read
    arc = kit.raw_tar_gz([kit.tar_entry("payload/firmimg.d7", b"IMG"), (ti, b"")])
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    with pytest.raises(UnsafeArchiveError, match="per-member cap"):
        extract_dup(p, tmp_path / "out")
    listing = inspect_dup(p).listing
    assert listing is not None and not listing.complete
    assert not (tmp_path / "out").exists()


def test_tar_bomb_by_ratio(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/zeros.bin", b"\0" * (8 * MiB))])
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    with pytest.raises(UnsafeArchiveError, match="archive bomb"):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_total_cap_stops_listing(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry(f"payload/{i}.bin", os.urandom(200_000)) for i in range(6)])
    p = kit.write_bin(tmp_path / "x.BIN", arc)
    with pytest.raises(UnsafeArchiveError, match="total cap"):
        extract_dup(p, tmp_path / "out", limits=ExtractLimits(max_total_bytes=500_000))
    assert not (tmp_path / "out").exists()


def test_truncated_tar_leaves_nothing(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    arc = kit.raw_tar_gz([kit.tar_entry("payload/a.bin", os.urandom(100_000))])
    p = kit.write_bin(tmp_path / "x.BIN", arc[: len(arc) // 2])
    with pytest.raises(DupError):
        extract_dup(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bare_image_cannot_be_extracted(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "firmimg.d7"
    p.write_bytes(kit.IMAGE)
    with pytest.raises(DupError, match="bare iDRAC firmware image"):
        extract_dup(p, tmp_path / "out")


def test_target_is_a_file(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(tmp_path / "x.EXE", component, {"firmimg.d7": kit.IMAGE})
    (tmp_path / "f").write_text("x")
    with pytest.raises(BadInputError, match="not a folder"):
        extract_dup(p, tmp_path / "f")


def test_parse_size() -> None:
    assert parse_size("2GiB") == 2 * GiB
    assert parse_size("500M") == 500 * MiB
    assert parse_size("1000") == 1000
    with pytest.raises(BadInputError):
        parse_size("lots")
