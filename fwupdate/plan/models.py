"""Frozen models of a plan: steps, node and pair plans, totals, schedule.

A `Plan` is what `fwupdate plan` prints and writes, and what the executor runs.  Its JSON form
(planfile.py) is versioned; docs/planning.md describes every field and every step kind.
All durations are in simulated seconds (equal to real seconds against real devices), so the
executor can scale them with the simulator's time-scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fwupdate.idrac.models import Transport
from fwupdate.loadmaster.models import HaRole


class StepKind(StrEnum):
    """What the executor must do; the contract of each kind is in docs/planning.md."""

    PAIR_PRECHECK = "pair_precheck"
    PRECHECK = "precheck"
    IDRAC_UPDATE = "idrac_update"
    FIRMWARE_APPLY_NOW = "firmware_apply_now"
    FIRMWARE_STAGE = "firmware_stage"
    LM_STAGE = "lm_stage"
    HOST_REBOOT = "host_reboot"
    REPO_UPDATE = "repo_update"  # delivery: the iDRAC pulls a repository (plan/delivery.py)
    VMEDIA_UPDATE = "vmedia_update"  # delivery: the host boots an update ISO by virtual media
    CPLD_APPLY = "cpld_apply"
    LM_REBOOT = "lm_reboot"
    VERIFY = "verify"
    PAIR_POSTCHECK = "pair_postcheck"


class Impact(StrEnum):
    """What a step does to the appliance while it runs."""

    NONE = "none"
    IDRAC_RESET = "idrac-reset"  # out-of-band management gone 60-180 s; host keeps serving
    HOST_REBOOT = "host-reboot"  # the appliance (R320 host, LoadMaster OS) goes down and up
    LM_FAILOVER = "loadmaster-failover"  # the pair's active role moves to the partner


# Impacts that take the node's service down: never while the partner is not healthy.
DOWN_IMPACTS = frozenset({Impact.HOST_REBOOT})


class ComponentKind(StrEnum):
    """Dell component families, in the sense of the reboot matrix (catalog-and-dup.md §4.2)."""

    IDRAC = "idrac"
    LIFECYCLE_CONTROLLER = "lifecycle-controller"
    BIOS = "bios"
    DIAGNOSTICS = "diagnostics"
    OS_DRIVER_PACK = "os-driver-pack"
    RAID = "raid"
    BACKPLANE = "backplane"
    ENCLOSURE = "enclosure"
    NIC = "nic"
    DISK = "disk"
    FC = "fc"
    PCIE_SSD = "pcie-ssd"
    PSU = "psu"
    CPLD = "cpld"
    OTHER = "other"
    LOADMASTER = "loadmaster"  # the LoadMaster OS image, not a Dell component


class Action(StrEnum):
    """Compliance verdict for one component (OME's UpdateAction plus our own cases)."""

    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    SAME = "same"
    NOT_IN_CATALOG = "not in catalog"
    EXCLUDED = "excluded"


class Status(StrEnum):
    """OME-style rollup: a node or fleet takes the worst status of its parts."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"  # inventory could not be read

    @property
    def rank(self) -> int:
        return {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}[self.value]


@dataclass(frozen=True)
class SignatureRecord:
    """The signature verdict on a package file, computed outside the planner and recorded here.

    `sha256` identifies the exact file verified.  A step that sends a member extracted from a
    DUP (`Step.payload`, e.g. the bare `payload/firmimg.d7`) inherits this verdict: the member
    is trusted because the DUP it came from verified, and the record names that DUP.
    """

    kind: str  # authenticode | gpg
    status: str  # valid | invalid | missing | untrusted | unchecked
    signer: str = ""
    reason: str = ""
    sha256: str = ""
    file: str = ""  # the DUP (or patch) whose signature this is

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class PackageRef:
    """The package a step installs, as named by the catalog (or by the bundle for a stone)."""

    path: str  # catalog path, relative to the catalog's baseLocation / repository folder
    file_name: str
    package_type: str  # LWXP, LW64, LLXP, or IMAGE / LM-PATCH for non-DUP files
    vendor_version: str
    release_id: str | None = None
    hash_md5: str | None = None
    size: int | None = None
    criticality: str = "Unknown"
    source: str = "catalog"  # catalog | bundle | lm-image
    signature: SignatureRecord | None = None  # recorded by plan.signatures.record_signatures


@dataclass(frozen=True)
class ComponentRef:
    """The inventory component(s) a step acts on; one DUP updates every instance."""

    name: str
    kind: ComponentKind
    component_id: str | None = None
    instances: tuple[str, ...] = ()  # inventory member ids (e.g. Installed-25227-2.50.50.50)
    match_rule: str | None = None  # component-id | pci-ids | name


@dataclass(frozen=True)
class Expectation:
    """A version `verify` must find after the node's steps."""

    key: str  # component key (see match.component_key) or "loadmaster"
    name: str
    version: str


@dataclass(frozen=True)
class Step:
    step_id: str  # "<group>/<seq:03d>-<kind>", unique in the plan, stable for the same inputs
    seq: int  # position in the plan (1-based, across all groups)
    kind: StepKind
    group: str  # pair name, or the node name for a standalone node
    node: str | None  # None for pair-level steps
    rule: str  # id of the ordering rule that put it here (docs/planning.md)
    reason: str
    estimated_seconds: int
    impact: tuple[Impact, ...] = (Impact.NONE,)
    component: ComponentRef | None = None
    from_version: str | None = None
    to_version: str | None = None
    package: PackageRef | None = None
    payload: str | None = None  # member to extract and send instead of the whole DUP
    transport: Transport | None = None  # redfish | wsman | loadmaster-api in the file
    requires_partner_healthy: bool = False
    covers: tuple[str, ...] = ()  # step ids whose staged work this step applies / checks
    expect: tuple[Expectation, ...] = ()  # verify: versions that must be installed
    params: tuple[tuple[str, str], ...] = ()  # kind-specific settings (docs/planning.md)
    packages: tuple[PackageRef, ...] = ()  # repo_update / vmedia_update: every package served

    @property
    def takes_node_down(self) -> bool:
        return any(i in DOWN_IMPACTS for i in self.impact)

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    def flag(self, name: str) -> bool:
        """A yes/no param (`stone`, `restore_preferred_host`, `reboot`): "true" on disk."""
        return self.param(name) == FLAG_TRUE


FLAG_TRUE, FLAG_FALSE = "true", "false"


def flag_text(value: bool) -> str:
    """How a yes/no step param is written in the plan (and its file): "true" / "false"."""
    return FLAG_TRUE if value else FLAG_FALSE


@dataclass(frozen=True)
class Totals:
    steps: int = 0
    host_reboots: int = 0
    idrac_resets: int = 0
    failovers: int = 0
    estimated_seconds: int = 0


@dataclass(frozen=True)
class InventoryEntry:
    """A component version as seen at plan time, for the run-time drift check."""

    key: str
    name: str
    version: str


@dataclass(frozen=True)
class NodePlan:
    name: str
    group: str
    role: HaRole | None  # HA role at plan time (active / standby), None when not in a pair
    model: str | None
    system_id: str | None
    generation: str | None
    idrac_version: str | None
    loadmaster_version: str | None
    inventory_sha256: str  # fingerprint of this node's inventory (planfile.node_fingerprint)
    inventory: tuple[InventoryEntry, ...]
    totals: Totals
    # The machine behind the iDRAC at plan time (Redfish System.SKU / WS-Man
    # DCIM_SystemView.ServiceTag); checked before the node is touched (plan/identity.py).
    # None: unknown, or a plan file made before it was recorded (the check is then skipped).
    service_tag: str | None = None


@dataclass(frozen=True)
class PairPlan:
    """A pair (two nodes, sequential, standby first) or a standalone node (`standalone`)."""

    name: str
    standalone: bool
    order: tuple[str, ...]  # node names in the order they are worked on
    nodes: tuple[NodePlan, ...]
    steps: tuple[Step, ...]
    totals: Totals
    # The Virtual Services Up (by name, loadmaster.models.vs_keys) on the pair's Active unit at
    # planning time: pair_precheck refuses the pair when one of them is not Up at the night.
    # None: not recorded (no LoadMasters, or a plan file made before it was).
    vs_baseline: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ScheduleEntry:
    group: str
    slot: int  # 0-based lane of the concurrency pool
    start_seconds: int
    end_seconds: int


@dataclass(frozen=True)
class WindowFit:
    window: str  # "21:00-05:30"
    start: str  # "21:00"
    length_seconds: int
    fits: bool
    deferred: tuple[str, ...]  # groups left for the next night


@dataclass(frozen=True)
class Schedule:
    concurrency: int
    makespan_seconds: int
    critical_path_seconds: int  # the longest group: no concurrency can beat it
    lower_bound_seconds: int  # max(critical path, total work / concurrency)
    entries: tuple[ScheduleEntry, ...]
    window: WindowFit | None = None


@dataclass(frozen=True)
class SkippedNode:
    node: str
    group: str
    reason: str


@dataclass(frozen=True)
class InputDigest:
    """Where the plan came from: sources and SHA-256 of what was read."""

    catalog_source: str
    catalog_sha256: str
    inventory_source: str
    inventory_sha256: str
    bundle_source: str | None = None
    bundle_sha256: str | None = None
    lm_image_file: str | None = None
    lm_image_version: str | None = None
    lm_image_sha256: str | None = None


@dataclass(frozen=True)
class Plan:
    schema_version: int
    created_at: str  # passed in by the caller (ISO 8601); the pure core reads no clock
    tool_version: str
    inputs: InputDigest
    options: tuple[tuple[str, str], ...]
    policy_summary: tuple[tuple[str, str], ...]
    groups: tuple[PairPlan, ...]
    totals: Totals
    schedule: Schedule
    skipped: tuple[SkippedNode, ...] = ()
    warnings: tuple[str, ...] = ()
    rules: tuple[tuple[str, str], ...] = ()  # id -> text of every rule a step cites

    def steps(self) -> tuple[Step, ...]:
        return tuple(s for g in self.groups for s in g.steps)

    def node_steps(self, node: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps() if s.node == node)

    def node(self, name: str) -> NodePlan:
        for g in self.groups:
            for n in g.nodes:
                if n.name == name:
                    return n
        raise KeyError(name)
