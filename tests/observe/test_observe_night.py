"""Hooks, webhooks, JSON Lines and the metrics file through `fwupdate run` against the
simulator (real HTTPS devices, a real HTTP receiver on 127.0.0.1, real hook scripts)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from receiver import receiver
from runsim import night

pytestmark = pytest.mark.integration

SCALE = 800.0
TOKEN = "s3cr3t-webhook-token-value"
LEAK = "do-not-pass-this-secret"


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def _append(fleet: Path, text: str) -> None:
    fleet.write_text(fleet.read_text() + "\n" + text + "\n")


def _metrics(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(path.read_text()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_hooks_webhooks_json_and_metrics_through_a_night(cli, demo_inputs, tmp_path: Path,
                                                         monkeypatch) -> None:
    monkeypatch.setenv("FWUPDATE_HOOK_TOKEN", TOKEN)
    monkeypatch.setenv("FWUPDATE_IDRAC_PASSWORD_X", LEAK)  # like a fleet password variable
    log = tmp_path / "hooks.log"
    hook = _script(tmp_path / "hook.sh",
                   f'env | grep -v "^_" | sort | tr "\\n" " " >> {log}; echo >> {log}')
    with receiver() as rec, night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        _append(n.fleet, f"""
[[notify.webhooks]]
url = "{rec.url}"
header = "X-Fwupdate-Token"
secret_env = "FWUPDATE_HOOK_TOKEN"

[hooks]
timeout = 20
pre_pair = ["{hook}"]
post_pair = ["{hook}"]
pre_node = ["{hook}"]
post_node = {{ argv = ["{hook}"], timeout = 5 }}
""")
        metrics = tmp_path / "night.prom"
        r = cli("--log-format", "json", *n.run_args("--yes", "--run-id", "obs-1",
                                                      "--metrics-file", str(metrics),
                                                      scale=SCALE))
        assert r.code == 0, r
        steps = len(n.plan.steps())
        again = tmp_path / "again.prom"  # resume takes the flag too (nothing left to do)
        r2 = cli("resume", "obs-1", "--runs-dir", str(tmp_path / "runs"), "--yes",
                 "--metrics-file", str(again))
        assert r2.code == 0, r2

    # webhooks: the lifecycle, with the secret header, in order
    assert rec.events() == ["run_started", "pair_done", "run_finished",  # the night
                            "run_started", "run_finished"]  # the resume: nothing left
    assert all(p["headers"]["X-Fwupdate-Token"] == TOKEN for p in rec.posts)
    done = rec.posts[1]["body"]
    assert (done["run"], done["pair"], done["status"]) == ("obs-1", "pair-3", "done")

    # hooks: pre/post per pair and per node, with the documented environment only
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    events = [next(w.split("=", 1)[1] for w in ln.split() if w.startswith("FWUPDATE_EVENT="))
              for ln in lines]
    assert events == ["pre_pair", "pre_node", "post_node", "pre_node", "post_node",
                      "post_pair"]
    assert "FWUPDATE_RUN=obs-1" in lines[0] and "FWUPDATE_PAIR=pair-3" in lines[0]
    assert "FWUPDATE_NODE=lb3" in lines[1] and "FWUPDATE_STEP=pair-3/" in lines[1]
    assert "FWUPDATE_STATUS=done" in lines[-1]
    text = log.read_text()
    assert LEAK not in text and TOKEN not in text and "PASSWORD" not in text

    # JSON Lines: every stderr line is one object with the stable fields
    docs = [json.loads(ln) for ln in r.err.splitlines() if ln.strip()]
    assert docs and all({"time", "level", "event", "run", "pair", "node", "step"} <= d.keys()
                        for d in docs)
    progress = [d for d in docs if d["event"] == "progress"]
    assert any(d["node"] and d["step"] and d["pair"] == "pair-3" for d in progress)
    assert {"run_started", "step_started", "step_finished", "pair_done", "run_finished"} <= {
        d["event"] for d in docs}
    assert all(d["run"] == "obs-1" for d in docs if d["event"] != "progress" or d["step"])
    assert TOKEN not in r.err

    # metrics: parsed by the official parser; the run, the pair, steps, versions
    m = _metrics(metrics)
    assert m[("fwupdate_run_status", (("run", "obs-1"), ("status", "finished")))] == 1
    assert m[("fwupdate_pair_status", (("pair", "pair-3"), ("run", "obs-1"),
                                       ("status", "done")))] == 1
    assert m[("fwupdate_steps_done", (("pair", "pair-3"), ("run", "obs-1")))] == steps
    assert m[("fwupdate_steps", (("pair", "pair-3"), ("run", "obs-1")))] == steps
    assert ("fwupdate_last_success_time_seconds", (("run", "obs-1"),)) in m
    versions = {(dict(k[1])["node"], dict(k[1])["component"]): dict(k[1])["version"]
                for k in m if k[0] == "fwupdate_firmware_version_info"}
    verify = [s for s in n.plan.steps() if s.kind.value == "verify" and s.node == "lb3a"]
    for x in verify[0].expect:
        comp = "LoadMaster" if x.key == "loadmaster" else x.name
        assert versions[("lb3a", comp)] == x.version
    assert not list(tmp_path.glob(".night.prom.*"))  # atomic writes leave no temp file
    m = _metrics(again)
    assert m[("fwupdate_pair_status", (("pair", "pair-3"), ("run", "obs-1"),
                                       ("status", "done")))] == 1
    assert m[("fwupdate_steps_done", (("pair", "pair-3"), ("run", "obs-1")))] == steps


def test_a_failing_pre_hook_stops_its_pair_before_anything_changes(cli, demo_inputs,
                                                                   tmp_path: Path,
                                                                   caplog) -> None:
    hook = _script(tmp_path / "silence.sh", "echo monitoring API down; exit 3")
    with receiver() as rec, night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        _append(n.fleet, f"""
[[notify.webhooks]]
url = "{rec.url}"

[[notify.webhooks]]
url = "http://127.0.0.1:9/unreachable"
attempts = 1

[hooks]
pre_pair = ["{hook}"]
""")
        r = cli(*n.run_args("--yes", "--run-id", "obs-2", scale=SCALE))
        assert r.code == 1, r
        assert n.records("flashed") == [] and n.records("job_target") == []
    assert "pair-3: failed" in r.out and "pre_pair hook" in r.out and "exited 3" in r.out
    assert rec.events() == ["run_started", "pair_failed", "run_finished"]
    failed = rec.posts[1]["body"]
    assert failed["pair"] == "pair-3" and "monitoring API down" in failed["message"]
    # the unreachable second target was logged, not fatal
    assert "not delivered" in caplog.text and "the run goes on" in caplog.text
    doc = json.loads(cli("report", "obs-2", "--runs-dir", str(tmp_path / "runs"),
                         "--format", "json").out)
    assert doc["totals"]["done"] == 0 and doc["groups"][0]["status"] == "failed"


def test_a_timed_out_pre_node_hook_fails_the_pair(cli, demo_inputs, tmp_path: Path) -> None:
    hook = _script(tmp_path / "slow.sh", "sleep 30")
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        _append(n.fleet, f'[hooks]\npre_node = {{ argv = ["{hook}"], timeout = 0.5 }}')
        r = cli(*n.run_args("--yes", "--run-id", "obs-3", scale=SCALE))
        assert r.code == 1, r
        assert n.records("flashed") == []
    assert "pre_node hook" in r.out and "timed out after 0.5 s" in r.out
    assert os.environ.get("FWUPDATE_HOOK_TOKEN") is None
