"""The run report page: timeline rows and bars, failures, failovers, what is left, escaping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from report_support import assert_standalone, parse

from fwupdate.report.html import run_html
from fwupdate.report.html_run import timeline_from_report
from fwupdate.report.svg_timeline import FAILED_COLOUR, kind_colour


def test_timeline_has_one_row_per_node_and_a_bar_per_started_step(run_doc: dict[str, Any]) -> None:
    page = run_html(run_doc)
    assert_standalone(page)
    dom = parse(page)
    svg = dom.find("svg", "timeline")
    assert len(svg) == 1
    rows = dom.find("g", "node-row")
    assert [r.attrs["data-node"] for r in rows] == ["p1-b", "p1-a", "solo"]
    assert [r.attrs["data-pair"] for r in dom.find("g", "pair-row")] == ["p1"]
    bars = dom.find("g", "bar")
    by_row: dict[str, list[str]] = {}
    for b in bars:
        # every bar sits inside a row group and carries its step id and kind
        assert "g" in b.parents and b.attrs["data-step"]
        by_row.setdefault(b.attrs["data-step"].split("/")[0], []).append(b.attrs["data-kind"])
    assert by_row["p1"].count("idrac_update") == 2 and by_row["p1"].count("host_reboot") == 2
    assert by_row["p1"].count("lm_stage") == 2 and "pair_postcheck" in by_row["p1"]
    assert by_row["solo"] == ["precheck", "idrac_update", "verify"]
    started = [s for s in run_doc["steps"] if s["started_at"] is not None]
    assert len(bars) == len(started) == 17


def test_failed_step_is_red_with_message_id_in_tooltip_and_table(run_doc: dict[str, Any]) -> None:
    page = run_html(run_doc)
    dom = parse(page)
    failed = dom.find("g", "bar-failed")
    assert len(failed) == 1 and failed[0].attrs["data-message-id"] == "RED007"
    rect = [e for e in dom.find("rect") if e.parents[-1:] == ("g",) and e.attrs.get("fill") ==
            FAILED_COLOUR]
    assert rect, "the failed bar is drawn in red"
    titles = [e.text for e in dom.find("title") if "RED007" in e.text]
    assert titles and "image signature check failed" in titles[0]
    table = dom.find("table", "failures")
    assert len(table) == 1 and "RED007" in table[0].text and "solo" in table[0].text


def test_in_flight_step_drawn_dashed_and_listed_as_left(run_doc: dict[str, Any]) -> None:
    page = run_html(run_doc)
    dom = parse(page)
    inflight = dom.find("g", "bar-started")
    assert [b.attrs["data-step"] for b in inflight] == ["solo/003-verify"]
    left = dom.find("table", "remaining")[0].text
    assert "solo/003-verify" in left and "solo/002-lm_reboot" in left
    assert "p1/006-verify" not in left


def test_failover_marker_spans_the_pair(run_doc: dict[str, Any]) -> None:
    tl = timeline_from_report(run_doc)
    assert tl is not None and len(tl.failovers) == 1
    assert tl.failovers[0][0] == "p1"
    dom = parse(run_html(run_doc))
    markers = dom.find("g", "failover")
    assert len(markers) == 1 and markers[0].attrs["data-pair"] == "p1"
    assert "p1-a → p1-b" in markers[0].text
    assert "p1-a" in dom.find("table", "failovers")[0].text


def test_bars_are_placed_on_a_shared_axis(run_doc: dict[str, Any]) -> None:
    dom = parse(run_html(run_doc))
    xs = {}
    for b in dom.find("g", "bar"):
        rects = [e for e in dom.elements if e.tag == "rect" and e.parents and
                 e.parents[-1] == "g" and dom.elements.index(e) > dom.elements.index(b)]
        xs[b.attrs["data-step"]] = float(rects[0].attrs["x"])
    # solo started 60 s after the pair but long before p1-a's iDRAC update
    assert xs["p1/000-pair_precheck"] < xs["solo/000-precheck"] < xs["p1/008-idrac_update"]
    assert xs["p1/002-idrac_update"] < xs["p1/005-host_reboot"] < xs["p1/011-host_reboot"]
    colours = {e.attrs.get("fill") for e in dom.find("rect")}
    assert kind_colour("idrac_update") in colours and kind_colour("host_reboot") in colours
    assert kind_colour("lm_reboot") in colours  # only in the legend: lm_reboot never started


def test_view_ends_with_the_run_not_with_the_morning_read(run_doc: dict[str, Any]) -> None:
    tl = timeline_from_report(run_doc)
    assert tl is not None
    assert run_doc["generated_at"] > run_doc["finished_at"]  # read the next morning
    assert tl.end == run_doc["finished_at"] and tl.start == run_doc["started_at"]
    live = {**run_doc, "status": "running", "finished_at": None}
    tl_live = timeline_from_report(live)
    assert tl_live is not None and tl_live.end == run_doc["generated_at"]


def test_step_table_shows_version_change() -> None:
    doc = {"run_id": "r", "steps": [
        {"step_id": "a/1", "node": "a", "kind": "idrac_update", "state": "done",
         "component": "iDRAC", "from_version": "1.57.57", "to_version": "1.66.65",
         "started_at": 10.0, "finished_at": 70.0}]}
    dom = parse(run_html(doc))
    steps = dom.find("section", "node-steps")[0].text
    assert "iDRAC 1.57.57 → 1.66.65" in steps and "1:00" in steps


def test_pair_verdicts_from_the_groups(run_doc: dict[str, Any]) -> None:
    dom = parse(run_html(run_doc))
    groups = dom.find("table", "groups")[0].text
    assert "p1" in groups and "1 / 1" in groups  # one failover done, one planned


def test_legend_names_every_kind(run_doc: dict[str, Any]) -> None:
    dom = parse(run_html(run_doc))
    legend = {e.attrs["data-kind"] for e in dom.find("g", "legend-item")}
    assert {"idrac_update", "host_reboot", "lm_reboot", "lm_stage", "firmware_stage", "verify",
            "failed", "failover", "inflight"} <= legend


def test_hostile_names_are_escaped(make_run_doc: Callable[..., dict[str, Any]]) -> None:
    evil = "<script>alert(1)</script>"
    doc = make_run_doc(solo_name=evil, solo_error='"><img src=x onerror=alert(2)> & co')
    page = run_html(doc)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_standalone(page)
    dom = parse(page)
    assert evil in [r.attrs["data-node"] for r in dom.find("g", "node-row")]
    assert any('"><img src=x onerror=alert(2)> & co' in e.text for e in dom.find("title"))


def test_run_that_never_started_still_renders() -> None:
    doc = {"run_id": "r0", "status": "created", "steps": [
        {"step_id": "n/000-precheck", "node": "n", "kind": "precheck", "state": "pending"}]}
    page = run_html(doc)
    assert_standalone(page)
    assert "No step has started yet" in page and "n/000-precheck" in page
    assert timeline_from_report(doc) is None


def test_iso_timestamps_and_nested_steps_are_read() -> None:
    doc = {
        "run_id": "r1",
        "nodes": [{"node": "a", "pair": None, "steps": [
            {"step_id": "a/1", "kind": "idrac_update", "state": "done",
             "started_at": "2026-12-01T01:00:00Z", "finished_at": "2026-12-01T01:10:00+00:00"},
            {"step_id": "a/2", "kind": "host_reboot", "state": "done",
             "started_at": "2026-12-01T01:11:00Z", "finished_at": "2026-12-01T01:20:00Z"}]}],
    }
    tl = timeline_from_report(doc)
    assert tl is not None and [r.node for r in tl.rows] == ["a"]
    assert tl.end - tl.start == 20 * 60
    dom = parse(run_html(doc))
    assert len(dom.find("g", "bar")) == 2


def test_the_last_tick_label_of_a_short_run_stays_inside_the_picture() -> None:
    """A run ending on a tick (HH:MM:SS labels): the last label ends at the right edge instead
    of being centred on it and cut off."""
    import re as _re

    from fwupdate.report.svg_timeline import Bar, Row, Timeline, render_timeline

    start = 1_800_000_000.0
    tl = Timeline(start, start + 120, (Row("n1", "n1", None,
                                           (Bar("s1", "verify", start, start + 120, "done"),)),))
    svg = str(render_timeline(tl, width=1100))
    axis = svg.split('class="axis"', 1)[1].split("</g>", 1)[0]
    labels = _re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>([\d:]+)<', axis)
    assert labels, axis
    x, anchor, text = labels[-1]
    right = float(x) if anchor == "end" else float(x) + len(text) * 6.2 / 2
    assert right <= 1100, labels[-1]


def test_a_time_scaled_run_says_which_times_are_real_and_which_device(
    run_doc: dict[str, Any],
) -> None:
    plain = run_html({**run_doc, "time_scale": 1.0})
    assert "duration (real)" not in plain and "Time-scaled run" not in plain
    page = run_html({**run_doc, "time_scale": 500.0})
    assert '<th scope="col">duration (real)</th>' in page
    assert '<th scope="col">estimate (device)</th>' in page
    assert "Time-scaled run (time-scale 500)" in page


def test_the_report_document_carries_the_runs_time_scale(journal_path: Any) -> None:
    from fwupdate.report.run_report import build_run_report
    from fwupdate.run.journal import Journal

    with Journal.open(journal_path) as j:
        assert build_run_report(j)["time_scale"] == 1.0
        j.set_options({**j.options, "settings": {"time_scale": 250.0}})
        assert build_run_report(j)["time_scale"] == 250.0


def test_left_behind_nodes_get_their_own_table(run_doc: dict[str, Any]) -> None:
    """The report's left_behind (a host powered off, a staged job armed) is on the page too."""
    assert parse(run_html(run_doc)).find("table", "left-behind") == []
    doc = {**run_doc, "left_behind": [{"node": "lb3b", "pair": "pair-3", "at": 1.9e9,
                                       "detail": "host powered off; staged job JID_1 armed"}]}
    (table,) = parse(run_html(doc)).find("table", "left-behind")
    assert "lb3b" in table.text and "host powered off" in table.text and "JID_1" in table.text
