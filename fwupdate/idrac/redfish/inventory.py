"""Identity and firmware inventory from Redfish documents.

Request budget per iDRAC (basic auth, no session): service root, Manager, System, UpdateService,
FirmwareInventory collection, then one GET per member on iDRAC7/8 (their `$expand` is advertised
but may fail with a licence error) or none on iDRAC9+ (`$expand=*($levels=1)`, falling back to
walking members when the expanded answer is not usable).  Manager and System are read at Dell's
fixed ids (`iDRAC.Embedded.1`, `System.Embedded.1`) and found through the collections only when
those 404, which saves two requests per iDRAC.  A targeted read (`read_member`) is one GET of the
member id a component has at a given version (`member_id_at`): the executor's check after a job.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fwupdate.errors import FwupdateError
from fwupdate.idrac.capabilities import generation_from_model
from fwupdate.idrac.models import FirmwareComponent, IdracIdentity, SystemIdentity
from fwupdate.idrac.redfish.transport import RedfishResponse, RedfishTransport

log = logging.getLogger(__name__)

EXPAND_ARGS = {"$expand": "*($levels=1)"}
MAX_MEMBERS = 2000  # bound on a collection walk
# a member id that names its component's version: the same id is the same component document
_VERSIONED_ID = re.compile(r"^(Installed|Previous)-[0-9]+-[^_]+")


def idrac_identity(
    address: str, root: Mapping[str, Any], manager: Mapping[str, Any]
) -> IdracIdentity:
    model = _s(manager, "Model") or ""
    return IdracIdentity(
        address=address,
        generation=generation_from_model(model),
        firmware_version=_s(manager, "FirmwareVersion") or "",
        model=model,
        redfish_version=_s(root, "RedfishVersion"),
    )


def system_identity(
    root: Mapping[str, Any] | None, system: Mapping[str, Any] | None
) -> SystemIdentity:
    sysdoc: Mapping[str, Any] = system or {}
    dell = _dig(sysdoc, "Oem", "Dell", "DellSystem")
    root_dell = _dig(root or {}, "Oem", "Dell")
    tag = _s(dell, "ChassisServiceTag") or _s(sysdoc, "SKU") or _s(root_dell, "ServiceTag") or None
    system_id: str | None = None
    raw_id = dell.get("SystemID") if dell else None
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        system_id = f"{raw_id:04X}"
    elif isinstance(raw_id, str) and raw_id.strip():
        text = raw_id.strip()
        system_id = f"{int(text):04X}" if text.isdigit() else text.upper()
    return SystemIdentity(
        model=_s(sysdoc, "Model") or "",
        service_tag=tag,
        bios_version=_s(sysdoc, "BiosVersion"),
        power_state=_s(sysdoc, "PowerState"),
        system_id=system_id,
    )


def component_from_doc(doc: Mapping[str, Any]) -> FirmwareComponent:
    """A FirmwareInventory member -> FirmwareComponent (id scheme `<State>-<CID>-<Ver>[__FQDD]`)."""
    ident = _s(doc, "Id") or _last(_s(doc, "@odata.id")) or ""
    state, cid_from_id, fqdd = parse_inventory_id(ident)
    dell = _dig(doc, "Oem", "Dell", "DellSoftwareInventory")
    cid = _s(dell, "ComponentID") or _s(doc, "SoftwareId") or cid_from_id
    updateable = doc.get("Updateable")
    return FirmwareComponent(
        id=ident,
        name=_s(doc, "Name") or _s(dell, "ElementName") or ident,
        component_id=cid,
        version=_s(doc, "Version") or "",
        updateable=bool(updateable) if isinstance(updateable, bool) else True,
        state=state,
        fqdd=fqdd,
        vendor_id=_s(dell, "VendorID"),
        device_id=_s(dell, "DeviceID"),
        sub_vendor_id=_s(dell, "SubVendorID"),
        sub_device_id=_s(dell, "SubDeviceID"),
        component_type=_s(dell, "ComponentType"),
    )


def parse_inventory_id(ident: str) -> tuple[str, str | None, str | None]:
    """`Installed-25227-5.10.00.00__iDRAC.Embedded.1-1` -> ("Installed", "25227", "iDRAC...")."""
    base, _, fqdd = ident.partition("__")
    parts = base.split("-", 2)
    state = parts[0] if parts and parts[0] else "Installed"
    cid = parts[1] if len(parts) > 1 and parts[1].isdigit() else None
    return state, cid, (fqdd or None)


def read_components(
    t: RedfishTransport, collection_uri: str, *, use_expand: bool,
    members_seen: dict[str, FirmwareComponent] | None = None,
) -> tuple[tuple[FirmwareComponent, ...], tuple[str, ...], str | None]:
    """(components, per-member errors, the collection's Allow header).

    `members_seen` (member URI -> component), when given, is filled with the members read, and
    members already in it are not read again: an iDRAC7/8 member id is
    `<State>-<CID>-<Version>[__FQDD]`, so a member at an unchanged URI is an unchanged component
    and the collection alone tells what changed (a re-read after a job reads only new members).
    """
    step = "firmware inventory"
    members: list[Any] | None = None
    resp: RedfishResponse | None = None
    if use_expand:
        resp = t.get(collection_uri, step=step, args=EXPAND_ARGS, ok=(200, 400, 403, 500, 501))
        got = resp.json().get("Members") if resp.status == 200 else None
        if isinstance(got, list) and all(isinstance(m, dict) and "Version" in m for m in got):
            return tuple(component_from_doc(m) for m in got), (), resp.header("Allow")
        log.info("%s: $expand not usable (HTTP %d); walking members", t.name, resp.status)
        resp = None
    resp = t.get(collection_uri, step=step)
    members = resp.json().get("Members")
    allow = resp.header("Allow")
    if not isinstance(members, list):
        return (), ("firmware inventory: the collection lists no Members",), allow
    comps: list[FirmwareComponent] = []
    errors: list[str] = []
    for m in members[:MAX_MEMBERS]:
        uri = m.get("@odata.id") if isinstance(m, dict) else None
        if not isinstance(uri, str):
            continue
        if isinstance(m, dict) and "Version" in m:  # already expanded by the service
            comps.append(component_from_doc(m))
            continue
        known = members_seen.get(uri) if members_seen is not None else None
        if known is not None and _VERSIONED_ID.match(_last(uri) or ""):
            comps.append(known)
            continue
        try:
            comp = component_from_doc(t.get_json(uri, step=f"{step} {_last(uri)}"))
        except FwupdateError as exc:
            errors.append(str(exc))
            continue
        comps.append(comp)
        if members_seen is not None:
            members_seen[uri] = comp
    return tuple(comps), tuple(errors), allow


def member_id_at(comp: FirmwareComponent, version: str) -> str | None:
    """The member id `comp` has once `version` is installed (`Installed-<CID>-<version>[__FQDD]`,
    the iDRAC's id scheme), or None when its id does not name its version."""
    if comp.component_id is None or not _VERSIONED_ID.match(comp.id):
        return None
    return f"Installed-{comp.component_id}-{version}" + (f"__{comp.fqdd}" if comp.fqdd else "")


def read_member(t: RedfishTransport, collection_uri: str, member_id: str
                ) -> FirmwareComponent | None:
    """One FirmwareInventory member by id (a targeted read: one GET); None when absent."""
    uri = f"{collection_uri.rstrip('/')}/{member_id}"
    resp = t.get(uri, step=f"firmware inventory {member_id}", ok=(200, 404))
    return component_from_doc(resp.json()) if resp.status == 200 else None


def _dig(doc: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    cur: Any = doc
    for k in keys:
        cur = cur.get(k) if isinstance(cur, Mapping) else None
    return cur if isinstance(cur, Mapping) else {}


def _s(doc: Mapping[str, Any] | None, key: str) -> str | None:
    v = doc.get(key) if isinstance(doc, Mapping) else None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, str):
        return v.strip() or None
    return None


def _last(uri: str | None) -> str | None:
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None
