"""HTML reports: the entry points the CLI calls.

`compliance_html(document)` renders the `fwupdate compliance --format json` document;
`run_html(report)` renders the run report (`fwupdate report RUN --format json`).  Both give one
standalone page (inline CSS and SVG, no script, no external asset).  `write_html(text, out)`
writes it atomically to a file, or to stdout when `out` is None.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from fwupdate.atomicfile import write_text_atomic
from fwupdate.report.html_compliance import render_compliance_html
from fwupdate.report.html_run import render_run_html


def compliance_html(document: Mapping[str, Any]) -> str:
    return render_compliance_html(document)


def run_html(report: Mapping[str, Any]) -> str:
    return render_run_html(report)


def write_html(text: str, out: Path | None, *, stream: TextIO | None = None) -> None:
    """To `out` through a temporary file and os.replace (never half a page), else to stdout."""
    if out is None:
        (stream or sys.stdout).write(text)
        return
    write_text_atomic(out, text)
