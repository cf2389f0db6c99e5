"""`fwupdate sim serve`: run simulated iDRACs (and LoadMasters) on 127.0.0.1 in the foreground.

  fwupdate sim serve --idracs N [--pairs N] [--profile P ...] [--time-scale X]
                     [--fleet-out fleet.toml] [--describe sim.json] [--password-file F]
                     [--event-log events.jsonl] [--fault NAME:KIND[=ARG] ...]
                     [--set DEVICE:KEY=VALUE ...] [--state-dir DIR] [--workdir DIR]
  fwupdate sim serve --spec nodes.toml ...
  fwupdate sim serve --from-inventory inventory.json --fleet-out fleet.toml ...

Prints one line per device, then serves until Ctrl-C or SIGTERM (exit 0).  docs/simulator.md.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from fwupdate.cli import sim_spec
from fwupdate.errors import BadInputError, ConfigError
from fwupdate.sim.fleet import Credentials, FleetSpec, SimulatedFleet
from fwupdate.sim.idrac.device import IdracDevice
from fwupdate.sim.idrac.profiles import PROFILES

sim_app = typer.Typer(
    help="Simulated iDRACs and LoadMasters on 127.0.0.1 (tests, demo, rehearsing a night).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


def _apply_faults(fleet: SimulatedFleet, faults: list[tuple[str, str, str | None]]) -> None:
    from fwupdate.sim.idrac import faults as idrac_faults

    for name, kind, arg in faults:
        if kind in idrac_faults.KINDS:
            dev = fleet.devices.get(name)
            if not isinstance(dev, IdracDevice):
                dev = next(
                    (
                        d
                        for d in fleet.devices.values()
                        if isinstance(d, IdracDevice) and d.node == name
                    ),
                    None,
                )
            if dev is None:
                raise ConfigError(f"--fault {name}:{kind}: no simulated iDRAC or node {name!r}")
            dev.set_fault(kind, arg)
            continue
        from fwupdate.sim.loadmaster import apply_fault

        try:
            apply_fault(fleet, name, kind, arg)
        except ValueError as exc:
            raise ConfigError(f"--fault {name}:{kind}: {exc}") from None


def _state_files(fleet: SimulatedFleet, state_dir: Path, *, load: bool) -> int:
    count = 0
    for name, dev in fleet.devices.items():
        if not isinstance(dev, IdracDevice):
            continue
        path = state_dir / f"{name}.json"
        if load:
            if path.exists():
                try:
                    dev.state.load(path)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise ConfigError(f"{path}: cannot load simulator state: {exc}") from None
                count += 1
        else:
            dev.state.save(path)
            count += 1
    return count


def _copy_spec(inventory: Path) -> FleetSpec:
    """The simulated copy of a saved inventory's fleet; what it cannot copy goes to stderr."""
    from fwupdate.sim.from_inventory import (
        InventoryCopyError,
        read_inventory_json,
        spec_from_inventory,
    )

    try:
        copy = spec_from_inventory(read_inventory_json(inventory))
    except InventoryCopyError as exc:
        raise BadInputError(str(exc)) from None
    for note in copy.notes:
        typer.echo(f"fwupdate: warning: {note}", err=True)
    return copy.spec


