"""Where a log event happened: the run (process-wide) and the pair/node/step of the worker
thread that logs it.  The executor's observer sets these; the JSON log formatter reads them."""

from __future__ import annotations

import threading

_run: dict[str, str | None] = {"run": None}
_local = threading.local()


def set_run(run_id: str | None) -> None:
    _run["run"] = run_id


def set_where(*, pair: str | None = None, node: str | None = None,
              step: str | None = None) -> None:
    """The current worker thread now works on this pair / node / step (None clears)."""
    _local.where = {"pair": pair, "node": node, "step": step}


def where() -> dict[str, str | None]:
    """`run`, `pair`, `node`, `step` of the calling thread (None where they do not apply)."""
    own: dict[str, str | None] = getattr(_local, "where", None) or {}
    return {"run": _run["run"], "pair": own.get("pair"), "node": own.get("node"),
            "step": own.get("step")}
