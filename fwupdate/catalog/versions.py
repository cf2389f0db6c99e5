"""Comparison of Dell version strings.

`vendorVersion` is an opaque string (catalog-and-dup.md §6.1): dotted numbers (`2.65.65.65`,
`1.66.65`), Dell revisions (`A00`, `A08`, `A00-00`), and vendor strings such as `MA8F`,
`21.3.4-0001` or `4247A1`.  Every string maps to a key of natural-sort tokens:

* runs of ASCII digits are numbers and compare numerically (`2.65` > `2.10`, `10` > `9`);
* runs of other letters are text and compare case-insensitively (`A08` > `a07`);
* a number sorts before text at the same position (`1.5` < `1.a`);
* everything else (`.`, `-`, `_`, spaces, brackets) only separates tokens;
* trailing zero numbers are insignificant, so `1.66.65` == `1.66.65.0`.

The keys are plain tuples, so the order is total (any two strings compare, nothing raises) and
consistent: antisymmetric and transitive.  Strings whose keys are equal (`1.66.65` and
`1.66.65.0`, `A00` and `a00`) are equal versions.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[0-9]+|[^\W0-9_]+")

# (0, number) sorts before (1, text): the first element decides before types ever mix.
VersionKey = tuple[tuple[int, int | str], ...]


@lru_cache(maxsize=4096)
def version_key(version: str) -> VersionKey:
    """The sort key of a version string (see module docstring)."""
    tokens: list[tuple[int, int | str]] = []
    for tok in _TOKEN.findall(version):
        if tok.isascii() and tok.isdigit():
            tokens.append((0, int(tok)))
        else:
            tokens.append((1, tok.casefold()))
    while tokens and tokens[-1] == (0, 0):
        tokens.pop()
    return tuple(tokens)


def compare_versions(a: str, b: str) -> int:
    """-1 if a < b, 0 if they are the same version, 1 if a > b."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def is_newer(a: str, b: str) -> bool:
    """True when version `a` is strictly newer than `b`."""
    return compare_versions(a, b) > 0


def same_version(a: str, b: str) -> bool:
    return compare_versions(a, b) == 0


def newest(versions: list[str] | tuple[str, ...]) -> str | None:
    """The newest of `versions` (the first of equals), or None when empty."""
    best: str | None = None
    for v in versions:
        if best is None or is_newer(v, best):
            best = v
    return best
