"""The ad hoc `--idrac URL` form shared by the iDRAC commands (inventory, idrac ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fwupdate.errors import BadInputError
from fwupdate.fleet.loader import parse_endpoint
from fwupdate.fleet.models import Endpoint


def adhoc_idrac_endpoint(
    idrac: str,
    *,
    user: str,
    password_env: str | None,
    password_file: Path | None,
    ca_bundle: Path | None,
    fingerprint: str | None,
    insecure: bool,
    timeout: float | None,
) -> Endpoint:
    """An endpoint from `--idrac URL --user U --password-env VAR|--password-file F` and one of
    `--ca-bundle`, `--fingerprint`, `--insecure`; validated as a fleet-file endpoint would be."""
    if (password_env is None) == (password_file is None):
        raise BadInputError("--idrac needs exactly one of --password-env or --password-file")
    if sum(x is not None for x in (ca_bundle, fingerprint)) + int(insecure) > 1:
        raise BadInputError("give only one of --ca-bundle, --fingerprint, --insecure")
    table: dict[str, Any] = {"url": idrac, "username": user}
    if timeout is not None:
        table["timeout"] = timeout
    for key, value in (
        ("password_env", password_env),
        ("password_file", str(password_file) if password_file else None),
        ("ca_bundle", str(ca_bundle) if ca_bundle else None),
        ("fingerprint", fingerprint),
    ):
        if value is not None:
            table[key] = value
    if insecure:
        table["insecure"] = True
    return parse_endpoint(table, base=Path.cwd(), keypath="--idrac")
