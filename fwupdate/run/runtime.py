"""One group's (pair or standalone node's) device connections during a run."""

from __future__ import annotations

from collections.abc import Iterable

from fwupdate.errors import ConfigError
from fwupdate.fleet.models import Node, Pair
from fwupdate.idrac.facade import IdracFacade
from fwupdate.idrac.models import FirmwareComponent, NodeInventory
from fwupdate.loadmaster.client import LoadMasterClient
from fwupdate.loadmaster.ha import PairClient
from fwupdate.plan.match import component_key, installed_components
from fwupdate.plan.models import PairPlan, Step, StepKind
from fwupdate.run.context import RunContext

POWER_NOTE = "power-reset"  # journal note: a Redfish ResetType about to be sent to a host
# steps after which a node's installed firmware is what it was before the step: staging a job,
# clearing the job queue and LoadMaster staging install nothing on the host's components
KEEPS_INSTALLED = frozenset({StepKind.PRECHECK, StepKind.FIRMWARE_STAGE, StepKind.LM_STAGE})


def versions_of(inv: NodeInventory) -> dict[str, str]:
    """Installed component versions by component key."""
    return versions_of_components(installed_components(inv))


def versions_of_components(components: Iterable[FirmwareComponent]) -> dict[str, str]:
    """Component versions by component key."""
    return {component_key(c): c.version for c in components}


class GroupRuntime:
    """Lazily opened clients for the nodes of one group; closed when the group ends."""

    def __init__(self, ctx: RunContext, group: PairPlan) -> None:
        self.ctx = ctx
        self.group = group
        self.pair: Pair | None = next((p for p in ctx.fleet.pairs if p.name == group.name), None)
        if not group.standalone and self.pair is None:
            raise ConfigError(f"pair {group.name} of the plan is not in the fleet file")
        self._idracs: dict[str, IdracFacade] = {}
        self._pair_client: PairClient | None = None
        self._lm: dict[str, LoadMasterClient] = {}
        # installed versions per node as the drift check read them, kept only while the steps
        # since then installed nothing (KEEPS_INSTALLED): the iDRAC7 inventory walk is the
        # costliest read of a night
        self._versions: dict[str, dict[str, str]] = {}
        # the same read's installed components (their member ids), for a targeted re-read
        self._installed: dict[str, dict[str, FirmwareComponent]] = {}
        self.current: Step | None = None  # the step running now (set by the executor)

    def node(self, name: str) -> Node:
        try:
            return self.ctx.fleet.node(name)
        except KeyError:
            raise ConfigError(f"node {name} of the plan is not in the fleet file") from None

    def idrac(self, name: str) -> IdracFacade:
        if name not in self._idracs:
            f = self.ctx.idrac(self.node(name))
            f.on_host_reset = lambda kind: self._host_reset(name, kind)
            self._idracs[name] = f
        return self._idracs[name]

    def _host_reset(self, node: str, kind: str) -> None:
        """Journal a host power change before it is sent (whichever step sends it): a resume
        finishes a cut power cycle instead of leaving the host off."""
        step = self.current.step_id if self.current is not None else None
        self.ctx.journal.record(node, step, POWER_NOTE, {"reset": kind})

    def remember_inventory(self, node: str, inv: NodeInventory) -> None:
        """The node's inventory just read from the device (its drift check)."""
        self._versions[node] = versions_of(inv)
        self._installed[node] = {component_key(c): c for c in installed_components(inv)}

    def remember_versions(self, node: str, versions: dict[str, str],
                          components: tuple[FirmwareComponent, ...] = ()) -> None:
        """Installed versions just read from the device (a firmware step's final check), with
        the components read (a targeted read) replacing the known ones."""
        self._versions[node] = dict(versions)
        known = self._installed.get(node)
        if known is not None:
            known.update((component_key(c), c) for c in components)

    def known_components(self, node: str) -> dict[str, FirmwareComponent] | None:
        """The installed components of the last read while nothing was installed since (as
        `installed_versions`), or None."""
        known = self._installed.get(node)
        return dict(known) if known is not None and node in self._versions else None

    def after_step(self, step: Step, *, ok: bool) -> None:
        """Forget what a step may have changed: versions stay known only across steps that
        install nothing, and across a firmware_apply_now that ended on its own fresh read."""
        keeps = step.kind in KEEPS_INSTALLED or (ok and step.kind is StepKind.FIRMWARE_APPLY_NOW)
        if step.node is not None and not keeps:
            self._versions.pop(step.node, None)
            self._installed.pop(step.node, None)

    def installed_versions(self, node: str) -> dict[str, str]:
        """Installed versions: the drift check's read while nothing was installed since, else
        read from the device now (device truth either way)."""
        known = self._versions.get(node)
        if known is not None:
            return dict(known)
        return versions_of(self.idrac(node).inventory())

    def fresh_idrac(self, name: str) -> IdracFacade:
        """Drop the cached facade (after an iDRAC reset the sessions are gone)."""
        old = self._idracs.pop(name, None)
        if old is not None:
            old.close()
        return self.idrac(name)

    @property
    def pair_client(self) -> PairClient | None:
        if self.pair is None or any(n.loadmaster is None for n in self.pair.nodes):
            return None
        if self._pair_client is None:
            self._pair_client = self.ctx.pair_client(self.pair)
        return self._pair_client

    def lm(self, name: str) -> LoadMasterClient | None:
        pc = self.pair_client
        if pc is not None:
            return pc.unit(name)
        if name not in self._lm:
            client = self.ctx.lm_client(self.node(name))
            if client is None:
                return None
            self._lm[name] = client
        return self._lm[name]

    def partner(self, name: str) -> str | None:
        if self.pair is None:
            return None
        a, b = self.pair.nodes
        return b.name if a.name == name else a.name

    def say(self, step: Step | None, message: str) -> None:
        label = f"{step.node or step.group}: {message}" if step is not None else message
        self.ctx.progress(self.group.name, label)

    def close(self) -> None:
        for f in self._idracs.values():
            f.close()
        self._idracs.clear()
        if self._pair_client is not None:
            self._pair_client.close()
            self._pair_client = None
        for c in self._lm.values():
            c.close()
        self._lm.clear()
