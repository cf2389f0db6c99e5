"""The `fwupdate` command: one typer app with a command group per concern.

`main(argv)` is the single place where errors become one line on stderr and an exit code
(docs/exit-codes.md).  Tests call it directly; the console script calls `run()`.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import click
import typer
from typer.core import TyperGroup

from fwupdate import __version__
from fwupdate.errors import ExitCode, FwupdateError
from fwupdate.observe import jsonlog

# One row per top-level command: (name, the modules whose `register(app)` define it, the
# one-line help shown by `fwupdate --help`).  The root group imports a command's modules only
# when that command runs, so `fwupdate catalog show` never loads the simulator, cryptography or
# the WS-Man stack; tests/misc/test_cli_lazy.py keeps the help lines equal to the commands' own.
COMMANDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("catalog", ("fwupdate.cli.catalog_cmd",),
     "Read Dell catalogs: Catalog.xml(.gz), a repository folder, an SUU .iso or an https URL."),
    ("dup", ("fwupdate.cli.dup_cmd",),
     "Inspect, verify and safely extract Dell Update Packages (never executes them)."),
    ("trust", ("fwupdate.cli.trust_cmd",),
     "Manage the trusted certificates and OpenPGP keys (nothing is ever downloaded)."),
    ("repo", ("fwupdate.cli.repo_cmd",),
     "Build verified offline repositories."),
    ("inventory", ("fwupdate.cli.inventory_cmd",),
     "Read identity and firmware inventory of every iDRAC (read-only)."),
    ("idrac", ("fwupdate.cli.idrac_cmd", "fwupdate.cli.delivery_cmd"),
     "Drive one iDRAC by hand: self-update one step, LC status, clear the job queue."),
    ("compliance", ("fwupdate.cli.compliance_cmd",),
     "Per node and component: current, target, action, criticality, reboot, package."),
    ("plan", ("fwupdate.cli.plan_cmd",),
     "Make the night's plan: ordered steps, reboots, failovers, durations, and why."),
    ("lm", ("fwupdate.cli.lm_cmd",),
     "Kemp LoadMaster (API v1): status of units and pairs, Kemp's HA-pair upgrade."),
    ("sim", ("fwupdate.cli.sim_cmd",),
     "Simulated iDRACs and LoadMasters on 127.0.0.1 (tests, demo, rehearsing a night)."),
    ("run", ("fwupdate.cli.run_cmd",),
     "Run a plan overnight: every pair updated one node at a time, journaled, resumable."),
    ("resume", ("fwupdate.cli.run_cmd",),
     "Continue a run: in-flight steps first ask the device what happened; nothing done twice."),
    ("report", ("fwupdate.cli.report_cmd",),
     "Report on a run (finished, stopped or in progress)."),
    ("check", ("fwupdate.cli.check_cmd",),
     "Judge a night from raw evidence: invariants I1-I8, every violation with its evidence."),
    ("demo", ("fwupdate.cli.demo_cmd",),
     "Simulate a night: HA pairs from iDRAC7 1.57 to current, LoadMasters patched, report."),
    ("rehearse", ("fwupdate.cli.rehearse_cmd",),
     "Dress rehearsal: run the plan against a simulated copy of the fleet, print verdicts."),
)


def load_command(name: str) -> Any:
    """The click command `name`, built from its modules' `register(app)` (imported now)."""
    row = next((r for r in COMMANDS if r[0] == name), None)
    if row is None:
        return None
    sub = typer.Typer(pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
    sub.callback()(_no_options)  # a callback keeps typer from collapsing a lone command
    for module in row[1]:
        importlib.import_module(module).register(sub)
    # typer's click types are its own (vendored in newer typer): reached by attribute only
    return getattr(typer.main.get_command(sub), "commands", {}).get(name)


def _no_options() -> None:
    """Placeholder callback of the per-command sub-app."""


class _LazyRoot(TyperGroup):
    """The root group: lists every command from COMMANDS, imports one only when it is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [r[0] for r in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return load_command(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # the root help names the commands from the table: importing every command module
        # to ask for a line it already holds would cost the start-up the laziness saves
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, _, text in COMMANDS])


app = typer.Typer(
    name="fwupdate",
    cls=_LazyRoot,
    rich_markup_mode=None,
    help="Plan and run out-of-band Dell firmware and LoadMaster updates across HA pairs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fwupdate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    log_format: str | None = typer.Option(
        None, "--log-format", metavar="text|json", show_default=False,
        help="Log and progress events on stderr: text lines (default) or JSON Lines "
             "(docs/observability.md)."),
) -> None:
    from fwupdate import userconfig

    config = userconfig.load()  # flag > environment > config file > default
    fmt = log_format or config.get("log_format") or "text"
    if fmt not in userconfig.LOG_FORMATS:
        raise click.BadParameter(f"{fmt!r}: use text or json", param_hint="'--log-format'")
    ctx.default_map = {**userconfig.default_map(config), **(ctx.default_map or {})}
    level = logging.WARNING - 10 * min(verbose, 2)
    jsonlog.configure(fmt, level)


def one_line(text: object) -> str:
    """A message on one printable line: libxml2, OS and library messages may carry newlines,
    and hostile input echoed in a message may carry lone surrogates or terminal escapes."""
    flat = " ".join(str(text).split())
    flat = flat.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in flat)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code; never lets a traceback reach the user.

    Typer runs in standalone mode (it prints usage errors itself and exits 2); errors of our own
    hierarchy become `fwupdate: error: <host>: <step>: <message> [<message id>]` and their code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    jsonlog.reset()
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="fwupdate", standalone_mode=False)
    except click.exceptions.Abort:
        jsonlog.line("fwupdate: interrupted", level="error", event="error", exit_code=130)
        return int(ExitCode.INTERRUPTED)
    except _NO_ARGS_IS_HELP as exc:  # `fwupdate` or a group alone: its help, as click would
        print(exc.format_message(), file=sys.stderr)
        return int(ExitCode.BAD_INPUT)
    except click.exceptions.ClickException as exc:
        jsonlog.line(_usage_line(exc), level="error", event="usage", exit_code=2)
        return int(ExitCode.BAD_INPUT)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return int(ExitCode.OK)
        if isinstance(code, int):
            return code
        print(f"fwupdate: error: {one_line(code)}", file=sys.stderr)
        return int(ExitCode.FAILURE)
    except FwupdateError as exc:
        if jsonlog.json_mode():
            jsonlog.emit("error", "error", one_line(exc), exit_code=int(exc.exit_code),
                         host=exc.host, message_id=exc.message_id)
        else:
            print(f"fwupdate: error: {one_line(exc)}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        jsonlog.line("fwupdate: interrupted", level="error", event="error", exit_code=130)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: still one line, traceback only on request
        if os.environ.get("FWUPDATE_DEBUG"):
            raise
        print(
            f"fwupdate: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(set FWUPDATE_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return int(ExitCode.FAILURE)
    # without standalone mode click returns the code of `typer.Exit(n)` (0 after --help)
    return rv if isinstance(rv, int) else int(ExitCode.OK)


class _NeverRaised(click.exceptions.UsageError):
    """Stands in for NoArgsIsHelpError where click has none."""


# click 8.2 raises this (a UsageError carrying the help text) for a group called alone
_NO_ARGS_IS_HELP: type[click.exceptions.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", _NeverRaised)


def _usage_line(exc: click.exceptions.ClickException) -> str:
    """A usage error as one line: the message, then where help is (docs/exit-codes.md)."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"fwupdate: usage: {message}{where}"


def run() -> None:
    """The `fwupdate` command: a fatal crash of the interpreter or of a C extension (a
    segmentation fault) still leaves the Python stack on stderr for the bug report."""
    import faulthandler

    faulthandler.enable()
    sys.exit(main())
