"""Sockets a client opens but does not use: a header deadline, a head size cap, a connection cap.

uvicorn arms its keep-alive timer only after a response, so a connection that sends half a
request line (or nothing) is held forever, and a few thousand such sockets (slowloris) exhaust
the process's file descriptors. `guarded_protocol` wraps uvicorn's HTTP protocol class (httptools
or h11, whichever uvicorn picked) with what nginx and Envoy do:

- **header deadline**: a request's line and headers must arrive within ``header_timeout``
  seconds of its first byte (of the connection, for a fresh one). Past it, a connection that sent
  part of a request gets 408 in the API's envelope and is closed; one that sent nothing is closed.
  The deadline does not restart on each byte, so a slow drip does not extend it;
- **head size**: a request line and headers larger than ``max_head_bytes`` get 431 and a close
  (httptools itself sets no limit);
- **connection cap**: past ``max_connections`` open connections on the port (HTTP and upgraded
  WebSocket alike), a new connection gets 503 in the API's envelope and is closed.

Idle keep-alive connections (between requests) are closed by uvicorn's own keep-alive timer
(``timeout_keep_alive``), which `serve` sets from ``--idle-timeout``.

The wrapper only watches the protocol from outside (the bytes coming in, whether the protocol
started a new request cycle, whether it handed the socket to a WebSocket protocol), so it does
not depend on how either parser works inside.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("apitwin.mock")

#: (status, message) -> a complete HTTP/1.1 response with ``Connection: close``
Renderer = Callable[[int, str], bytes]


@dataclass(frozen=True)
class ConnectionPolicy:
    header_timeout: float = 10.0
    max_head_bytes: int = 64 * 1024
    max_connections: int = 11_000


def guarded_protocol(base: type[asyncio.Protocol], policy: ConnectionPolicy, render: Renderer) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's HTTP protocol class `base` enforcing `policy`."""
    refusals = _QuietLog(f"refused %d connection(s) past the limit of {policy.max_connections} open connections")

    class GuardedProtocol(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._head_bytes = 0       # bytes of the request head received so far
            self._refused = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > policy.max_connections:
                self._refused = True
                refusals.count()
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                self._answer(503, f"Too many open connections (limit {policy.max_connections}); try again later")
                return
            before = self.cycle
            if before is None or before.response_complete:  # reading a request head
                if self._deadline is None:
                    self._arm()
                self._head_bytes += _head_part(data)
                if self._head_bytes > policy.max_head_bytes:
                    self._answer(431, f"Request line and headers exceed {policy.max_head_bytes} bytes")
                    return
            super().data_received(data)
            if self.cycle is not before or self.transport.get_protocol() is not self:
                self._disarm()      # the head is complete (a new request cycle, or a WebSocket upgrade)
                self._head_bytes = 0

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        # -- the deadline ----------------------------------------------------------------------

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(policy.header_timeout, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return
            if self._head_bytes and not self._refused:
                self._answer(408, f"Request headers not received within {policy.header_timeout:g} s")
            else:
                self.transport.close()

        def _answer(self, status: int, message: str) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.write(render(status, message))
                self.transport.close()

    GuardedProtocol.__name__ = GuardedProtocol.__qualname__ = f"Guarded{base.__name__}"
    return GuardedProtocol


class _QuietLog:
    """One warning per `interval` seconds with how many times it happened: a flood of refused
    connections must not become a flood of log lines."""

    def __init__(self, message: str, interval: float = 10.0) -> None:
        self.message = message
        self.interval = interval
        self.pending = 0
        self.next_at = 0.0

    def count(self) -> None:
        self.pending += 1
        now = time.monotonic()
        if now >= self.next_at:
            logger.warning(self.message, self.pending)
            self.pending, self.next_at = 0, now + self.interval


def _head_part(data: bytes) -> int:
    """How many bytes of `data` belong to a request head: up to its blank line, if it has one
    (what follows is a body, capped elsewhere), else all of it."""
    ends = [found + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (found := data.find(mark)) >= 0]
    return min(ends) if ends else len(data)


def response_bytes(status: int, reason: str, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 response that ends the connection."""
    lines = [f"HTTP/1.1 {status} {reason}", f"content-type: {media_type}", f"content-length: {len(body)}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
