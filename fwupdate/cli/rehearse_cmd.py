"""`fwupdate rehearse PLAN --inventory FILE`: the evening's dress rehearsal of the night.

    fwupdate rehearse plan.json --inventory inventory.json [--time-scale 400] [--out DIR]
                      [--repo DIR] [--lm-image FILE] [--concurrency N] [--quiet]

Starts a simulated copy of the fleet saved in FILE, runs the plan against it through the real
executor (time-scaled), prints each pair's outcome and the verdicts.  Exit 0 when every pair is
done with no violation, 1 otherwise, 2 on bad input.  docs/rehearsal.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.app.rehearse import RehearseRequest
from fwupdate.app.rehearse import rehearse as rehearse_plan
from fwupdate.errors import ExitCode


def rehearse(
    plan_file: Annotated[Path, typer.Argument(help="Plan file written by `fwupdate plan --out`.")],
    inventory: Annotated[Path, typer.Option(
        "--inventory", help="The fleet's inventory saved by `fwupdate inventory --out`.")],
    time_scale: Annotated[float, typer.Option(
        "--time-scale", min=1.0, help="Simulated seconds per real second.")] = 400.0,
    out: Annotated[Path, typer.Option(
        "--out", help="Folder for the copy's fleet file, event log and journal.")] = Path(
        "rehearsal-out"),
    repo: Annotated[Path | None, typer.Option(
        "--repo", help="Folder with the plan's packages (default: the plan's catalog folder).")
    ] = None,
    lm_image: Annotated[Path | None, typer.Option(
        "--lm-image", help="The LoadMaster image (default: the plan's, next to the plan).")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", min=1, help="Pairs at once (default: the plan's).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No per-step progress.")] = False,
) -> None:
    """Dress rehearsal: run the plan against a simulated copy of the fleet, print verdicts."""
    def say(msg: str) -> None:
        if not (quiet and msg.startswith("  [")):
            typer.echo(msg)

    res = rehearse_plan(RehearseRequest(plan_file, inventory, out=out, time_scale=time_scale,
                                        repo=repo, lm_image=lm_image, concurrency=concurrency),
                        say=say)  # fmt: skip
    for note in res.notes:
        typer.echo(f"fwupdate: warning: {note}", err=True)
    typer.echo("")
    for g in res.run.groups:
        where = f" at {g.step}" if g.step and g.status != "done" else ""
        typer.echo(f"{g.name}: {g.status}{where}" + (f" ({g.error})" if g.error else ""))
    for v in res.verdicts:
        typer.echo(f"{v.pair}: {v.check}: {'OK' if v.ok else 'VIOLATION'}: {v.detail}")
    for k, p in res.paths.items():
        typer.echo(f"{k:10} {p}")
    typer.echo(f"report:    fwupdate report {res.paths.get('journal', '')}")
    typer.echo(f"rehearsal {'passed' if res.ok else 'FAILED'} in {res.seconds:.1f} s")
    raise typer.Exit(0 if res.ok else int(ExitCode.FAILURE))


def register(app: typer.Typer) -> None:
    app.command("rehearse")(rehearse)
