"""Issue 11 defect 3: the machine behind each iDRAC URL must be the planned one (service tag).

Two standby nodes' iDRAC URLs swapped in the fleet file after the plan was made: the dry run
reports both, and the run refuses each pair at its first node; the simulator's event log shows
no power action, job, upload or queue change on any host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runsim import night

pytestmark = pytest.mark.integration

SCALE = 800.0
NOTHING = ("host_power", "host_reset_requested", "job_created", "upload", "job_queue_cleared")


def _swap_idrac_urls(n, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    url_a, url_b = n.sim.device(f"{a}-idrac").url, n.sim.device(f"{b}-idrac").url
    text = n.fleet.read_text()
    assert text.count(f'"{url_a}"') == 1 and text.count(f'"{url_b}"') == 1
    text = text.replace(f'"{url_a}"', '"@A@"').replace(f'"{url_b}"', f'"{url_a}"')
    n.fleet.write_text(text.replace('"@A@"', f'"{url_b}"'))


def test_swapped_idrac_urls_are_refused_before_anything(cli, demo_inputs, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # the dry-run table: one line per check
    with night(tmp_path, demo_inputs, ("pair-2", "pair-3"), SCALE) as n:
        tags = {x: n.plan.node(x).service_tag for x in ("lb2a", "lb2b", "lb3a", "lb3b")}
        assert None not in tags.values() and len(set(tags.values())) == 4
        first = {g.name: g.order[0] for g in n.plan.groups}
        a, b = first["pair-2"], first["pair-3"]
        _swap_idrac_urls(n, a, b)

        r = cli(*n.run_args("--dry-run", scale=SCALE))
        assert r.code == 3, r
        rows = [x for x in r.out.splitlines() if " identity " in x]
        assert len(rows) == 4, r.out
        assert f"{a}: wrong machine: the iDRAC at this address is service tag {tags[b]}, " \
            f"the plan expects {tags[a]}" in r.out
        assert f"the plan expects {tags[b]}" in r.out

        r = cli(*n.run_args("--yes", "--run-id", "swap", scale=SCALE))
        assert r.code == 1, r  # every pair failed
        for ev in NOTHING:
            assert n.records(ev) == [], ev
        doc = json.loads(cli("report", "swap", "--runs-dir", str(tmp_path / "runs"),
                             "--format", "json").out)
        by = {g["group"]: g for g in doc["groups"]}
        assert by["pair-2"]["status"] == by["pair-3"]["status"] == "failed"
        assert f"service tag {tags[b]}, the plan expects {tags[a]}" in by["pair-2"]["error"]
        assert f"service tag {tags[a]}, the plan expects {tags[b]}" in by["pair-3"]["error"]
        failed = {f["step_id"] for f in doc["failures"]}
        assert all(s.split("/")[1].endswith(("precheck", "pair_precheck")) for s in failed)
        assert n.availability("pair-2") == (0, 0) and n.availability("pair-3") == (0, 0)


def _strip_tags(plan_path: Path) -> None:
    """What a plan file made before service tags were recorded looks like (still intact)."""
    import hashlib

    doc = json.loads(plan_path.read_text())
    for g in doc["groups"]:
        for node in g["nodes"]:
            node.pop("service_tag", None)
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    doc["content_sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
    plan_path.write_text(json.dumps(doc, indent=2))


def test_an_old_plan_without_tags_runs_and_says_the_check_was_skipped(  # type: ignore[no-untyped-def]
    cli, demo_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    with night(tmp_path, demo_inputs, ("pair-3",), SCALE) as n:
        _strip_tags(n.plan_path)
        r = cli(*n.run_args("--dry-run", scale=SCALE))
        assert r.code == 0, r
        assert "identity check skipped" in r.out
        r = cli(*n.run_args("--yes", "--run-id", "old", scale=SCALE))
        assert r.code == 0, r
        assert "lb3b: identity check skipped: the plan records no service tag" in r.err
