"""Decide generation and capabilities from what the iDRAC answers, never from assumptions, and
which protocol does each operation (`choose_transport`, the one choice table).

Generation comes from `Manager.Model` ("12G Monolithic" -> iDRAC7; 13G -> iDRAC8; 14G-16G ->
iDRAC9; 17G+ -> iDRAC10), not from the firmware version (iDRAC10 restarts at 1.x).  Service and
action URIs come from the documents' links and action targets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, Literal

from fwupdate.errors import BadInputError, UnsupportedOperationError
from fwupdate.idrac.models import Capabilities, Generation, Transport

MIN_PUSH_VERSION_7_8 = (2, 60, 60, 60)  # Redfish firmware update on iDRAC7/8 needs >= 2.60
_MODEL_RE = re.compile(r"^\s*(\d{2})G\b", re.IGNORECASE)


def generation_from_model(model: str | None) -> Generation:
    """`Manager.Model` -> generation; UNKNOWN when the model does not start with "<nn>G"."""
    m = _MODEL_RE.match(model or "")
    if not m:
        return Generation.UNKNOWN
    n = int(m.group(1))
    if n == 12:
        return Generation.IDRAC7
    if n == 13:
        return Generation.IDRAC8
    if 14 <= n <= 16:
        return Generation.IDRAC9
    if n >= 17:
        return Generation.IDRAC10
    return Generation.UNKNOWN


def version_tuple(version: str | None) -> tuple[int, ...]:
    """ "2.65.65.65" -> (2, 65, 65, 65); non-numeric parts end the tuple."""
    out: list[int] = []
    for part in (version or "").split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        out.append(int(digits.group(0)))
    return tuple(out)


def link(doc: Mapping[str, Any] | None, *keys: str) -> str | None:
    """`doc[k1][k2]...["@odata.id"]`, or None when any step is missing."""
    cur: Any = doc
    for k in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(k)
    if isinstance(cur, Mapping):
        uri = cur.get("@odata.id")
        return uri if isinstance(uri, str) and uri else None
    return None


def _action(doc: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    actions = doc.get("Actions") if isinstance(doc, Mapping) else None
    if not isinstance(actions, Mapping):
        return None
    act = actions.get(name)
    return act if isinstance(act, Mapping) else None


def _oem_action(doc: Mapping[str, Any] | None, suffix: str) -> Mapping[str, Any] | None:
    actions = doc.get("Actions") if isinstance(doc, Mapping) else None
    oem = actions.get("Oem") if isinstance(actions, Mapping) else None
    if not isinstance(oem, Mapping):
        return None
    for key, act in oem.items():
        if isinstance(key, str) and key.endswith(suffix) and isinstance(act, Mapping):
            return act
    return None


def _allowable(act: Mapping[str, Any] | None, param: str) -> tuple[str, ...]:
    if act is None:
        return ()
    values = act.get(f"{param}@Redfish.AllowableValues")
    if isinstance(values, list):
        return tuple(v for v in values if isinstance(v, str))
    return ()


def _target(act: Mapping[str, Any] | None) -> str | None:
    if act is None:
        return None
    t = act.get("target")
    return t if isinstance(t, str) and t else None


def dell_oem_links(*docs: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """(name, uri) of every `Links.Oem.Dell.*` link of the documents (the Manager's: Jobs,
    DellJobService, DellLCService; the System's on iDRAC9: DellSoftwareInstallationService,
    DellOSDeploymentService, ...).  On a name several documents link, the first one wins."""
    found: dict[str, str] = {}
    for doc in docs:
        for name, uri in _dell_links(doc):
            found.setdefault(name, uri)
    return tuple(sorted(found.items()))


def _dell_links(doc: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    links = doc.get("Links") if isinstance(doc, Mapping) else None
    oem = links.get("Oem") if isinstance(links, Mapping) else None
    dell = oem.get("Dell") if isinstance(oem, Mapping) else None
    out: list[tuple[str, str]] = []
    if isinstance(dell, Mapping):
        for name, value in dell.items():
            if isinstance(value, Mapping):
                uri = value.get("@odata.id")
                if isinstance(uri, str) and uri:
                    out.append((str(name), uri))
    return tuple(sorted(out))


def expand_advertised(root: Mapping[str, Any] | None) -> bool:
    feats = root.get("ProtocolFeaturesSupported") if isinstance(root, Mapping) else None
    exp = feats.get("ExpandQuery") if isinstance(feats, Mapping) else None
    if not isinstance(exp, Mapping):
        return False
    return bool(exp.get("ExpandAll") or exp.get("Levels") or exp.get("MaxLevels"))


def detect(
    *,
    root: Mapping[str, Any],
    manager: Mapping[str, Any] | None,
    system: Mapping[str, Any] | None,
    update_service: Mapping[str, Any] | None,
    manager_uri: str | None = None,
    system_uri: str | None = None,
    firmware_inventory_allow: str | None = None,
) -> Capabilities:
    """Capabilities from the service root, Manager, System and UpdateService documents.

    `firmware_inventory_allow` is the `Allow` header of the FirmwareInventory collection when
    it was read (iDRAC7/8 announce `Allow: POST` there: the push target without HttpPushUri).
    """
    generation = generation_from_model(_str(manager, "Model"))
    version = version_tuple(_str(manager, "FirmwareVersion"))
    update_uri = link(root, "UpdateService")
    fw_inv = link(update_service, "FirmwareInventory")
    http_push = _str(update_service, "HttpPushUri")
    multipart = _str(update_service, "MultipartHttpPushUri")
    if http_push is None and fw_inv is not None:
        allow = {a.strip().upper() for a in (firmware_inventory_allow or "").split(",")}
        if "POST" in allow:
            http_push = fw_inv
        elif (
            firmware_inventory_allow is None
            and generation in (Generation.IDRAC7, Generation.IDRAC8)
            and version >= MIN_PUSH_VERSION_7_8
        ):
            # 12G/13G never list HttpPushUri; Dell's scripts push to the collection from 2.60.
            http_push = fw_inv
    simple = _action(update_service, "#UpdateService.SimpleUpdate")
    install = _oem_action(update_service, "DellUpdateService.Install")
    oem = dell_oem_links(manager, system)
    jobs = dict(oem).get("Jobs")
    job_service = link(root, "JobService")
    dmtf_jobs = None
    if job_service:
        dmtf_jobs = job_service.rstrip("/") + "/Jobs"
    mgr_reset = _allowable(_action(manager, "#Manager.Reset"), "ResetType")
    sys_reset = _allowable(_action(system, "#ComputerSystem.Reset"), "ResetType")
    # $expand is advertised even on iDRAC7/8, where it can fail with a licence error: use it
    # only from iDRAC9 on (and the reader still falls back to walking members).
    expand = expand_advertised(root) and generation in (Generation.IDRAC9, Generation.IDRAC10)
    return Capabilities(
        redfish=True,
        redfish_update=bool(fw_inv and (http_push or multipart)),
        http_push_uri=http_push,
        multipart_push_uri=multipart,
        simple_update_uri=_target(simple),
        simple_update_protocols=_allowable(simple, "TransferProtocol"),
        dell_install_uri=_target(install),
        jobs_uri=jobs,
        task_service_uri=link(root, "Tasks"),
        sessions_uri=link(root, "Links", "Sessions"),
        dell_oem_services=oem,
        manager_reset_types=mgr_reset,
        system_reset_types=sys_reset,
        expand_supported=expand,
        manager_uri=manager_uri or _str(manager, "@odata.id"),
        system_uri=system_uri or _str(system, "@odata.id"),
        update_service_uri=update_uri,
        firmware_inventory_uri=fw_inv,
        dmtf_jobs_uri=dmtf_jobs,
    )


def _str(doc: Mapping[str, Any] | None, key: str) -> str | None:
    if not isinstance(doc, Mapping):
        return None
    v = doc.get(key)
    return v if isinstance(v, str) and v else None


# --- the choice table: which protocol does what on this iDRAC (docs/transports.md) ----------

# What a caller may ask for (`--transport`): one of the iDRAC's transports, or "auto" (the table
# decides per operation).
IDRAC_TRANSPORTS = (Transport.WSMAN, Transport.REDFISH)
AUTO: Final = "auto"
TransportChoice = Transport | Literal["auto"]
TRANSPORT_CHOICES: tuple[str, ...] = (AUTO, *(t.value for t in IDRAC_TRANSPORTS))
_OLD = (Generation.IDRAC7, Generation.IDRAC8)  # 12G/13G: no Redfish repository or virtual CD


def transport_choice(text: str) -> TransportChoice:
    """`--transport` text (or a choice already) as a TransportChoice; BadInputError else."""
    if text == AUTO:
        return AUTO
    for t in IDRAC_TRANSPORTS:
        if text == t.value:
            return t
    raise BadInputError(f"--transport: use one of {', '.join(TRANSPORT_CHOICES)}")


class Operation(StrEnum):
    IDENTITY = "identity"  # who/what/which firmware (also: version checks after an update)
    INVENTORY = "inventory"  # firmware components
    LC_STATUS = "lc-status"  # Lifecycle Controller / remote services readiness
    JOBS = "jobs"  # list and clear the job queue
    INSTALL = "install"  # install an image (push or pull)
    HOST_REBOOT = "host-reboot"  # reboot the host (runs staged jobs)
    REPOSITORY = "repository"  # InstallFromRepository / GetRepoBasedUpdateList
    VIRTUAL_MEDIA = "virtual-media"  # Redfish virtual CD + boot once (iDRAC9+)
    NETWORK_ISO = "network-iso"  # WS-Man BootToNetworkISO from an NFS/CIFS share (12G/13G)


# Operations one protocol cannot do at all.
_REDFISH_NEVER = frozenset({Operation.NETWORK_ISO})
_WSMAN_NEVER = frozenset({Operation.VIRTUAL_MEDIA})


def choose_transport(
    op: Operation,
    caps: Capabilities,
    *,
    forced: TransportChoice = AUTO,
    generation: Generation | None = None,
    what: str | None = None,
) -> Transport:
    """The protocol for `op` on an iDRAC with `caps` (the table in docs/transports.md).

    `generation` (from the identity) decides the delivery operations: 12G/13G have no Redfish
    repository service or virtual CD even where Redfish answers.  `what` names the operation in
    messages (default: `op`).  Raises UnsupportedOperationError (without host; the caller adds
    it) when neither works."""
    what = what or str(op)
    if forced != AUTO:
        return _forced(op, caps, forced, what)
    if _redfish_can(op, caps, generation):
        return Transport.REDFISH
    if _wsman_can(op, caps, generation):
        return Transport.WSMAN
    raise UnsupportedOperationError(_neither(op, caps, generation, what))


def _forced(op: Operation, caps: Capabilities, forced: Transport, what: str) -> Transport:
    if forced == Transport.WSMAN:
        if not caps.wsman:
            raise UnsupportedOperationError(
                f"{what}: WS-Man was asked for but /wsman did not answer"
            )
        if op in _WSMAN_NEVER:
            raise UnsupportedOperationError(f"{what}: WS-Man has no virtual CD; use Redfish")
        return Transport.WSMAN
    if not caps.redfish:
        raise UnsupportedOperationError(f"{what}: Redfish was asked for but this iDRAC has none")
    if op is Operation.INSTALL and not caps.redfish_update:
        raise UnsupportedOperationError(
            f"{what}: Redfish was asked for but this iDRAC offers no Redfish update "
            "(iDRAC7/8 need >= 2.60.60.60)"
        )
    if op is Operation.LC_STATUS and not caps.oem_service("DellLCService"):
        raise UnsupportedOperationError(
            f"{what}: this iDRAC has no Redfish DellLCService (iDRAC7/8: use WS-Man)"
        )
    if op in _REDFISH_NEVER:
        raise UnsupportedOperationError(f"{what}: Redfish has no BootToNetworkISO; use WS-Man")
    return Transport.REDFISH


def _redfish_can(op: Operation, caps: Capabilities, generation: Generation | None) -> bool:
    if not caps.redfish or op in _REDFISH_NEVER:
        return False
    if op in (Operation.REPOSITORY, Operation.VIRTUAL_MEDIA):
        return generation not in _OLD
    return {
        Operation.IDENTITY: True,
        Operation.INVENTORY: caps.firmware_inventory_uri is not None,
        Operation.LC_STATUS: caps.oem_service("DellLCService") is not None,
        # JID_CLEARALL in one call: DellJobService (iDRAC9); iDRAC7/8 Redfish deletes one by one,
        # so WS-Man's DeleteJobQueue is preferred there.
        Operation.JOBS: (caps.oem_service("DellJobService") is not None or not caps.wsman)
        and bool(caps.jobs_uri or caps.dmtf_jobs_uri),
        Operation.INSTALL: caps.redfish_update,
        Operation.HOST_REBOOT: bool(caps.system_uri),
    }[op]


def _wsman_can(op: Operation, caps: Capabilities, generation: Generation | None) -> bool:
    if not caps.wsman or op in _WSMAN_NEVER:
        return False
    if op is Operation.NETWORK_ISO:  # virtual media where the Redfish virtual CD is not usable
        return not _redfish_can(Operation.VIRTUAL_MEDIA, caps, generation)
    return True


def _neither(op: Operation, caps: Capabilities, generation: Generation | None, what: str) -> str:
    if op is Operation.REPOSITORY:
        return f"{what}: this iDRAC has neither the Redfish repository service nor WS-Man"
    if op is Operation.VIRTUAL_MEDIA:
        gen = generation if caps.redfish and generation is not None else "this iDRAC"
        return (
            f"{what} needs the iDRAC9 Redfish VirtualMedia and boot-once-to-virtual-CD; "
            f"{gen} has neither usable (InsertMedia UNVERIFIED and licence-gated, Cd boots "
            "the physical drive, WS-Man BootToNetworkISO takes NFS/CIFS only): use push or "
            "repository delivery"
        )
    if op is Operation.NETWORK_ISO:
        return f"{what}: BootToNetworkISO needs WS-Man on a 12G/13G iDRAC"
    return (
        f"{what}: neither Redfish nor WS-Man can do this on this iDRAC "
        f"(Redfish {'present' if caps.redfish else 'absent'}, WS-Man absent)"
    )
