"""Resolve credential references (environment variable or private file) to passwords.

A fleet file only names where a password lives; this module reads it at the moment a client
connects.  Every value read is registered with `fwupdate.logsafe` so that it is masked wherever
it could be logged.  Errors name the reference (the variable or the file), never the value.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from fwupdate.errors import ConfigError
from fwupdate.fleet.models import CredentialRef
from fwupdate.logsafe import register_secret

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_SECRET_FILE = 64 * 1024  # a password file is small; refuse to slurp anything big


@dataclass(frozen=True)
class Credentials:
    """A resolved username/password; the password never shows in repr()."""

    username: str
    password: str = field(repr=False)


def resolve(ref: CredentialRef, *, what: str = "credentials") -> Credentials:
    """Read the password `ref` points to.  `what` names the endpoint in error messages."""
    return Credentials(ref.username, resolve_password(ref, what=what))


def resolve_password(ref: CredentialRef, *, what: str = "credentials") -> str:
    if ref.password_env and ref.password_file:
        raise ConfigError(f"{what}: give password_env or password_file, not both")
    if ref.password_env:
        return password_from_env(ref.password_env, what=what)
    if ref.password_file:
        return password_from_file(ref.password_file, what=what)
    raise ConfigError(f"{what}: no password_env or password_file given")


def resolve_apikey(ref: CredentialRef, *, what: str = "API key") -> str | None:
    """The Kemp API key `ref` points to (apikey_env or apikey_file), None when it names none."""
    if ref.apikey_env:
        return password_from_env(ref.apikey_env, what=what)
    if ref.apikey_file:
        return password_from_file(ref.apikey_file, what=what)
    return None


def password_from_env(name: str, *, what: str = "credentials") -> str:
    if not ENV_NAME.match(name):
        raise ConfigError(f"{what}: {name!r} is not a valid environment variable name")
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"{what}: environment variable {name} is not set")
    if value == "":
        raise ConfigError(f"{what}: environment variable {name} is empty")
    register_secret(value)
    return value


def password_from_file(path: Path, *, what: str = "credentials") -> str:
    """Read a password file that only its owner may read (mode 0600 or stricter)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{what}: password file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read password file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{what}: password file {path} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{what}: password file {path} is readable or writable by group/others "
            f"(mode {mode:04o}); run: chmod 600 {path}"
        )
    if st.st_size > MAX_SECRET_FILE:
        raise ConfigError(f"{what}: password file {path} is too large to be a password file")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read password file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: password file {path} is not UTF-8 text") from None
    value = text.rstrip("\r\n")
    if not value:
        raise ConfigError(f"{what}: password file {path} is empty")
    if "\n" in value:
        raise ConfigError(f"{what}: password file {path} must hold one line")
    register_secret(value)
    return value