@sim_app.command("serve")
def serve(
    idracs: Annotated[int, typer.Option("--idracs", help="Standalone nodes (iDRAC only).")] = 0,
    pairs: Annotated[
        int, typer.Option("--pairs", help="HA pairs: two nodes, each iDRAC + LoadMaster.")
    ] = 0,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help=f"iDRAC profile; repeat to cycle through nodes ({', '.join(sorted(PROFILES))}).",
        ),
    ] = None,
    lm_profile: Annotated[
        str, typer.Option("--lm-profile", help="LoadMaster profile of pair nodes.")
    ] = sim_spec.DEFAULT_LM_PROFILE,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Nodes and profiles from a TOML file.")
    ] = None,
    from_inventory: Annotated[
        Path | None,
        typer.Option(
            "--from-inventory",
            help="A simulated copy of the fleet saved by `fwupdate inventory --out FILE`.",
        ),
    ] = None,
    time_scale: Annotated[
        float, typer.Option("--time-scale", help="Divide every device delay by X.")
    ] = 1.0,
    fleet_out: Annotated[
        Path | None, typer.Option("--fleet-out", help="Write a fleet file for the devices.")
    ] = None,
    describe: Annotated[
        Path | None,
        typer.Option("--describe", help="Write a JSON description (URLs, credentials), 0600."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="0600 file: iDRAC password (or idrac=/loadmaster=)."),
    ] = None,
    event_log: Annotated[
        Path | None, typer.Option("--event-log", help="Append device events as JSON lines.")
    ] = None,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help="NAME:KIND[=ARG], repeatable.")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", help="DEVICE:KEY=VALUE device option, repeatable."),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Load iDRAC states from DIR/<name>.json; save on stop."),
    ] = None,
    state_out: Annotated[
        Path | None,
        typer.Option("--state-out", help="At stop, write every device's final state (JSON) "
                     "for `fwupdate check --sim-state`."),
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Where the CA and uploads go (default: temp).")
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option("--duration", help="Stop by itself after this many (real) seconds."),
    ] = None,
) -> None:
    """Start simulated devices and serve until Ctrl-C / SIGTERM."""
    if time_scale <= 0:
        raise BadInputError("--time-scale must be > 0")
    if sum((spec is not None, from_inventory is not None, bool(idracs or pairs))) > 1:
        raise BadInputError("give one of --spec, --from-inventory or --idracs/--pairs")
    fleet_spec: FleetSpec
    if from_inventory is not None:
        fleet_spec = _copy_spec(from_inventory)
    elif spec is not None:
        fleet_spec = sim_spec.spec_from_file(spec)
    else:
        fleet_spec = sim_spec.spec_from_counts(
            idracs=idracs, pairs=pairs, profiles=profile or (), lm_profile=lm_profile
        )
    fleet_spec = sim_spec.apply_settings(fleet_spec, setting or ())
    faults = [sim_spec.parse_fault(f) for f in fault or ()]
    creds = sim_spec.read_password_file(password_file) if password_file else Credentials()

    own_workdir = workdir is None
    base = Path(tempfile.mkdtemp(prefix="fwupdate-sim-")) if workdir is None else workdir
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            fleet = SimulatedFleet(
                fleet_spec,
                workdir=base,
                time_scale=time_scale,
                credentials=creds,
                event_log=event_log,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        try:
            try:
                fleet.start()
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            if state_dir is not None:
                state_dir.mkdir(parents=True, exist_ok=True)
                _state_files(fleet, state_dir, load=True)
            _apply_faults(fleet, faults)
            if fleet_out is not None:
                fleet.write_fleet_file(fleet_out)
            if describe is not None:
                fleet.write_describe(describe)
            for d in fleet.describe()["devices"]:
                typer.echo(
                    f"{d['name']:<12} {d['kind']:<10} {d['profile']:<18} {d['url']:<26} "
                    f"node={d['node'] or '-'} pair={d['pair'] or '-'}"
                )
            sys.stdout.flush()
            typer.echo(
                f"simulator ready: {len(fleet.devices)} device(s), time-scale {time_scale:g}; "
                "Ctrl-C or SIGTERM stops it",
                err=True,
            )
            deadline = None if duration is None else time.monotonic() + duration
            while not stop.wait(0.2):
                if deadline is not None and time.monotonic() >= deadline:
                    break
            if state_dir is not None:
                _state_files(fleet, state_dir, load=False)
            if state_out is not None:
                fleet.write_state_dump(state_out)
        finally:
            fleet.stop()
        typer.echo("simulator stopped", err=True)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if own_workdir:
            shutil.rmtree(base, ignore_errors=True)
