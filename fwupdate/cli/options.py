"""The option sets several commands repeat, declared once: how to reach one iDRAC ad hoc
(`--idrac URL --user ... --ca-bundle|--fingerprint|--insecure --timeout`), the file server a
hand delivery serves from (`--serve-address/--serve-port/--serve-cert/--serve-key/
--advertise`), the hidden `--time-scale` and `--format`.  `inventory`, `idrac update-self`,
`idrac lc-status`, `idrac clear-jobs`, `idrac repo-update` and `idrac vmedia-update` take them
through these aliases and turn them into the application layer's `IdracAccess` and
`FileServerOptions` with `access()` / `file_server()`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fwupdate.app.targets import FileServerOptions, IdracAccess
from fwupdate.cli.output import OutputFormat

IdracOpt = Annotated[
    str | None, typer.Option("--idrac", help="Ad hoc: the iDRAC URL (https://host[:port]).")
]
UserOpt = Annotated[str, typer.Option("--user", help="Ad hoc: iDRAC user name.")]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option("--password-env", help="Ad hoc: environment variable holding the password."),
]
PasswordFileOpt = Annotated[
    Path | None, typer.Option("--password-file", help="Ad hoc: 0600 file holding the password.")
]
CaBundleOpt = Annotated[
    Path | None, typer.Option("--ca-bundle", help="CA bundle that signed the iDRAC certificate.")
]
FingerprintOpt = Annotated[
    str | None, typer.Option("--fingerprint", help="Pinned SHA-256 fingerprint of the cert.")
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Do not verify the iDRAC certificate (reported).")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=1, max=3600, help="Request timeout in seconds (default 30)."),
]
TimeScaleOpt = Annotated[
    float,
    typer.Option(
        "--time-scale", min=0.001, hidden=True, help="Divide every wait (simulator rehearsals)."
    ),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]
ServeAddressOpt = Annotated[
    str,
    typer.Option(
        "--serve-address", help="Address the file server listens on (the iDRAC must reach it)."
    ),
]
ServePortOpt = Annotated[
    int, typer.Option("--serve-port", min=0, max=65535, help="File server port (0: any).")
]
ServeCertOpt = Annotated[
    Path | None, typer.Option("--serve-cert", help="Serve over HTTPS with this certificate.")
]
ServeKeyOpt = Annotated[Path | None, typer.Option("--serve-key", help="Key of --serve-cert.")]
AdvertiseOpt = Annotated[
    str | None,
    typer.Option("--advertise", help="Host name/IP put in the URL (default: --serve-address)."),
]


def access(
    idrac: str | None,
    user: str,
    password_env: str | None,
    password_file: Path | None,
    ca_bundle: Path | None,
    fingerprint: str | None,
    insecure: bool,
    timeout: float | None,
) -> IdracAccess:
    """The connection option set as one value."""
    return IdracAccess(idrac=idrac, user=user, password_env=password_env,
                       password_file=password_file, ca_bundle=ca_bundle,
                       fingerprint=fingerprint, insecure=insecure, timeout=timeout)  # fmt: skip


def file_server(address: str, port: int, cert: Path | None, key: Path | None,
                advertise: str | None) -> FileServerOptions:
    """The file-server option set as one value."""
    return FileServerOptions(address=address, port=port, cert=cert, key=key,
                             advertise=advertise)  # fmt: skip
