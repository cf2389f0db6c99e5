"""`fwupdate lm ...`: LoadMaster status and the hand-driven HA-pair upgrade (docs/loadmaster.md).

  fwupdate lm status FLEET.toml [--format table|json|csv] [--pair NAME]
  fwupdate lm upgrade-pair FLEET.toml PAIR --image FILE [--target-version V] [--yes]
                                           [--restore-preferred] [--backup-dir DIR] [waits]
                                           [--allow-downgrade] [--no-rollback]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from fwupdate.app.loadmaster import (
    LmStatusRequest,
    PairUpgradeRequest,
    lm_status,
    prepare_pair_upgrade,
)
from fwupdate.cli.output import OutputFormat, emit
from fwupdate.errors import BadInputError, ExitCode
from fwupdate.loadmaster.client import DEFAULT_GET_RETRIES, DEFAULT_UPLOAD_TIMEOUT
from fwupdate.loadmaster.models import LoadMasterStatus
from fwupdate.loadmaster.pacing import DEFAULT_MIN_INTERVAL
from fwupdate.loadmaster.upgrade import UpgradePlan

lm_app = typer.Typer(
    help="Kemp LoadMaster (API v1): status of units and pairs, Kemp's HA-pair upgrade.",
    no_args_is_help=True,
)

COLUMNS = ("pair", "node", "reachable", "version", "role", "ha_mode", "preferred", "vs_up",
           "pair_health", "problem")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(lm_app, name="lm")


# --- status -------------------------------------------------------------------------------------


def _row(pair: str | None, s: LoadMasterStatus, health: str) -> dict[str, Any]:
    return {
        "pair": pair or "",
        "node": s.name,
        "reachable": s.reachable,
        "version": s.version,
        "role": s.ha_role.value,
        "ha_mode": s.ha_mode,
        "preferred": s.preferred_host,
        "vs_up": f"{s.vs_up}/{s.vs_total}" if s.reachable and not s.error else "",
        "pair_health": health,
        "problem": s.error,
    }


FleetArg = Annotated[Path, typer.Argument(help="Fleet file (TOML, docs/fleet.md).")]
MinIntervalOpt = Annotated[
    float, typer.Option("--min-interval", help="Seconds between calls to one address.")
]
RetriesOpt = Annotated[
    int, typer.Option("--retries", min=0, help="Retries of a read when the connection drops.")
]


@lm_app.command("status")
def status_cmd(
    fleet_file: FleetArg,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
    ] = OutputFormat.table,
    pair_names: Annotated[
        list[str] | None, typer.Option("--pair", help="Only this pair (repeatable).")
    ] = None,
    min_interval: MinIntervalOpt = DEFAULT_MIN_INTERVAL,
    retries: RetriesOpt = DEFAULT_GET_RETRIES,
) -> None:
    """Version, HA role and Virtual Service health of every LoadMaster; pair health.

    Exit 3 if some unit could not be read."""
    st = lm_status(LmStatusRequest(fleet_file, tuple(pair_names or ()), min_interval, retries))
    pair_states, node_states = st.pairs, st.standalone
    rows: list[dict[str, Any]] = []
    for p in pair_states:
        health = "ok" if p.healthy else "NOT OK"
        rows.extend(_row(p.name, u, health) for u in p.units)
    rows.extend(_row(None, s, "standalone") for s in node_states)
    emit(fmt, document=st.document(), rows=rows, columns=COLUMNS, title="LoadMasters")
    failed = st.unread
    for p in pair_states:
        for problem in p.problems:
            typer.echo(f"fwupdate: {p.name}: {problem}", err=True)
    if failed:
        typer.echo(
            f"fwupdate: {len(failed)} of {len(st.units)} LoadMaster units could not be read: "
            + ", ".join(failed),
            err=True,
        )
        raise typer.Exit(int(ExitCode.PARTIAL))


# --- upgrade-pair -------------------------------------------------------------------------------


def _describe_plan(plan: UpgradePlan, image: Path) -> str:
    versions = {u.name: u.version for u in plan.before.units}
    lines = [
        f"Pair {plan.pair}: upgrade to {plan.target_version} with {image}",
        f"  Active  {plan.active} ({versions.get(plan.active)})",
        f"  Standby {plan.standby} ({versions.get(plan.standby)})",
        f"  preferred host now: {plan.preferred_before} (0 = No Preferred Host)",
    ]
    if plan.to_upgrade:
        order = " then ".join(plan.to_upgrade)
        lines.append(f"  order: {order}; one failover when the Active unit reboots")
    for w in plan.warnings:
        lines.append(f"  WARNING: {w}")
    return "\n".join(lines)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


@lm_app.command("upgrade-pair")
def upgrade_pair_cmd(
    fleet_file: FleetArg,
    pair_name: Annotated[str, typer.Argument(metavar="PAIR", help="Name of the HA pair.")],
    image: Annotated[Path, typer.Option("--image", help="LoadMaster patch file (bare metal).")],
    target_version: Annotated[
        str | None,
        typer.Option("--target-version", help="Version the patch installs (default: from it)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    restore_preferred: Annotated[
        bool,
        typer.Option("--restore-preferred", help="Put the preferred-host setting back at the end."),
    ] = False,
    backup_dir: Annotated[
        Path, typer.Option("--backup-dir", help="Where both units' config backups go (0600).")
    ] = Path("lm-backups"),
    down_timeout: Annotated[
        float, typer.Option("--down-timeout", help="Max s for a unit to restart after reboot.")
    ] = 300.0,
    boot_timeout: Annotated[
        float, typer.Option("--boot-timeout", help="Max s for a unit to answer again once down.")
    ] = 1200.0,
    role_timeout: Annotated[
        float, typer.Option("--role-timeout", help="Max s for HA roles to settle / failover.")
    ] = 180.0,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", help="Seconds between polls.")
    ] = 10.0,
    min_interval: MinIntervalOpt = DEFAULT_MIN_INTERVAL,
    retries: RetriesOpt = DEFAULT_GET_RETRIES,
    upload_timeout: Annotated[
        float, typer.Option("--upload-timeout", help="Max s to wait for installpatch.")
    ] = DEFAULT_UPLOAD_TIMEOUT,
    allow_downgrade: Annotated[
        bool, typer.Option("--allow-downgrade", help="Install an image older than a unit's.")
    ] = False,
    no_rollback: Annotated[
        bool,
        typer.Option("--no-rollback", help="Leave a Standby that fails its checks on the new "
                     "image (default: restore its previous image, then stop)."),
    ] = False,
) -> None:
    """Run Kemp's HA upgrade on one pair: No Preferred Host, Standby first, then Active.

    Stops (exit 1, naming the step) before the Active unit if the Standby is not right."""
    if not yes and not _stdin_is_tty():
        raise BadInputError(
            f"refusing to upgrade pair {pair_name} without confirmation: no terminal to ask on; "
            "pass --yes"
        )
    req = PairUpgradeRequest(
        fleet_file, pair_name, image, target_version=target_version, backup_dir=backup_dir,
        restore_preferred=restore_preferred, down_timeout=down_timeout,
        boot_timeout=boot_timeout, role_timeout=role_timeout, poll_interval=poll_interval,
        min_interval=min_interval, retries=retries, upload_timeout=upload_timeout,
        allow_downgrade=allow_downgrade, rollback=not no_rollback,
    )
    with prepare_pair_upgrade(req, say=lambda m: typer.echo(m, err=True)) as prepared:
        typer.echo(_describe_plan(prepared.plan, image))
        if not prepared.plan.to_upgrade:
            typer.echo(f"Both units already run {prepared.target_version}; nothing to do.")
            return
        if not yes and not typer.confirm("Proceed?", default=False):
            typer.echo("Aborted; nothing was changed.", err=True)
            raise typer.Exit(int(ExitCode.FAILURE))
        result = prepared.run()
    typer.echo(
        f"Pair {result.pair}: {', '.join(result.upgraded)} now run {result.target_version}; "
        f"{result.active_after} is Active; preferred host {result.preferred_after}."
    )
    for path in result.backups:
        typer.echo(f"  backup: {path}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
