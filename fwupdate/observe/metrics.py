"""Prometheus text exposition through the official client (prometheus-client).

`MetricsSink`: `fwupdate run|resume --metrics-file PATH` — the night's state, rewritten
atomically (fwupdate.atomicfile) after every event, for node_exporter's textfile collector or
any scraper of files.  `inventory_text(document)`: `fwupdate inventory --format prometheus`.
Names and labels: docs/observability.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fwupdate.atomicfile import write_text_atomic
from fwupdate.observe.events import Event

log = logging.getLogger("fwupdate.metrics")
WRITE_INTERVAL = 1.0  # real seconds between two rewrites of the metrics file, at most
RUN_STATES = ("running", "finished", "interrupted")
PAIR_STATES = ("pending", "running", "done", "degraded", "failed", "stopped", "deferred",
               "interrupted")


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
    """Keeps the night's state; a writer thread rewrites the file when it changed, at most once
    per `interval` seconds (rendering ~1,600 series takes tens of ms: never on a worker)."""

    def __init__(self, path: Path, seed: MetricsSeed, *, interval: float = WRITE_INTERVAL) -> None:
        self.path = path
        self.seed = seed
        self.interval = interval
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._dirty = threading.Event()
        self._closing = False
        self.run_status = "running"
        self.started = time.time()
        self.last_success: dict[str, float] = {}
        self.run_success: float | None = None
        self.writes = 0
        for p in seed.pairs:
            seed.pair_status.setdefault(p, "pending")
        self.write()  # an unwritable path fails here, before the night
        self._thread = threading.Thread(target=self._loop, name="fwupdate-metrics", daemon=True)
        self._thread.start()

    def handle(self, event: Event) -> None:
        with self._lock:
            self._apply(event)
        self._dirty.set()

    def _loop(self) -> None:
        while not self._closing:
            self._dirty.wait()
            if self._closing:
                return
            self._dirty.clear()
            try:
                self.write()
            except Exception as exc:  # a full disk must not stop the night: try again later
                log.warning("metrics: %s not written: %s", self.path, exc)
            time.sleep(self.interval)

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
        self._closing = True
        self._dirty.set()
        self._thread.join(self.interval + 5)
        self.write()

    def write(self) -> None:
        with self._lock:  # the state, briefly: workers wait for this in handle()
            families = list(self._families())
        with self._write_lock:  # the text and the file: never an older file last
            write_text_atomic(self.path, _text(families))
            self.writes += 1

    def render(self) -> str:
        with self._lock:
            families = list(self._families())
        return _text(families)

    def _families(self) -> Iterator[GaugeMetricFamily]:
        s, run = self.seed, self.seed.run
        yield _versions(s.versions, {n: p for p, ns in s.pairs.items() for n in ns})
        g = GaugeMetricFamily("fwupdate_run_status", "1 for the run's current status.",
                              labels=["run", "status"])
        for st in RUN_STATES:
            g.add_metric([run, st], 1 if st == self.run_status else 0)
        yield g
        g = GaugeMetricFamily("fwupdate_run_start_time_seconds",
                              "When this process started (or resumed) the run.", labels=["run"])
        g.add_metric([run], self.started)
        yield g
        ps = GaugeMetricFamily("fwupdate_pair_status", "1 for each pair's current status.",
                               labels=["run", "pair", "status"])
        total = GaugeMetricFamily("fwupdate_steps", "Steps of the pair in the plan.",
                                  labels=["run", "pair"])
        done = GaugeMetricFamily("fwupdate_steps_done", "Steps of the pair done.",
                                 labels=["run", "pair"])
        last = GaugeMetricFamily("fwupdate_pair_last_success_time_seconds",
                                 "When the pair was last finished with every step done.",
                                 labels=["run", "pair"])
        for pair in s.pairs:
            for st in PAIR_STATES:
                ps.add_metric([run, pair, st], 1 if s.pair_status.get(pair) == st else 0)
            total.add_metric([run, pair], s.steps_total.get(pair, 0))
            done.add_metric([run, pair], s.steps_done.get(pair, 0))
            if pair in self.last_success:
                last.add_metric([run, pair], self.last_success[pair])
        yield from (ps, total, done, last)
        if self.run_success is not None:
            g = GaugeMetricFamily("fwupdate_last_success_time_seconds",
                                  "When the run finished with every pair done.", labels=["run"])
            g.add_metric([run], self.run_success)
            yield g


def _text(families: list[GaugeMetricFamily]) -> str:
    reg = CollectorRegistry()
    reg.register(_Snapshot(families))
    return generate_latest(reg).decode("utf-8")


class _Snapshot(Collector):
    """Families computed once (the client's custom-collector interface)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)


def _versions(versions: Mapping[tuple[str, str], str],
              pair_of: Mapping[str, str | None]) -> GaugeMetricFamily:
    g = GaugeMetricFamily("fwupdate_firmware_version_info", "Firmware version per node and "
                          "component (value 1; the version is the label).",
                          labels=["node", "pair", "component", "version"])
    for (node, comp), version in sorted(versions.items()):
        g.add_metric([node, pair_of.get(node) or "", comp, version], 1)
    return g


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
    reg.register(_Snapshot([_versions(versions, pair_of)]))
    Gauge("fwupdate_inventory_time_seconds", "When this inventory was read.",
          registry=reg).set(now if now is not None else time.time())
    return generate_latest(reg).decode("utf-8")
