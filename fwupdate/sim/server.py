"""One HTTPS listener per simulated device on 127.0.0.1, all in one process.

TLS is negotiated in the per-connection thread (not in the accept loop), so a slow or stalled
client never blocks other clients.  Request bodies are spooled to disk past 8 MiB so a large image
upload does not sit in memory.  Chunked request bodies are accepted.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any, Protocol

from fwupdate.sim.device import SimDevice
from fwupdate.sim.http import Drop, Request, Response

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024**3  # refuse absurd uploads (4 GiB)
SPOOL_IN_MEMORY = 8 * 1024 * 1024
CHUNK = 1024 * 1024


class _DropConnection(Exception):
    pass


class _Readable(Protocol):
    def read(self, n: int = ..., /) -> bytes: ...
    def readline(self, n: int = ..., /) -> bytes: ...


def _read_exact(rfile: _Readable, n: int, out: IO[bytes]) -> None:
    remaining = n
    while remaining > 0:
        data = rfile.read(min(CHUNK, remaining))
        if not data:
            raise _DropConnection("client closed during body")
        out.write(data)
        remaining -= len(data)


def _read_chunked(rfile: _Readable, out: IO[bytes]) -> int:
    total = 0
    while True:
        line = rfile.readline(1024)
        if not line:
            raise _DropConnection("client closed during chunked body")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers until blank line
                t = rfile.readline(8192)
                if t in (b"\r\n", b"\n", b""):
                    break
            return total
        total += size
        if total > MAX_BODY:
            raise _DropConnection("body too large")
        _read_exact(rfile, size, out)
        rfile.readline(8)  # CRLF after each chunk


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Appweb/4.5.4"  # what iDRAC7 2.30 announced; devices may override
    sys_version = ""
    server: DeviceHTTPServer

    def version_string(self) -> str:
        return f"{self.server_version} {self.sys_version}".strip()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.device.name, format % args)

    def _serve(self) -> None:
        device = self.server.device
        device.count_request(f"{self.command} {self.path.partition('?')[0]}")
        if not device.reachable():
            self.close_connection = True
            raise _DropConnection("device down")
        faults = device.transport_faults
        if faults.latency > 0:
            time.sleep(faults.latency)
        if faults.should_drop():
            self.close_connection = True
            raise _DropConnection("injected drop")
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                length = _read_chunked(self.rfile, body)
            else:
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > MAX_BODY:
                    self._send(Response.text(413, "request body too large"))
                    return
                _read_exact(self.rfile, length, body)
            body.seek(0)
            path, query = Request.parse_target(self.path)
            req = Request(
                method=self.command,
                target=self.path,
                path=path,
                query=query,
                headers=self.headers,  # type: ignore[arg-type]
                body_file=body,
                body_length=length,
                client=self.client_address[:2],
            )
            resp = device.handle(req)
        finally:
            body.close()
        if isinstance(resp, Drop):
            self.close_connection = True
            raise _DropConnection("device dropped the connection")
        self._send(resp)

    def _send(self, resp: Response) -> None:
        headers = dict(resp.headers)
        server = headers.pop("Server", None)
        if server is not None:  # a device may announce itself ("iDRAC/8", "Apache")
            self.server_version, self.sys_version = server, ""
        self.send_response(resp.status)
        if self.command == "HEAD":
            headers.setdefault("Content-Length", str(len(resp.body)))
        else:
            headers["Content-Length"] = str(len(resp.body))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (ConnectionError, TimeoutError, ssl.SSLError, OSError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # Route every HTTP method (GET, POST, PATCH, DELETE, PUT, HEAD...) to _serve.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class DeviceHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, device: SimDevice, ssl_ctx: ssl.SSLContext, port: int = 0) -> None:
        self.device = device
        self.ssl_ctx = ssl_ctx
        super().__init__(("127.0.0.1", port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread: do the TLS handshake here.
        request.settimeout(60)
        # Headers and body go out as separate TLS records: without TCP_NODELAY every answer
        # would wait for the client's delayed ACK (~40 ms).
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with contextlib.suppress(OSError):
                request.close()
            return
        self.device.count_connection()
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("simulator connection error on %s", self.device.name, exc_info=True)


class DeviceServer:
    """Runs one device's listener in a background thread."""

    def __init__(self, device: SimDevice, port: int = 0) -> None:
        cert = device.ctx.ca.issue(device.name)
        self.httpd = DeviceHTTPServer(device, cert.server_context(), port)
        self.port = int(self.httpd.server_address[1])
        device.url = f"https://127.0.0.1:{self.port}"
        device.fingerprint = cert.sha256_fingerprint
        self.device = device
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"sim-{device.name}",
            daemon=True,
        )

    def start(self) -> DeviceServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=2)
