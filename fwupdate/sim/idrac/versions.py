"""Dell firmware version ordering for the simulated iDRAC (its own, independent of the clients).

Versions look like `2.65.65.65`, `1.66.65`, `2.4.2`, `20.13.3-0001`, `4239A36`.  They are split into
runs of digits and runs of letters; digit runs compare as integers, letter runs as upper-case text,
and a digit run sorts after a letter run at the same position.  Missing trailing parts count as
lower (`2.4` < `2.4.0`), which is all the simulator needs (stepping stones, "is this newer").
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\d+|[A-Za-z]+")


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    out: list[tuple[int, int, str]] = []
    for tok in _TOKEN.findall(version):
        if tok.isdigit():
            out.append((1, int(tok), ""))
        else:
            out.append((0, 0, tok.upper()))
    return tuple(out)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, equal to or newer than `b`."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def older(a: str, b: str) -> bool:
    return compare(a, b) < 0


def newer(a: str, b: str) -> bool:
    return compare(a, b) > 0


def at_least(a: str, b: str) -> bool:
    return compare(a, b) >= 0
