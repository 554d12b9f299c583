"""The WebSocket handshake: where the token travels, who may connect, and the refusals.

Token places come from the security schemes of the channel's servers (AsyncAPI 3.0):
``httpApiKey in: query`` -> that query parameter; ``http scheme: bearer`` -> ``Authorization:
Bearer``; ``httpApiKey in: header name: Sec-WebSocket-Protocol`` -> a subprotocol
``access_token.<jwt>`` (prefix overridable with ``x-apitwin-prefix`` on the scheme), echoed on
accept. A channel whose servers declare no security takes no token. Refusals happen before the
upgrade, as HTTP responses with the API's error envelope (``x-apitwin.errors`` of openapi.yaml),
checked against ``x-apitwin-handshake-errors``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator

from mock_server.http.errors import ErrorFormat, MockError
from mock_server.websocket.contract import Channel

SUBPROTOCOL_PREFIX = "access_token."


@dataclass
class Admission:
    """A handshake that may proceed: who connects and which subprotocol to echo."""

    principal: Any = None
    subprotocol: str | None = None

    @property
    def user_id(self) -> str | None:
        value = getattr(self.principal, "user_id", None)
        return None if value is None else str(value)


class Refusal(Exception):
    """Answer the handshake with this HTTP error instead of upgrading."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details
        self.headers = headers or {}


def request_parts(scope: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(headers lower-cased, query, offered subprotocols) of a WebSocket scope."""
    headers: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        headers[name.decode("latin-1").lower()] = value.decode("latin-1")
    query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True))
    offered = list(scope.get("subprotocols") or [])
    return headers, query, offered


def find_token(channel: Channel, headers: dict[str, str], query: dict[str, str], offered: list[str]) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo) from the places the channel's security schemes declare."""
    token, subprotocol, _ = locate_token(channel, headers, query, offered)
    return token, subprotocol


def locate_token(channel: Channel, headers: dict[str, str], query: dict[str, str],
                 offered: list[str]) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(token, subprotocol to echo, the scheme it came by)."""
    for scheme in channel.security:
        kind, place, name = scheme.get("type"), scheme.get("in"), str(scheme.get("name") or "")
        if kind in ("httpApiKey", "apiKey") and place == "query" and query.get(name):
            return query[name], None, scheme
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            value = headers.get("authorization", "")
            if value[:7].lower() == "bearer " and value[7:].strip():
                return value[7:].strip(), None, scheme
        if kind in ("httpApiKey", "apiKey") and place == "header" and name.lower() == "sec-websocket-protocol":
            prefix = str(scheme.get("x-apitwin-prefix", SUBPROTOCOL_PREFIX))
            for protocol in offered:
                if protocol.startswith(prefix) and len(protocol) > len(prefix):
                    return protocol[len(prefix):], protocol, scheme
        elif kind in ("httpApiKey", "apiKey") and place == "header" and headers.get(name.lower()):
            return headers[name.lower()], None, scheme
    return None, None, None


class ConnectionRateLimit:
    """``x-apitwin-connection-rate-limit: {limit, window}``: handshakes per client per window."""

    def __init__(self, declaration: dict[str, Any] | None, clock: Any = time.monotonic) -> None:
        declaration = declaration or {}
        self.limit = int(declaration.get("limit") or 0)
        self.window = float(declaration.get("window") or 60)
        self.clock = clock
        self.seen: dict[str, deque[float]] = {}

    def check(self, client: str) -> None:
        if not self.limit:
            return
        now = self.clock()
        times = self.seen.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            retry = max(1, int(times[0] + self.window - now + 0.999))
            raise Refusal(429, "Too many connection attempts", details={"retry_after": retry},
                          headers={"Retry-After": str(retry)})
        times.append(now)


class Gate:
    """Decides one handshake: capacity, connection rate, token and roles."""

    def __init__(self, runtime: Any, channel: Channel) -> None:
        self.runtime = runtime
        self.channel = channel
        enabled = getattr(runtime.settings, "rate_limits", True)  # --rate-limits off: none at all
        self.rate = ConnectionRateLimit(channel.declarations.get("connection-rate-limit") if enabled else None)
        self.roles = list(channel.declarations.get("roles") or [])
        self.errors = ErrorFormat(runtime.declarations.get("errors"))
        self.schemas = {status: Draft202012Validator(schema) for status, schema in channel.handshake_errors.items()}

    def admit(self, scope: dict[str, Any]) -> Admission:
        stats = self.runtime.stats
        if stats.active_connections >= stats.max_connections:
            raise Refusal(503, "Server at capacity", details={"max_connections": stats.max_connections})
        headers, query, offered = request_parts(scope)
        client = str((scope.get("client") or ("unknown", 0))[0])
        if not self.channel.security:
            self.rate.check(client)
            return Admission()
        token, subprotocol, scheme = locate_token(self.channel, headers, query, offered)
        if token is None:
            raise Refusal(401, "Authentication token is missing")
        try:
            principal = self.runtime.authenticator.verify_token(token, scheme)
        except Exception as error:
            if not hasattr(error, "status"):
                raise
            raise Refusal(401, getattr(error, "message", None) or "Authentication token is invalid",
                          code=getattr(error, "code", None), details=getattr(error, "details", None) or None) from None
        self.rate.check(str(getattr(principal, "user_id", client)))
        if self.roles:  # any one of them admits, as on the HTTP side
            try:
                self.runtime.authenticator.require_roles(principal, self.roles)
            except Exception as error:
                if not hasattr(error, "status"):
                    raise
                raise Refusal(int(error.status), getattr(error, "message", None) or "Token valid but insufficient permissions",
                              code=getattr(error, "code", None), details={"required_roles": self.roles}) from None
        return Admission(principal, subprotocol)

    def render(self, refusal: Refusal) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """The refusal as (status, body, headers) in the API's envelope."""
        import json

        error = MockError(refusal.status, refusal.message, code=refusal.code, details=refusal.details)
        status, body, _ = self.errors.render(error)
        validator = self.schemas.get(status)
        if validator is not None and not validator.is_valid(body):
            # a code from the authenticator that this contract does not use: the contract's own
            status, body, _ = self.errors.render(MockError(refusal.status, refusal.message, details=refusal.details))
        data = json.dumps(body, separators=(",", ":")).encode()
        headers = [(b"content-type", self.errors.media_type.encode()), (b"content-length", str(len(data)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
        return status, data, headers
