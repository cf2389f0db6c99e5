"""Just enough OpenPGP to manage a keyring: de-armour a public key and name it (RFC 4880).

Verification itself is GnuPG's `gpgv` (see gpg.py); this module only turns an ASCII-armoured
public key into the binary packets gpgv reads, and finds its v4 fingerprint and first user id so
`trust list` can show them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from fwupdate.errors import BadInputError

ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"
TAG_PUBLIC_KEY = 6
TAG_USER_ID = 13


@dataclass(frozen=True)
class PgpKey:
    fingerprint: str  # 40 upper-case hex digits (v4)
    user_id: str
    packets: bytes  # the binary transferable public key


def dearmor(text: str, *, name: str) -> bytes:
    """The binary packets of an ASCII-armoured public key block (the CRC line is not needed)."""
    lines = [ln.strip() for ln in text.splitlines()]
    try:
        start, end = lines.index(ARMOR_BEGIN), lines.index(ARMOR_END)
    except ValueError:
        raise BadInputError(f"{name}: not an ASCII-armoured OpenPGP public key") from None
    body = lines[start + 1 : end]
    if "" in body and all(":" in ln for ln in body[: body.index("")]):
        body = body[body.index("") + 1 :]  # armour headers ("Comment: ...") end at a blank line
    data = "".join(ln for ln in body if ln and not ln.startswith("="))
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadInputError(f"{name}: damaged OpenPGP armour (bad base64)") from None


def iter_packets(data: bytes, *, name: str) -> list[tuple[int, bytes]]:
    """(tag, body) of each packet; old and new packet formats, no partial lengths."""
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        ctb = data[i]
        if not ctb & 0x80:
            raise BadInputError(f"{name}: not OpenPGP data (bad packet header at byte {i})")
        if ctb & 0x40:
            tag, (length, i) = ctb & 0x3F, _new_length(data, i + 1, name)
        else:
            tag, (length, i) = (ctb >> 2) & 0x0F, _old_length(data, i, ctb & 3, name)
        if i + length > len(data):
            raise BadInputError(f"{name}: truncated OpenPGP packet")
        out.append((tag, data[i : i + length]))
        i += length
    return out


def _new_length(data: bytes, i: int, name: str) -> tuple[int, int]:
    if i >= len(data):
        raise BadInputError(f"{name}: truncated OpenPGP packet")
    first = data[i]
    if first < 192:
        return first, i + 1
    if first < 224:
        return ((first - 192) << 8) + data[i + 1] + 192, i + 2
    if first == 255:
        return int.from_bytes(data[i + 1 : i + 5], "big"), i + 5
    raise BadInputError(f"{name}: unsupported OpenPGP partial-length packet")


def _old_length(data: bytes, i: int, kind: int, name: str) -> tuple[int, int]:
    if kind == 3:
        raise BadInputError(f"{name}: unsupported OpenPGP indeterminate-length packet")
    n = (1, 2, 4)[kind]
    return int.from_bytes(data[i + 1 : i + 1 + n], "big"), i + 1 + n


def parse_public_key(text: str, *, name: str) -> PgpKey:
    """Fingerprint and first user id of the (first) key in an armoured public key block."""
    data = dearmor(text, name=name)
    packets = iter_packets(data, name=name)
    if not packets or packets[0][0] != TAG_PUBLIC_KEY:
        raise BadInputError(f"{name}: not an OpenPGP public key (no public-key packet first)")
    body = packets[0][1]
    if not body or body[0] != 4:
        version = body[0] if body else "?"
        raise BadInputError(f"{name}: OpenPGP key version {version} not supported (v4 only)")
    fpr = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body, usedforsecurity=False)
    uid = next((b.decode("utf-8", "replace") for t, b in packets if t == TAG_USER_ID), "")
    return PgpKey(fingerprint=fpr.hexdigest().upper(), user_id=uid, packets=data)
