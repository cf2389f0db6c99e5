"""Request/response values passed between the simulator's HTTPS server and its devices."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    target: str  # path + query as sent
    path: str  # path only, percent-decoding left to the device
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # case-insensitive (email.message.Message)
    body_file: IO[bytes]  # spooled: small bodies in memory, large uploads on disk
    body_length: int
    client: tuple[str, int]
    _body: bytes | None = field(default=None, repr=False)

    @classmethod
    def parse_target(cls, target: str) -> tuple[str, dict[str, list[str]]]:
        path, _, qs = target.partition("?")
        return path, parse_qs(qs, keep_blank_values=True)

    def body(self) -> bytes:
        """The whole body; fine for JSON/SOAP, large uploads should read `body_file`."""
        if self._body is None:
            self.body_file.seek(0)
            self._body = self.body_file.read()
        return self._body

    def json(self) -> Any:
        return json.loads(self.body() or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        value = self.headers.get(name)
        return default if value is None else value

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic" or not token:
            return None
        try:
            user, _, pw = base64.b64decode(token.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, pw


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
        h = {"Content-Type": "application/json;odata.metadata=minimal;charset=utf-8"}
        h.update(headers or {})
        return cls(status, json.dumps(obj, indent=1).encode(), h)

    @classmethod
    def xml(
        cls, status: int, text: str | bytes, headers: Mapping[str, str] | None = None
    ) -> Response:
        h = {"Content-Type": "text/xml; charset=utf-8"}
        h.update(headers or {})
        data = text.encode("utf-8") if isinstance(text, str) else text
        return cls(status, data, h)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode("utf-8"), {"Content-Type": f"{content_type}; charset=utf-8"})

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}))


class Drop:
    """Close the connection without answering (device down, dropped connection fault)."""


DROP = Drop()
