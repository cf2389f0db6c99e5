"""Prometheus text exposition through the official client (prometheus-client).

`MetricsSink`: `fwupdate run|resume --metrics-file PATH` — the night's state, rewritten
atomically (fwupdate.atomicfile) after every event, for node_exporter's textfile collector or
any scraper of files.  `inventory_text(document)`: `fwupdate inventory --format prometheus`.
Names and labels: docs/observability.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from fwupdate.atomicfile import write_text_atomic
from fwupdate.observe.events import Event

RUN_STATES = ("running", "finished", "interrupted")
PAIR_STATES = ("pending", "running", "done", "failed", "stopped", "deferred", "interrupted")


@dataclass
class MetricsSeed:
    """What the run knows before it starts (from the plan and, on resume, the journal)."""

    run: str
    pairs: dict[str, tuple[str, ...]]  # pair -> its nodes
    steps_total: dict[str, int]
    steps_done: dict[str, int]
    versions: dict[tuple[str, str], str]  # (node, component) -> version
    pair_status: dict[str, str] = field(default_factory=dict)


class MetricsSink:
    def __init__(self, path: Path, seed: MetricsSeed) -> None:
        self.path = path
        self.seed = seed
        self._lock = threading.Lock()
        self.run_status = "running"
        self.started = time.time()
        self.last_success: dict[str, float] = {}
        self.run_success: float | None = None
        for p in seed.pairs:
            seed.pair_status.setdefault(p, "pending")
        self.write()

    def handle(self, event: Event) -> None:
        with self._lock:
            self._apply(event)
        self.write()

    def _apply(self, e: Event) -> None:
        s = self.seed
        if e.name == "pair_started" and e.pair:
            s.pair_status[e.pair] = "running"
        elif e.name == "step_finished" and e.pair and e.status == "done":
            s.steps_done[e.pair] = s.steps_done.get(e.pair, 0) + 1
            for comp, version in (e.data.get("versions") or {}).items():
                if e.node:
                    s.versions[(e.node, str(comp))] = str(version)
        elif e.name.startswith("pair_") and e.pair and e.status:
            s.pair_status[e.pair] = e.status
            if e.status == "done":
                self.last_success[e.pair] = time.time()
        elif e.name == "run_finished":
            self.run_status = e.status or "finished"
            if all(v == "done" for v in s.pair_status.values()):
                self.run_success = time.time()

    def close(self) -> None:
        self.write()

    def write(self) -> None:
        with self._lock:
            text = self.render()
        write_text_atomic(self.path, text)

    def render(self) -> str:
        s = self.seed
        reg = CollectorRegistry()
        run = s.run
        _versions(reg, s.versions, {n: p for p, ns in s.pairs.items() for n in ns})
        g = Gauge("fwupdate_run_status", "1 for the run's current status.",
                  ["run", "status"], registry=reg)
        for st in RUN_STATES:
            g.labels(run, st).set(1 if st == self.run_status else 0)
        Gauge("fwupdate_run_start_time_seconds", "When this process started (or resumed) the run.",
              ["run"], registry=reg).labels(run).set(self.started)
        ps = Gauge("fwupdate_pair_status", "1 for each pair's current status.",
                   ["run", "pair", "status"], registry=reg)
        total = Gauge("fwupdate_steps", "Steps of the pair in the plan.", ["run", "pair"],
                      registry=reg)
        done = Gauge("fwupdate_steps_done", "Steps of the pair done.", ["run", "pair"],
                     registry=reg)
        last = Gauge("fwupdate_pair_last_success_time_seconds",
                     "When the pair was last finished with every step done.", ["run", "pair"],
                     registry=reg)
        for pair in s.pairs:
            for st in PAIR_STATES:
                ps.labels(run, pair, st).set(1 if s.pair_status.get(pair) == st else 0)
            total.labels(run, pair).set(s.steps_total.get(pair, 0))
            done.labels(run, pair).set(s.steps_done.get(pair, 0))
            if pair in self.last_success:
                last.labels(run, pair).set(self.last_success[pair])
        if self.run_success is not None:
            Gauge("fwupdate_last_success_time_seconds",
                  "When the run finished with every pair done.", ["run"],
                  registry=reg).labels(run).set(self.run_success)
        return generate_latest(reg).decode("utf-8")


def _versions(reg: CollectorRegistry, versions: Mapping[tuple[str, str], str],
              pair_of: Mapping[str, str | None]) -> None:
    g = Gauge("fwupdate_firmware_version_info", "Firmware version per node and component "
              "(value 1; the version is the label).", ["node", "pair", "component", "version"],
              registry=reg)
    for (node, comp), version in sorted(versions.items()):
        g.labels(node, pair_of.get(node) or "", comp, version).set(1)


def inventory_text(document: Mapping[str, Any], *, now: float | None = None) -> str:
    """`fwupdate inventory --format prometheus`: the inventory document as metrics."""
    reg = CollectorRegistry()
    versions: dict[tuple[str, str], str] = {}
    pair_of: dict[str, str | None] = {}
    ok = Gauge("fwupdate_inventory_ok", "1 when the node's iDRAC inventory was read whole.",
               ["node", "pair"], registry=reg)
    idrac = Gauge("fwupdate_idrac_info", "The node's iDRAC (value 1).",
                  ["node", "pair", "generation", "model", "firmware_version"], registry=reg)
    for n in document.get("nodes", []):
        name, pair = str(n["name"]), n.get("pair") or ""
        pair_of[name] = pair
        ok.labels(name, pair).set(0 if n.get("errors") else 1)
        i = n.get("idrac") or {}
        if i.get("firmware_version"):
            idrac.labels(name, pair, str(i.get("generation") or ""), str(i.get("model") or ""),
                         str(i["firmware_version"])).set(1)
        for c in n.get("components", []):
            if c.get("state", "Installed") in ("Installed", "Current"):
                versions[(name, str(c["name"]))] = str(c["version"])
        lm = n.get("loadmaster") or {}
        if lm.get("version"):
            versions[(name, "LoadMaster")] = str(lm["version"])
    _versions(reg, versions, pair_of)
    Gauge("fwupdate_inventory_time_seconds", "When this inventory was read.",
          registry=reg).set(now if now is not None else time.time())
    return generate_latest(reg).decode("utf-8")
