"""A tiny read-only HTTP(S) server for the files of the current plan.

iDRACs pull firmware from a URL (WS-Man InstallFromURI, Redfish SimpleUpdate, repository updates),
so fwupdate serves the images itself from the orchestrator host:

- bound to one address (the one the iDRACs can reach; 127.0.0.1 in tests), ephemeral port unless
  given; HTTP, or HTTPS with a given certificate and key;
- only files registered for this run are served, each under `/<run token>/<set token>/<name>`
  where both tokens are fresh random values (unguessable, different every run);
- GET and HEAD only (405 otherwise), 404 for anything not registered, no directory listing, no
  file-system path is ever derived from the request (lookup is an exact dictionary match, so
  `..`, encoded slashes and the like simply do not match);
- files are streamed in 1 MiB blocks with a single `Range: bytes=a-b` honoured;
- every access is logged and recorded (client, method, file name, status, bytes) with the
  tokens masked.

Registered files are opened without following links and must still have the size they had when
registered, so a file swapped under the server is not served.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import os
import re
import secrets
import socket
import ssl
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fwupdate.errors import BadInputError
from fwupdate.fileserver.sources import FileSource
from fwupdate.pathsafe import unsafe_name_reason

log = logging.getLogger(__name__)

CHUNK = 1 << 20
SOCKET_TIMEOUT = 60.0
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@()~ -]{0,199}$")
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ServedFile:
    url_path: str  # /<run>/<set>/<name>, percent-encoded
    name: str  # relative name inside its set, e.g. firmimg.d7 or FOLDER01/BIOS.EXE
    path: Path  # resolved file on disk (for a `source`: the image it is read from)
    size: int
    source: FileSource | None = None  # stream from here instead of opening `path`


@dataclass(frozen=True)
class Access:
    client: str
    method: str
    name: str  # the served file's name, or "-" for an unregistered path
    status: int
    bytes_sent: int
    seconds: float


def _check_name(name: str) -> str:
    """A relative name with safe segments only (`a/b.EXE`); BadInputError otherwise."""
    reason = unsafe_name_reason(name)
    if reason:
        raise BadInputError(f"cannot serve {name!r}: {reason}; names must be relative, with '/'")
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SEGMENT_RE.match(part):
            raise BadInputError(f"cannot serve {name!r}: unsafe path segment {part!r}")
    return name


def _regular_file(path: Path) -> tuple[Path, int]:
    real = Path(os.path.realpath(path))
    try:
        st = real.stat()
    except OSError as exc:
        raise BadInputError(f"cannot serve {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"cannot serve {path}: not a regular file")
    if not os.access(real, os.R_OK):
        raise BadInputError(f"cannot serve {path}: not readable")
    return real, st.st_size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fwupdate-fileserver"
    sys_version = ""
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # access lines are our own
        return

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("fileserver: " + format, *args)

    # Every method other than GET/HEAD: 405.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._discard_body()
        self._simple(405, {"Allow": "GET, HEAD"})
        self._record("-", 405, 0, time.monotonic())

    def _discard_body(self) -> None:
        # Do not read what we will not use; just make sure the connection is not reused.
        if self.headers.get("Content-Length") not in (None, "0") or self.headers.get(
            "Transfer-Encoding"
        ):
            self.close_connection = True

    def _simple(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        body = f"{status} {self.responses.get(status, ('',))[0]}\n".encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _record(self, name: str, status: int, sent: int, t0: float) -> None:
        self.server.owner._record(
            Access(
                client=str(self.client_address[0]),
                method=self.command,
                name=name,
                status=status,
                bytes_sent=sent,
                seconds=time.monotonic() - t0,
            )
        )

    def do_HEAD(self) -> None:
        self._serve_file()

    def do_GET(self) -> None:
        self._serve_file()

    def _serve_file(self) -> None:
        t0 = time.monotonic()
        raw_path = urlsplit(self.path).path
        served = self.server.owner._lookup(unquote(raw_path))
        if served is None:
            self._simple(404)
            self._record("-", 404, 0, t0)
            return
        try:
            if served.source is not None:
                stream: Any = served.source.open()
            else:
                flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                stream = os.fdopen(os.open(served.path, flags), "rb")
        except OSError as exc:
            log.warning("fileserver: cannot open %s: %s", served.name, exc.strerror)
            status = 404 if exc.errno in (errno.ENOENT, errno.ELOOP) else 500
            self._simple(status)
            self._record(served.name, status, 0, t0)
            return
        with stream as f:
            size = served.source.size if served.source else os.fstat(f.fileno()).st_size
            if size != served.size:
                log.warning(
                    "fileserver: %s changed size since it was registered (%d -> %d); refusing",
                    served.name, served.size, size,
                )
                self._simple(409)
                self._record(served.name, 409, 0, t0)
                return
            start, end, status = 0, size - 1, 200
            rng = self.headers.get("Range")
            if rng:
                m = _RANGE_RE.match(rng.strip())
                parsed = _parse_range(m, size) if m else None
                if parsed is None:
                    self._simple(416, {"Content-Range": f"bytes */{size}"})
                    self._record(served.name, 416, 0, t0)
                    return
                start, end = parsed
                status = 206
            length = max(0, end - start + 1)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            sent = 0
            if self.command == "GET" and length:
                f.seek(start)
                left = length
                try:
                    while left > 0:
                        block = f.read(min(CHUNK, left))
                        if not block:
                            break
                        self.wfile.write(block)
                        sent += len(block)
                        left -= len(block)
                except (ConnectionError, TimeoutError, ssl.SSLError, OSError):
                    self.close_connection = True
            self._record(served.name, status, sent, t0)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError, OSError):
            self.close_connection = True


def _parse_range(m: re.Match[str], size: int) -> tuple[int, int] | None:
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # suffix: last N bytes
        n = int(last)
        if n == 0:
            return None
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 32

    def __init__(
        self, owner: FileServer, address: tuple[str, int], ssl_ctx: ssl.SSLContext | None
    ) -> None:
        self.owner = owner
        self.ssl_ctx = ssl_ctx
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread: a slow TLS handshake blocks nobody else.
        request.settimeout(SOCKET_TIMEOUT)
        conn = request
        if self.ssl_ctx is not None:
            try:
                conn = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with contextlib.suppress(OSError):
                    request.close()
                return
        try:
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("fileserver: connection error", exc_info=True)


class FileServer:
    """Serve registered files read-only.  Use as a context manager (or start()/stop()).

    `bind` is the address to listen on; `advertise_host` the host name/IP put into URLs (default:
    the bind address; required when binding a wildcard address).  HTTPS when `certfile` and
    `keyfile` are given (or a ready `ssl_context`).
    """

    def __init__(
        self,
        bind: str = "127.0.0.1",
        port: int = 0,
        *,
        advertise_host: str | None = None,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if advertise_host is None and bind in ("0.0.0.0", "::", ""):  # noqa: S104
            raise BadInputError(
                "the file server binds a wildcard address: name the address the iDRACs "
                "reach it on (--serve-address / advertise_host)"
            )
        self.bind = bind
        self.port = port
        self.advertise_host = advertise_host or bind
        if ssl_context is None and certfile is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            try:
                ctx.load_cert_chain(certfile, keyfile)
            except (OSError, ssl.SSLError) as exc:
                raise BadInputError(f"file server certificate {certfile}: {exc}") from None
            ssl_context = ctx
        self._ssl = ssl_context
        self.run_token = secrets.token_urlsafe(16)
        self._files: dict[str, ServedFile] = {}  # decoded url path -> file
        self._lock = threading.Lock()
        self._accesses: list[Access] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self._ssl is not None else "http"

    @property
    def base_url(self) -> str:
        host = self.advertise_host
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> FileServer:
        if self._httpd is not None:
            return self
        try:
            self._httpd = _HTTPServer(self, (self.bind, self.port), self._ssl)
        except OSError as exc:
            raise BadInputError(
                f"the file server cannot listen on {self.bind}:{self.port}: {exc.strerror}"
            ) from None
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fwupdate-fileserver",
            daemon=True,
        )
        self._thread.start()
        log.info("file server listening on %s://%s:%d", self.scheme, self.bind, self.port)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- registration ------------------------------------------------------------------------

    def register_set(self, files: Mapping[str, Path | str | FileSource]) -> str:
        """Serve `{relative name: file}` under one fresh token; returns the set's base URL
        (ending in '/'), so relative names resolve against it (repository layout).  A value may
        also be a `FileSource` (fwupdate.fileserver.sources: bytes, a slice of an ISO image)."""
        if not files:
            raise BadInputError("nothing to serve")
        set_token = secrets.token_urlsafe(12)
        prefix = f"/{self.run_token}/{set_token}/"
        entries: dict[str, ServedFile] = {}
        for name, path in files.items():
            _check_name(name)
            url_path = prefix + quote(name)
            if isinstance(path, FileSource):
                entries[prefix + name] = ServedFile(
                    url_path=url_path, name=name, path=Path(path.label or name),
                    size=path.size, source=path,
                )
                continue
            real, size = _regular_file(Path(path))
            entries[prefix + name] = ServedFile(url_path=url_path, name=name, path=real, size=size)
        with self._lock:
            self._files.update(entries)
        return self._url(prefix)

    def display_url(self, url: str) -> str:
        """`url` for logs, errors and reports: this server's per-run tokens masked
        (`http://HOST:PORT/…/NAME`, as in the access log); other URLs unchanged."""
        if self._httpd is None and self.port == 0:
            return url
        base = self.base_url
        if not url.startswith(base + "/"):
            return url
        return f"{base}/…/{url.rsplit('/', 1)[-1]}"

    def register(self, path: Path | str, *, name: str | None = None) -> str:
        """Serve one file under its own fresh token; returns its full URL."""
        p = Path(path)
        base = self.register_set({name or p.name: p})
        return base + quote(name or p.name)

    def unregister_all(self) -> None:
        with self._lock:
            self._files.clear()

    def _url(self, url_path: str) -> str:
        if self._httpd is None and self.port == 0:
            raise BadInputError("start the file server before registering files")
        return self.base_url + url_path

    def served(self) -> tuple[ServedFile, ...]:
        with self._lock:
            return tuple(self._files.values())

    def _lookup(self, decoded_path: str) -> ServedFile | None:
        with self._lock:
            return self._files.get(decoded_path)

    # --- access log --------------------------------------------------------------------------

    def _record(self, access: Access) -> None:
        with self._lock:
            self._accesses.append(access)
        log.info(
            "file server: %s %s %s -> %d (%d bytes, %.1f s)",
            access.client, access.method, access.name, access.status, access.bytes_sent,
            access.seconds,
        )

    def accesses(self) -> tuple[Access, ...]:
        with self._lock:
            return tuple(self._accesses)
