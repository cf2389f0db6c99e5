"""A LoadMaster's status <-> the `loadmaster` object of a saved inventory (docs/inventory.md).

    "loadmaster": {"address", "version", "ha_role", "serial", "ha_mode", "preferred_host",
                   "virtual_services": [{"index", "name", "address", "port", "status",
                                         "real_servers_up", "real_servers_total"}],
                   "error"}

Only `address`, `version` and `ha_role` existed in older files (docs/planning.md); every other key
is optional when reading.  `error` (a unit that could not be read) loads as an unreachable status,
which planning treats like a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fwupdate.errors import BadInputError
from fwupdate.loadmaster.models import HaRole, LoadMasterStatus, VirtualServiceHealth


def status_to_json(status: LoadMasterStatus) -> dict[str, Any]:
    return {
        "address": status.address,
        "version": status.version,
        "ha_role": status.ha_role.value,
        "serial": status.serial,
        "ha_mode": status.ha_mode,
        "preferred_host": status.preferred_host,
        "virtual_services": [vs_to_json(v) for v in status.virtual_services],
        "error": status.error,
    }


def vs_to_json(vs: VirtualServiceHealth) -> dict[str, Any]:
    return {
        "index": vs.index,
        "name": vs.name,
        "address": vs.address,
        "port": vs.port,
        "status": vs.status,
        "real_servers_up": vs.real_servers_up,
        "real_servers_total": vs.real_servers_total,
    }


def _opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise BadInputError(f"{where}.{key}: expected a string")
    return str(v)


def _count(d: Mapping[str, Any], key: str, where: str) -> int:
    v = d.get(key, 0)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise BadInputError(f"{where}.{key}: expected a count (integer >= 0)")
    return v


def vs_from_json(raw: Any, where: str) -> VirtualServiceHealth:
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: expected an object with name, address, port, status")
    name = _opt_str(raw, "name", where)
    if not name:
        raise BadInputError(f"{where}: missing name")
    return VirtualServiceHealth(
        index=_opt_str(raw, "index", where) or "",
        name=name,
        address=_opt_str(raw, "address", where) or "",
        port=_opt_str(raw, "port", where) or "",
        status=_opt_str(raw, "status", where) or "Unknown",
        real_servers_up=_count(raw, "real_servers_up", where),
        real_servers_total=_count(raw, "real_servers_total", where),
    )


def status_from_json(raw: Any, where: str, *, name: str | None = None) -> LoadMasterStatus:
    """The status a saved `loadmaster` object describes; one BadInputError line naming `where`."""
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: expected an object with address, version, ha_role")
    role = raw.get("ha_role", "unknown")
    try:
        ha_role = HaRole(str(role).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in HaRole)
        raise BadInputError(f"{where}.ha_role: {role!r}; allowed: {allowed}") from None
    vss = raw.get("virtual_services") or []
    if not isinstance(vss, list):
        raise BadInputError(f"{where}.virtual_services: expected a list")
    error = _opt_str(raw, "error", where)
    return LoadMasterStatus(
        address=_opt_str(raw, "address", where) or "",
        reachable=error is None,
        version=_opt_str(raw, "version", where),
        serial=_opt_str(raw, "serial", where),
        ha_role=ha_role,
        ha_mode=_opt_str(raw, "ha_mode", where),
        preferred_host=_opt_str(raw, "preferred_host", where),
        virtual_services=tuple(
            vs_from_json(v, f"{where}.virtual_services[{k}]") for k, v in enumerate(vss)
        ),
        error=error,
        name=name,
    )
