"""Property-based fuzz of DUP input through the CLI (issue 15): whatever the bytes of a Windows
or Linux DUP, `dup inspect` and `dup extract` exit 0 or 2 with one stderr line on error, no
traceback, and extract writes nothing outside its target."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwupdate.dup import build_bin_dup, build_exe_dup

from .conftest import IDRAC_BIN, IDRAC_EXE, idrac_component

FUZZ = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_CACHE: dict[str, bytes] = {}


def _template(kind: str, tmp: Path) -> bytes:
    if kind not in _CACHE:
        payload = {"firmimg.d7": b"FWUPDATE-SIM-IMAGE idrac7 2.65.65.65\n" + b"x" * 4096}
        if kind == "exe":
            p = build_exe_dup(tmp / IDRAC_EXE, idrac_component(), payload)
        else:
            p = build_bin_dup(tmp / IDRAC_BIN, idrac_component(IDRAC_BIN), payload)
        _CACHE[kind] = p.read_bytes()
        p.unlink()
    return _CACHE[kind]


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[int, int, bytes]]:
    n = draw(st.integers(1, 4))
    return [
        (draw(st.integers(0, 1 << 20)), draw(st.integers(0, 16)), draw(st.binary(max_size=8)))
        for _ in range(n)
    ]


def _mutate(data: bytes, muts: list[tuple[int, int, bytes]], cut: int | None) -> bytes:
    out = bytearray(data)
    for at, drop, ins in muts:
        at %= max(len(out), 1)
        out[at : at + drop] = ins
    return bytes(out[:cut] if cut is not None else out)


@pytest.mark.timeout(90)
@FUZZ
@given(kind=st.sampled_from(["exe", "bin"]), muts=mutations(),
       cut=st.none() | st.integers(0, 1 << 16), command=st.sampled_from(["inspect", "extract"]))
def test_any_dup_bytes_keep_the_contract(
    cli, cli_contract, snapshot_files, tmp_path: Path,  # type: ignore[no-untyped-def]
    kind: str, muts: list[tuple[int, int, bytes]], cut: int | None, command: str,
) -> None:
    work = tmp_path / f"w{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    dup = work / (IDRAC_EXE if kind == "exe" else IDRAC_BIN)
    dup.write_bytes(_mutate(_template(kind, tmp_path), muts, cut))
    out = work / "out"
    before = snapshot_files(work)
    args = ["dup", command, str(dup)] + (["--to", str(out)] if command == "extract" else [])
    r = cli(*args)
    cli_contract(r)
    new = snapshot_files(work) - before
    assert all(p == out or out in p.parents for p in new), new
    if r.code:
        assert not any(p.is_file() for p in new), new
