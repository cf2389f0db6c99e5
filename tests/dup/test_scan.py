"""Chunked marker scanning: markers are whole lines, found across chunk edges, never by name."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from fwupdate.dup.detect import ARCHIVE_MARKER, PACKAGE_MARKER, detect_stream, locate_bin_layout
from fwupdate.dup.scan import FileWindow, find_marker_line, iter_marker_lines


class CountingStream(io.BytesIO):
    """A stream that remembers the largest single read, to prove scanning is chunked."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.max_read = 0
        self.total_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.max_read = max(self.max_read, len(data))
        self.total_read += len(data)
        return data


def test_marker_must_be_a_whole_line() -> None:
    data = (
        b"#!/bin/sh\n"
        b"awk '/^#####Startofarchive#####/ {print NR + 1}' $0\n"  # inside a line: ignored
        b"x#####Startofarchive#####\n"  # not at line start: ignored
        b"#####Startofarchive##### trailing\n"  # more text on the line: ignored
        b"#####Startofarchive#####\n"
        b"DATA"
    )
    hits = list(iter_marker_lines(io.BytesIO(data), ARCHIVE_MARKER))
    assert len(hits) == 1
    marker_off, data_off = hits[0]
    assert data[marker_off : marker_off + len(ARCHIVE_MARKER)] == ARCHIVE_MARKER
    assert data[data_off:] == b"DATA"


def test_crlf_line_ending_and_marker_on_first_line() -> None:
    data = PACKAGE_MARKER + b"\r\n<xml/>"
    assert find_marker_line(io.BytesIO(data), PACKAGE_MARKER) == (0, len(PACKAGE_MARKER) + 2)


def test_marker_at_end_without_newline_is_not_a_marker_line() -> None:
    assert find_marker_line(io.BytesIO(b"x\n" + ARCHIVE_MARKER), ARCHIVE_MARKER) is None


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.binary(max_size=300).map(lambda b: b.replace(b"#", b"-")),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_found_at_every_offset_and_chunk_size(prefix: bytes, chunk: int) -> None:
    data = prefix + b"\n" + ARCHIVE_MARKER + b"\n" + b"tail"
    hit = find_marker_line(io.BytesIO(data), ARCHIVE_MARKER, chunk_size=chunk)
    assert hit == (len(prefix) + 1, len(prefix) + 2 + len(ARCHIVE_MARKER))


def test_scanning_reads_in_chunks_not_whole_file() -> None:
    pad = b"#" + b"-" * 1023 + b"\n"
    body = (
        b"#!/bin/sh\nexit 1\n"
        + pad * 4096  # ~4 MiB before the markers
        + PACKAGE_MARKER
        + b"\n<SoftwareComponent/>\n"
        + ARCHIVE_MARKER
        + b"\n\x1f\x8b"
        + b"\0" * 100
    )
    s = CountingStream(body)
    layout = locate_bin_layout(s, chunk_size=64 * 1024)
    assert s.max_read <= 64 * 1024
    assert body[layout.archive_offset : layout.archive_offset + 2] == b"\x1f\x8b"
    assert body[layout.package_offset : layout.package_end] == b"<SoftwareComponent/>\n"
    s2 = CountingStream(body)
    d = detect_stream(s2, name="x.BIN", size=len(body), chunk_size=64 * 1024)
    assert d.bin_layout == layout
    assert s2.max_read <= 64 * 1024


def test_file_window_reads_and_seeks_relative_to_its_start() -> None:
    raw = io.BytesIO(b"HEADER" + b"0123456789")
    w = FileWindow(raw, 6, 10)
    assert w.read(4) == b"0123"
    w.seek(0)
    assert w.read() == b"0123456789"
    w.seek(-2, io.SEEK_END)
    assert w.read() == b"89"
    assert w.read(5) == b""
