"""A request and its reply as the engine sees them: plain values, no framework objects.

The ASGI layer builds a `Request` once (body read, query parsed, headers lower-cased) and turns
a `Reply` into bytes; everything between works on these two, which keeps handlers testable and
cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]           # lower-cased names; repeated headers joined with ", "
    body: bytes
    client: str
    path_params: dict[str, Any] = field(default_factory=dict)
    operation_id: str | None = None

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def cookies(self) -> dict[str, str]:
        cookies = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                cookies[name] = value
        return cookies

    @classmethod
    def from_scope(cls, scope: dict[str, Any], body: bytes) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers") or []:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        client = scope.get("client") or ("unknown", 0)
        return cls(
            method=scope["method"].upper(),
            path=scope.get("path", "/"),
            query_string=(scope.get("query_string") or b"").decode("latin-1"),
            headers=headers,
            body=body,
            client=str(client[0]),
        )


@dataclass
class Reply:
    status: int
    body: Any = None                  # JSON-compatible value, or bytes/str as they are
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"

    def encode(self) -> bytes:
        if self.body is None or self.status in (204, 304):
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and not (self.media_type or "").endswith("json"):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")

    def raw_headers(self, body: bytes) -> list[tuple[bytes, bytes]]:
        headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in self.headers.items()]
        if body or self.status not in (204, 304):
            if self.body is not None and self.media_type and self.status not in (204, 304):
                headers.append((b"content-type", self.media_type.encode("latin-1")))
            headers.append((b"content-length", str(len(body)).encode()))
        return headers
