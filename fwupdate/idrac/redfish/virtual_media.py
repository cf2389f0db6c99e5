"""Virtual media over Redfish: attach an ISO as the virtual CD, boot once to it, detach.

iDRAC9 3.30-5.x: `Managers/iDRAC.Embedded.1/VirtualMedia/CD` with `VirtualMedia.InsertMedia`
`{"Image", "Inserted": true, "WriteProtected": true}` and `EjectMedia {}`, both 204; an image the
iDRAC cannot reach → 400 RAC0904 (idrac-redfish.md §7.1).  iDRAC9 ≥ 6.00 moved the devices
under the System (`Systems/System.Embedded.1/VirtualMedia/1`): the collection is looked up from
the Manager or System resource, so both layouts work.  Boot once: `PATCH System
{"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}}`, which means
the *virtual* CD only from iDRAC9 4.40 (§7.2, #90); earlier firmware boots the physical drive,
so `boot_once_virtual_cd` refuses there rather than reboot a host for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fwupdate.errors import DeviceError, UnsupportedOperationError
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish.transport import RedfishTransport

log = logging.getLogger(__name__)
CD_MEDIA_TYPES = ("CD", "DVD")


@dataclass(frozen=True)
class VirtualMediaState:
    uri: str  # the device resource
    inserted: bool
    image: str | None
    media_types: tuple[str, ...]
    insert_target: str
    eject_target: str


def _link(doc: Mapping[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if isinstance(value, Mapping):
        uri = value.get("@odata.id")
        return str(uri) if uri else None
    return None


def _collections(t: RedfishTransport, caps: Capabilities, step: str) -> list[str]:
    out: list[str] = []
    for res in (caps.system_uri, caps.manager_uri):
        if not res:
            continue
        doc = t.get_json(res, step=step)
        uri = _link(doc, "VirtualMedia")
        if uri:
            out.append(uri)
    if not out and caps.manager_uri:
        out.append(f"{caps.manager_uri.rstrip('/')}/VirtualMedia")
    return out


def _state(uri: str, doc: Mapping[str, Any]) -> VirtualMediaState:
    actions = doc.get("Actions") if isinstance(doc.get("Actions"), Mapping) else {}
    assert isinstance(actions, Mapping)

    def target(name: str) -> str:
        a = actions.get(f"#VirtualMedia.{name}")
        if isinstance(a, Mapping) and a.get("target"):
            return str(a["target"])
        return f"{uri}/Actions/VirtualMedia.{name}"

    types = doc.get("MediaTypes") if isinstance(doc.get("MediaTypes"), list) else []
    image = doc.get("Image")
    return VirtualMediaState(
        uri=uri,
        inserted=bool(doc.get("Inserted")),
        image=str(image) if image else None,
        media_types=tuple(str(x) for x in types or ()),
        insert_target=target("InsertMedia"),
        eject_target=target("EjectMedia"),
    )


def find_cd(t: RedfishTransport, caps: Capabilities) -> VirtualMediaState:
    """The virtual CD/DVD device (the one whose MediaTypes include CD or DVD)."""
    step = "find virtual CD"
    for coll in _collections(t, caps, step):
        try:
            doc = t.get_json(coll, step=step)
        except DeviceError as exc:
            log.info("%s: %s: %s", t.host, coll, exc)
            continue
        for m in doc.get("Members") or []:
            uri = m.get("@odata.id") if isinstance(m, Mapping) else None
            if not uri:
                continue
            dev = t.get_json(str(uri), step=step)
            state = _state(str(uri), dev)
            if set(state.media_types) & set(CD_MEDIA_TYPES) or str(uri).endswith("/CD"):
                return state
    raise UnsupportedOperationError(
        "this iDRAC offers no Redfish virtual CD (VirtualMedia); on 12G use push or "
        "repository delivery (virtual media there is licence-gated and UNVERIFIED)",
        host=t.host,
        step=step,
    )


def insert(t: RedfishTransport, caps: Capabilities, image_url: str) -> VirtualMediaState:
    cd = find_cd(t, caps)
    if cd.inserted:
        if cd.image == image_url:
            return cd
        log.info("%s: ejecting %s first", t.host, cd.image)
        t.post(cd.eject_target, {}, step="eject virtual media")
    body = {"Image": image_url, "Inserted": True, "WriteProtected": True}
    t.post(cd.insert_target, body, step="insert virtual media")
    return _state(cd.uri, t.get_json(cd.uri, step="insert virtual media"))


def eject(t: RedfishTransport, caps: Capabilities) -> bool:
    """Detach the virtual CD; False when nothing was attached."""
    cd = find_cd(t, caps)
    if not cd.inserted:
        return False
    t.post(cd.eject_target, {}, step="eject virtual media")
    return True


def boot_once_cd(t: RedfishTransport, caps: Capabilities, *, firmware_version: str,
                 generation: str) -> None:
    """PATCH the System's boot override to the CD, once (virtual CD on iDRAC9 ≥ 4.40)."""
    step = "boot once to virtual CD"
    if generation not in ("iDRAC9", "iDRAC10") or (
        generation == "iDRAC9" and _older(firmware_version, "4.40")
    ):
        raise UnsupportedOperationError(
            f"BootSourceOverrideTarget Cd means the physical drive on {generation} "
            f"{firmware_version} (idrac-redfish.md §7.2): virtual-media boot needs iDRAC9 >= "
            "4.40 here",
            host=t.host,
            step=step,
        )
    if not caps.system_uri:
        raise UnsupportedOperationError("no System resource", host=t.host, step=step)
    t.patch(
        caps.system_uri,
        {"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}},
        step=step,
    )


def _older(a: str, b: str) -> bool:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v.split(".") if x.isdigit())

    return key(a) < key(b)
