"""A local webhook receiver on 127.0.0.1 for the notify tests: records every POST."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to answer first, then 200

    def events(self) -> list[str]:
        return [p["body"]["event"] for p in self.posts]


@contextmanager
def receiver() -> Iterator[Receiver]:
    rec = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            with lock:
                code = rec.answers.pop(0) if rec.answers else 200
                rec.posts.append({"path": self.path, "headers": dict(self.headers),
                                  "body": json.loads(raw), "status": code})
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
