"""LoadMaster version strings: matching a reported version to a target, and the Partner Shared
Secret boundary (loadmaster-api.md §2, §7.2).

Reported versions vary (`7.2.48.3`, `7.2.54.12.22642.RELEASE`, `V7.1.40`, `7.1-Patch28b`).  A
target matches when the two are equal (ignoring case, a leading `V` and surrounding blanks) or
one is the other plus a dotted suffix (a build number): `7.2.54.12` matches
`7.2.54.12.22642.RELEASE`.
"""

from __future__ import annotations

import re

from fwupdate.loadmaster.answer import clean

_NUM = re.compile(r"\d+")

SECRET_BOUNDARY_LTSF = (7, 2, 54, 10)
SECRET_BOUNDARY_GA = (7, 2, 59, 4)


def normalize(version: str) -> str:
    v = clean(version).lower()
    return v[1:] if v.startswith("v") and v[1:2].isdigit() else v


def version_matches(reported: str | None, target: str) -> bool:
    if not reported:
        return False
    r, t = normalize(reported), normalize(target)
    if not r or not t:
        return False
    return r == t or r.startswith(t + ".") or t.startswith(r + ".")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _NUM.findall(version))


def enforces_partner_secret(version: str) -> bool:
    """From 7.2.54.10 (LTSF) / 7.2.59.4 (GA) partners need the same Partner Shared Secret."""
    key = version_key(version)
    return key >= SECRET_BOUNDARY_GA or SECRET_BOUNDARY_LTSF <= key < (7, 2, 55)


def crosses_secret_boundary(current: str, target: str) -> bool:
    return not enforces_partner_secret(current) and enforces_partner_secret(target)
