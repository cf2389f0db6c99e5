"""Rendering of read-command results as table, JSON or CSV.

Every read command builds one document (a JSON-able object) plus a flat list of rows for table and
CSV; this module prints them.  Tables go through rich; JSON and CSV are plain and stable so that
scripts can rely on them.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TextIO


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(StrEnum):
    """`--format` of the commands that can also render a standalone HTML page (compliance,
    report); every other command keeps OutputFormat, so typer refuses `html` there."""

    table = "table"
    json = "json"
    csv = "csv"
    html = "html"

    def output(self) -> OutputFormat:
        """The OutputFormat for emit (table, json, csv); html is rendered by fwupdate.report."""
        return OutputFormat(self.value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def emit(
    fmt: OutputFormat,
    *,
    document: Any,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    stream: TextIO | None = None,
    one_item_per_line: bool = False,
) -> None:
    """Print `document` as JSON, or `rows` (restricted to `columns`) as a table or CSV.

    `one_item_per_line`: a large document (a catalog's thousands of components) is written
    with the C encoder, its top-level keys and each list item on one line (`dumps_json_lines`);
    fully indented JSON needs the pure-Python encoder, several times slower."""
    out = stream or sys.stdout
    if fmt is OutputFormat.json:
        if one_item_per_line:
            out.write(dumps_json_lines(document))
            return
        json.dump(document, out, indent=2, sort_keys=False, default=str)
        out.write("\n")
        return
    if fmt is OutputFormat.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return
    _print_table(out, rows, columns, title)


def _print_table(
    out: TextIO, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], title: str | None
) -> None:
    """rich is imported here only: JSON and CSV output never load it (start-up time)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # every cell and the title are plain Text: a pair named "[edge]" or a note saying
    # "[opt_in]" is data, never rich markup to be swallowed
    table = Table(title=Text(title) if title else None, show_lines=False)
    for c in columns:
        table.add_column(Text(c))
    for row in rows:
        table.add_row(*(Text(_cell(row.get(c))) for c in columns))
    Console(file=out, soft_wrap=False, width=None if out.isatty() else 200).print(table)


def is_tty(stream: TextIO | None = None) -> bool:
    s = stream or sys.stderr
    try:
        return s.isatty()
    except (AttributeError, ValueError):
        return False


def dumps_json(document: Any) -> str:
    return json.dumps(document, indent=2, default=str) + "\n"


def dumps_json_lines(document: Any) -> str:
    """JSON with the top-level keys of a dict on their own lines and each item of a top-level
    list on one line, every value encoded by the C encoder (same content as `dumps_json`)."""
    if not isinstance(document, dict) or not document:
        return json.dumps(document, default=str) + "\n"
    parts = []
    for key, value in document.items():
        head = f"  {json.dumps(str(key))}: "
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(item, default=str) for item in value)
            parts.append(f"{head}[\n{items}\n  ]")
        else:
            parts.append(head + json.dumps(value, default=str))
    return "{\n" + ",\n".join(parts) + "\n}\n"
