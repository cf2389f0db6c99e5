"""`[hooks]`: operator commands before and after each pair and each node of a run.

A hook is an argv list (no shell) run with a timeout and a small, documented environment:
PATH, HOME, LANG, TZ from ours, plus FWUPDATE_RUN, FWUPDATE_PAIR, FWUPDATE_NODE, FWUPDATE_STEP,
FWUPDATE_EVENT (pre_pair, post_pair, pre_node, post_node) and, for post hooks,
FWUPDATE_STATUS.  Nothing else of our environment is passed on (the fleet's password variables
live there).  A failing or timed-out pre-hook raises HookError (the pair stops before anything
changes); a post-hook failure is logged only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess

from fwupdate.errors import HookError
from fwupdate.fleet.observe_models import HOOK_POINTS, HOOK_TIMEOUT, HookCommand, Hooks
from fwupdate.logsafe import redact

log = logging.getLogger("fwupdate.hooks")

POINTS = HOOK_POINTS
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
DEFAULT_TIMEOUT = HOOK_TIMEOUT
MAX_OUTPUT = 400  # characters of a failing hook's output quoted in its error


def hook_environment(point: str, *, run: str | None, pair: str | None, node: str | None,
                     step: str | None, status: str | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
    env.update({"FWUPDATE_RUN": run or "", "FWUPDATE_PAIR": pair or "",
                "FWUPDATE_NODE": node or "", "FWUPDATE_STEP": step or "",
                "FWUPDATE_EVENT": point})
    if status is not None:
        env["FWUPDATE_STATUS"] = status
    return env


def run_hook(cmd: HookCommand, point: str, env: dict[str, str], *, where: str) -> str | None:
    """Run one hook; None when it succeeded, else why it did not (one line, masked)."""
    try:
        proc = subprocess.Popen(cmd.argv, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as exc:
        return f"{point} hook {cmd.argv[0]}: cannot start: {exc.strerror}"
    try:
        out, _ = proc.communicate(timeout=cmd.timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"{point} hook {cmd.argv[0]}: timed out after {cmd.timeout:g} s"
    text = " ".join(out.decode("utf-8", "replace").split())[-MAX_OUTPUT:]
    if proc.returncode != 0:
        tail = f" ({text})" if text else ""
        return redact(f"{point} hook {cmd.argv[0]}: exited {proc.returncode}{tail}")
    log.info("%s: %s hook %s done%s", where, point, cmd.argv[0], f": {text}" if text else "")
    return None


def run_point(hooks: Hooks, point: str, *, run: str | None, pair: str | None,
              node: str | None, step: str | None = None, status: str | None = None) -> None:
    """Run the hook of `point` if one is configured: a pre-hook's failure raises HookError,
    a post-hook's is logged."""
    cmd = hooks.command(point)
    if cmd is None:
        return
    env = hook_environment(point, run=run, pair=pair, node=node, step=step, status=status)
    where = node or pair or "run"
    problem = run_hook(cmd, point, env, where=where)
    if problem is None:
        return
    if point.startswith("pre_"):
        raise HookError(f"{problem}; nothing was changed", host=where)
    log.warning("%s: %s (the run goes on)", where, problem)
