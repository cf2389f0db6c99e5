"""Tables print data, never rich markup: bracketed text survives (pair names, notes)."""

from __future__ import annotations

import io

from fwupdate.cli.output import OutputFormat, emit


def test_bracketed_cells_and_titles_are_printed_as_they_are() -> None:
    out = io.StringIO()
    rows = [{"pair": "[edge]", "note": "needs [opt_in] cpld = true", "x": "[bold]y[/bold]"}]
    emit(OutputFormat.table, document=None, rows=rows, columns=("pair", "note", "x"),
         title="[plan]", stream=out)
    text = out.getvalue()
    assert "[edge]" in text
    assert "[opt_in]" in text
    assert "[bold]y[/bold]" in text
    assert "[plan]" in text
