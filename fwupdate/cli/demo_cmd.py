"""`fwupdate demo`: one command from a fresh clone to a finished, reported simulated night."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.demo.scenario import PAIR_PROFILES
from fwupdate.errors import BadInputError, ExitCode


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for everything the demo writes.")] = (
        Path("demo-out")),
    time_scale: Annotated[float, typer.Option(
        "--time-scale", min=1.0, help="Simulated seconds per real second.")] = 400.0,
    pairs: Annotated[list[str] | None, typer.Option(
        "--pairs", help="Pairs to simulate (repeatable): " + ", ".join(PAIR_PROFILES))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No per-step progress.")] = False,
) -> None:
    """Simulate a night: HA pairs from iDRAC7 1.57 to current, LoadMasters patched, report."""
    from fwupdate.demo.night import run_demo

    chosen = tuple(pairs or PAIR_PROFILES)
    for p in chosen:
        if p not in PAIR_PROFILES:
            raise BadInputError(f"--pairs {p}: use {', '.join(PAIR_PROFILES)}")

    def say(msg: str) -> None:
        if not (quiet and msg.startswith("  [")):
            typer.echo(msg)

    res = run_demo(out, time_scale=time_scale, pairs=chosen, say=say)
    typer.echo("")
    import json

    report = json.loads(res.paths["report_json"].read_text(encoding="utf-8"))
    for n in report["nodes"]:
        mine = [s for s in report["steps"] if s["node"] == n["node"]]
        secs = sum(s["duration_s"] or 0 for s in mine)
        typer.echo(f"{n['pair']}/{n['node']}: {n['status']}, {n['done']}/{n['steps']} steps, "
                   f"{secs:.1f} s here")
    for g in res.run.groups:
        typer.echo(f"{g.name}: {g.status}" + (f" ({g.error})" if g.error else ""))
    for c in res.pairs:
        typer.echo(f"{c.pair}: availability record: {c.outages} outage(s), "
                   f"{c.failovers} failover(s) (planned {c.planned_failovers}) -> "
                   + ("OK" if c.ok else "NOT OK"))
    from fwupdate.check import render_text

    typer.echo("independent checker (docs/guarantees.md):")
    typer.echo(render_text(res.verdicts))
    for k, v in res.paths.items():
        typer.echo(f"{k:16} {v}")
    typer.echo(f"report:      fwupdate report {res.paths['journal']}")
    typer.echo(f"demo {'finished' if res.ok else 'FAILED'} in {res.seconds:.1f} s")
    raise typer.Exit(0 if res.ok else int(ExitCode.FAILURE))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
