"""The HTML reports in a real headless browser (Debian chromium): the DOM chromium builds holds
the timeline rows and bars, and a screenshot shows the timeline painted (coloured bars, the red
failure, the failover marker).  `make browser` (a dependency of `make test`) installs chromium
when missing; without it these tests skip and say why."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import png_pixels
import pytest
from report_support import parse

from fwupdate.report.html import compliance_html, run_html
from fwupdate.report.svg_timeline import FAILED_COLOUR, FAILOVER_COLOUR, kind_colour

TIMEOUT_S = 90


def _chromium() -> str | None:
    explicit = os.environ.get("FWUPDATE_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _why_missing() -> str:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        how = "not root, so `make browser` cannot install it with apt-get"
    elif shutil.which("apt-get") is None:
        how = "no apt-get here to install it with"
    else:
        how = "`make browser` (part of `make test`) was not run or its apt-get install failed"
    return f"no chromium or chromium-browser on PATH: {how}; browser checks of the HTML skipped"


@pytest.fixture
def chromium(tmp_path: Path) -> Callable[..., str]:
    exe = _chromium()
    if exe is None:
        pytest.skip(_why_missing())

    def run(page: Path, *mode: str) -> str:
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=1200,900", *mode, page.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL, env={**os.environ, "HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run


def _near(colour: str, tolerance: int = 14) -> Callable[[tuple[int, ...]], bool]:
    want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    def hit(px: tuple[int, ...]) -> bool:
        return all(abs(a - b) <= tolerance for a, b in zip(px, want, strict=True))

    return hit


def _rows_with(image: png_pixels.Image, colour: str) -> list[int]:
    hit = _near(colour)
    return [y for y in range(image.height) if image.count(hit, (0, y, image.width, y + 1))]


def test_screenshot_shows_the_timeline(
    chromium: Callable[..., str], run_doc: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "night.html"
    page.write_text(run_html(run_doc), encoding="utf-8")
    shot = tmp_path / "night.png"
    chromium(page, f"--screenshot={shot}")
    image = png_pixels.decode(shot.read_bytes())
    assert (image.width, image.height) == (1200, 900)
    # where the timeline was painted: the rows holding the iDRAC-update blue
    blue_rows = _rows_with(image, kind_colour("idrac_update"))
    assert blue_rows, "no iDRAC update bar painted"
    top, bottom = min(blue_rows), max(blue_rows)
    assert 60 < top < bottom < 700, (top, bottom)  # near the top of the page: two node rows
    band = (0, max(0, top - 60), image.width, min(image.height, bottom + 120))
    non_white = image.count(lambda p: min(p) < 235, band)
    area = (band[2] - band[0]) * (band[3] - band[1])
    assert non_white > area * 0.08, (non_white, area)
    assert image.count(_near(kind_colour("idrac_update")), band) > 2000  # two long bars
    assert image.count(_near(kind_colour("host_reboot")), band) > 2000
    assert image.count(_near(FAILED_COLOUR), band) > 400  # solo's failed iDRAC update
    assert image.count(_near(FAILOVER_COLOUR), band) > 40  # the failover diamond and line
    # and the page is not a blank or error page elsewhere
    assert image.count(lambda p: min(p) < 235) < image.width * image.height * 0.6


def test_dom_holds_the_svg_rows(
    chromium: Callable[..., str], run_doc: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "night.html"
    page.write_text(run_html(run_doc), encoding="utf-8")
    dom = parse(chromium(page, "--dump-dom"))
    assert len(dom.find("svg", "timeline")) == 1
    assert [r.attrs["data-node"] for r in dom.find("g", "node-row")] == ["p1-b", "p1-a", "solo"]
    assert len(dom.find("g", "bar")) == 17
    assert len(dom.find("g", "failover")) == 1
    assert [b.attrs["data-message-id"] for b in dom.find("g", "bar-failed")] == ["RED007"]


def test_compliance_page_in_the_browser(
    chromium: Callable[..., str], tmp_path: Path
) -> None:
    doc = {
        "status": "critical", "policy": "r320", "catalog": {"source": "Catalog.xml"},
        "counts": {"ok": 1, "warning": 0, "critical": 1, "unknown": 0},
        "nodes": [
            {"node": "<b>n1</b>", "pair": "p1", "status": "critical", "components": [
                {"component": "BIOS", "kind": "bios", "current": "2.1.3", "target": "2.9.0",
                 "action": "upgrade", "planned": True, "criticality": "Urgent",
                 "reboot": "host-reboot", "package": "BIOS_X.EXE"}]},
            {"node": "n2", "pair": "p1", "status": "ok", "components": []},
        ],
    }
    page = tmp_path / "compliance.html"
    page.write_text(compliance_html(doc), encoding="utf-8")
    dom = parse(chromium(page, "--dump-dom"))
    assert [s.attrs["data-node"] for s in dom.find("section", "node")] == ["<b>n1</b>", "n2"]
    assert not dom.find("b", None) or all(e.text != "n1" for e in dom.find("b"))
    assert "2.1.3 → 2.9.0" in dom.find("table", "components")[0].text


def test_run_page_prints(chromium: Callable[..., str], run_doc: dict[str, Any],
                         tmp_path: Path) -> None:
    page = tmp_path / "night.html"
    page.write_text(run_html(run_doc), encoding="utf-8")
    pdf = tmp_path / "night.pdf"
    chromium(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    counts = [int(n) for n in re.findall(rb"/Count (\d+)", data)]
    assert counts and 1 <= max(counts) <= 6, counts  # a few A4/Letter pages, not one per row


_MEASURE = (
    "<script>var d=document.documentElement;"
    "var t=[...document.querySelectorAll('svg g.axis text.tick')];var b=t[t.length-1].getBBox();"
    "var w=document.querySelector('svg').viewBox.baseVal.width;"
    "document.title='SW='+d.scrollWidth+' CW='+d.clientWidth+' TR='+Math.ceil(b.x+b.width)"
    "+' W='+w;</script></body>"
)


def test_run_page_fits_900_px_and_keeps_its_last_tick_label(
    chromium: Callable[..., str], run_doc: dict[str, Any], tmp_path: Path
) -> None:
    """At 900 px the page does not scroll sideways (a long unbroken error, step ids, paths),
    and the timeline's last tick label (the run ending on a tick) stays inside the picture."""
    doc = dict(run_doc)
    steps = [dict(s) for s in doc["steps"]]
    steps[0]["state"], steps[0]["message_id"] = "failed", "RED007"
    steps[0]["error"] = "lb1b: job JID_123456789012 Failed: " + "/tmp/" + "x" * 40 + (
        "/runs/20261206T060257Z-d035e9-lm-backups/pair-1-lb1b-20261206T060257Z.lmbackup")
    doc["steps"] = steps
    starts = [float(s["started_at"]) for s in steps if s.get("started_at")]
    doc["finished_at"] = (int(max(starts)) // 600 + 2) * 600  # the axis ends on a tick
    page = tmp_path / "run.html"
    page.write_text(run_html(doc).replace("</body>", _MEASURE), encoding="utf-8")
    title = re.search(r"<title>(SW=[^<]*)</title>",
                      chromium(page, "--dump-dom", "--window-size=900,1200"))
    assert title is not None
    got = dict(kv.split("=") for kv in title.group(1).split())
    assert int(got["SW"]) <= int(got["CW"]), got
    assert int(got["TR"]) < float(got["W"]), got  # not touching the edge (glyphs cut)
