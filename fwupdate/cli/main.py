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

import typer

from fwupdate import __version__
from fwupdate.errors import ExitCode, FwupdateError
from fwupdate.logsafe import install_redaction

app = typer.Typer(
    name="fwupdate",
    help="Plan and run out-of-band Dell firmware and LoadMaster updates across HA pairs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module defines `register(app)`; order is the order in --help.
_COMMAND_MODULES = (
    "fwupdate.cli.catalog_cmd",
    "fwupdate.cli.dup_cmd",
    "fwupdate.cli.inventory_cmd",
    "fwupdate.cli.idrac_cmd",
    "fwupdate.cli.delivery_cmd",
    "fwupdate.cli.compliance_cmd",
    "fwupdate.cli.plan_cmd",
    "fwupdate.cli.lm_cmd",
    "fwupdate.cli.sim_cmd",
    "fwupdate.cli.run_cmd",
    "fwupdate.cli.report_cmd",
    "fwupdate.cli.demo_cmd",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fwupdate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()


for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code; never lets a traceback reach the user.

    Typer runs in standalone mode (it prints usage errors itself and exits 2); errors of our own
    hierarchy become `fwupdate: error: <host>: <step>: <message> [<message id>]` and their code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="fwupdate", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return int(ExitCode.OK)
        if isinstance(code, int):
            return code
        print(f"fwupdate: error: {code}", file=sys.stderr)
        return int(ExitCode.FAILURE)
    except FwupdateError as exc:
        print(f"fwupdate: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("fwupdate: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: still one line, traceback only on request
        if os.environ.get("FWUPDATE_DEBUG"):
            raise
        print(
            f"fwupdate: internal error: {type(exc).__name__}: {exc} "
            "(set FWUPDATE_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return int(ExitCode.FAILURE)
    return int(ExitCode.OK)


def run() -> None:
    sys.exit(main())
