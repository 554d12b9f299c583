"""The live figures a mock reports about itself.

The realtime contract's ``/health``, ``/metrics`` and ``/info`` describe the server that answers
them: its uptime, its connections, the messages it moved. The WebSocket side updates these
counters; HTTP operations read them through a declaration instead of hand-written endpoints::

    x-apitwin-stats:                     # response body path -> stat name
      active_connections: active_connections
      stats.messages_sent: messages_sent
      server.config.port: port
    x-apitwin-capacity: {status: 503}    # answer that documented response when active >= max

Stat names are the attributes of `Stats.snapshot()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    max_connections: int = 10000
    host: str = "127.0.0.1"
    port: int = 0
    clock: Callable[[], float] = time.time
    started_at: float = field(default=0.0)
    active_connections: int = 0
    total_connections: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    errors: int = 0
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not self.started_at:
            self.started_at = self.clock()

    @property
    def uptime_seconds(self) -> int:
        return int(self.clock() - self.started_at)

    @property
    def at_capacity(self) -> bool:
        return self.active_connections >= self.max_connections

    def connection_opened(self) -> None:
        with self._lock:
            self.active_connections += 1
            self.total_connections += 1

    def connection_closed(self) -> None:
        with self._lock:
            self.active_connections = max(0, self.active_connections - 1)

    def sent(self, count: int = 1) -> None:
        with self._lock:
            self.messages_sent += count

    def received(self, count: int = 1) -> None:
        with self._lock:
            self.messages_received += count

    def error(self, count: int = 1) -> None:
        with self._lock:
            self.errors += count

    def snapshot(self) -> dict[str, Any]:
        return {
            "started_at": int(self.started_at),
            "uptime_seconds": self.uptime_seconds,
            "active_connections": self.active_connections,
            "total_connections": self.total_connections,
            "messages_sent": self.messages_sent,
            "messages_received": self.messages_received,
            "errors": self.errors,
            "requests": self.requests,
            "max_connections": self.max_connections,
            "host": self.host,
            "port": self.port,
        }
