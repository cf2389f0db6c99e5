"""A ~50 MB DUP is handled by chunked scanning and streaming, never read whole."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from fwupdate.dup import build_bin_dup, build_exe_dup, detect_stream, extract_dup, inspect_dup
from fwupdate.dup.limits import MiB


class RecordingFile(io.FileIO):
    """A real file that records the largest single read."""

    max_read = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        RecordingFile.max_read = max(RecordingFile.max_read, len(data))
        return data


def test_large_bin_markers_found_by_chunked_scan(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    c = kit.idrac_component(kit.IDRAC_BIN)
    p = build_bin_dup(tmp_path / "big.BIN", c, {"firmimg.d7": kit.IMAGE}, padding=50 * MiB)
    size = p.stat().st_size
    assert size > 50 * MiB
    RecordingFile.max_read = 0
    with RecordingFile(p, "rb") as f:
        d = detect_stream(f, name=str(p), size=size, chunk_size=1 * MiB)  # type: ignore[arg-type]
    assert d.bin_layout is not None and d.bin_layout.archive_offset > 50 * MiB
    assert RecordingFile.max_read <= 1 * MiB  # scanned in chunks, never whole

    info = inspect_dup(p)
    assert info.digests.size == size
    assert info.digests.md5 == hashlib.md5(p.read_bytes()).hexdigest()
    r = extract_dup(p, tmp_path / "out")
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == kit.IMAGE
    assert len(r.files) == 1


def test_large_exe_stub(tmp_path: Path, kit, component) -> None:  # type: ignore[no-untyped-def]
    p = build_exe_dup(
        tmp_path / "big.EXE", component, {"firmimg.d7": kit.IMAGE}, stub_size=40 * MiB
    )
    info = inspect_dup(p)
    assert info.component == component
    extract_dup(p, tmp_path / "out", members=["payload/firmimg.d7"])
    assert (tmp_path / "out/payload/firmimg.d7").read_bytes() == kit.IMAGE
