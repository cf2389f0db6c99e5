"""The one exception hierarchy of fwupdate.

Every error a person can meet carries what they need to act on it: the host, the step, and the
device's message id when there is one.  The CLI turns any of these into one line on stderr and the
exit code of its class (see docs/exit-codes.md); nothing else in the code base decides exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in docs/exit-codes.md."""

    OK = 0
    FAILURE = 1  # an operation failed (device refused, job failed, timeout)
    BAD_INPUT = 2  # usage error, bad file, bad config, unsafe archive, hash mismatch
    PARTIAL = 3  # a fleet command finished but some nodes failed
    INTERRUPTED = 130  # Ctrl-C / SIGTERM after a clean stop


class FwupdateError(Exception):
    """Base of every error fwupdate raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        step: str | None = None,
        message_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.host = host
        self.step = step
        self.message_id = message_id

    def __str__(self) -> str:
        parts = [p for p in (self.host, self.step) if p]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        if self.message_id:
            text = f"{text} [{self.message_id}]"
        return text


def cause_text(exc: BaseException, *, host: str | None = None) -> str:
    """`exc` as the cause inside another error's message: without the host prefix the outer
    error already carries (never "h: h: ..."); its step and message id are kept."""
    if not isinstance(exc, FwupdateError):
        return str(exc)
    if host is not None and exc.host not in (None, host):
        return str(exc)  # another device's error: its host is news
    text = f"{exc.step}: {exc.message}" if exc.step else exc.message
    return f"{text} [{exc.message_id}]" if exc.message_id else text


# --- bad input (exit 2) -------------------------------------------------------------------------


class BadInputError(FwupdateError):
    """The user gave us something we cannot use: a file, an option, a config."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(BadInputError):
    """A fleet file, policy/bundle file or option is wrong."""


class CatalogError(BadInputError):
    """A catalog is unreadable, malformed, or does not contain what was asked for."""


class UnknownModelError(CatalogError):
    """A model name or system id that fwupdate does not know."""


class DupError(BadInputError):
    """A file is not a Dell Update Package, or is damaged."""


class UnsafeArchiveError(DupError):
    """An archive member would escape the target folder, is a link, or is absurdly large."""


class HashMismatchError(DupError):
    """A package's MD5 or size does not match its catalog entry."""


class SignatureError(BadInputError):
    """A package or catalog signature is missing, invalid, untrusted, or from the wrong signer."""


# --- device / operation failures (exit 1) -------------------------------------------------------


class DeviceError(FwupdateError):
    """A device answered in a way that stops the operation."""


class DeviceUnreachableError(DeviceError):
    """Connection refused, reset, timed out, or DNS failure."""


class TLSVerificationError(DeviceError):
    """The device's certificate did not verify against the CA bundle or pinned fingerprint."""


class AuthenticationError(DeviceError):
    """The device refused the credentials (401/403)."""


class DeviceBusyError(DeviceError):
    """The device is busy (503, RAC0218 session cap, RAC0679/LC068 LC not ready)."""


class UnsupportedOperationError(DeviceError):
    """The device generation or firmware cannot do what was asked (e.g. 405 SYS402)."""


class JobFailedError(DeviceError):
    """A device job ended in a failed state."""


class WaitTimeoutError(DeviceError):
    """A bounded wait ran out (iDRAC never came back, job never finished...)."""


class HASafetyError(DeviceError):
    """An HA pair is not in a state where a node may be taken down."""


class DownloadError(FwupdateError):
    """A download broke off (network, TLS, timeout); what arrived is kept to resume."""


class PlanError(FwupdateError):
    """The plan cannot be made or no longer matches the fleet."""

    exit_code = ExitCode.BAD_INPUT


class InterruptedRunError(FwupdateError):
    """The operator stopped the run; it stopped at a safe point."""

    exit_code = ExitCode.INTERRUPTED


class HookError(FwupdateError):
    """A pre-hook (`[hooks]` in the fleet file) failed or timed out: its pair stops before
    anything changes."""


# Errors no wait tolerates: credentials refused or a certificate that does not verify will not
# heal by polling again (LC-ready, restart and job waits raise them at once).
NOT_WAITED_OUT: tuple[type[FwupdateError], ...] = (AuthenticationError, TLSVerificationError)
