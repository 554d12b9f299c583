"""Who is connected: connections by id, by user and by topic, for one API's mock."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger("apitwin.websocket")

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class Connection:
    send_raw: Send
    user_id: str | None
    params: dict[str, str]
    channel_key: str
    principal: Any = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    topics: set[str] = field(default_factory=set)
    last_seen: float = field(default_factory=time.monotonic)
    next_heartbeat: float = 0.0
    closed: bool = False
    protocol: Any = None            # the server's protocol object, when it exposes keepalive facts

    async def send_text(self, text: str) -> bool:
        if self.closed:
            return False
        try:
            await self.send_raw({"type": "websocket.send", "text": text})
            return True
        except Exception:  # the peer went away between the check and the write
            self.closed = True
            return False

    async def close(self, code: int, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self.send_raw({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:
            pass


class Hub(Protocol):
    """Who is connected, as the WebSocket engine asks it: the seam where replicas would share
    presence and fan-out (e.g. over Redis pub/sub). `Registry` is the in-process hub."""

    connections: dict[str, Connection]

    def add(self, connection: Connection) -> bool: ...
    def remove(self, connection: Connection) -> bool: ...
    def subscribe(self, connection: Connection, topics: Iterable[str]) -> None: ...
    def unsubscribe(self, connection: Connection, topics: Iterable[str]) -> None: ...
    def of_user(self, user_id: Any) -> list[Connection]: ...
    def of_topic(self, topic: str) -> list[Connection]: ...
    def is_online(self, user_id: Any) -> bool: ...


class Registry:
    """Live connections; the indexes fan-out, delivery and presence need."""

    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.by_user: dict[str, set[Connection]] = {}
        self.by_topic: dict[str, set[Connection]] = {}

    def add(self, connection: Connection) -> bool:
        """Register; True when this is the user's first open connection."""
        self.connections[connection.id] = connection
        if connection.user_id is None:
            return False
        mine = self.by_user.setdefault(str(connection.user_id), set())
        mine.add(connection)
        return len(mine) == 1

    def remove(self, connection: Connection) -> bool:
        """Unregister; True when this was the user's last open connection."""
        self.connections.pop(connection.id, None)
        for topic in list(connection.topics):
            self.unsubscribe(connection, [topic])
        if connection.user_id is None:
            return False
        mine = self.by_user.get(str(connection.user_id))
        if mine is None:
            return False
        mine.discard(connection)
        if not mine:
            del self.by_user[str(connection.user_id)]
            return True
        return False

    def subscribe(self, connection: Connection, topics: Iterable[str]) -> None:
        for topic in topics:
            connection.topics.add(topic)
            self.by_topic.setdefault(topic, set()).add(connection)

    def unsubscribe(self, connection: Connection, topics: Iterable[str]) -> None:
        for topic in topics:
            connection.topics.discard(topic)
            members = self.by_topic.get(topic)
            if members is not None:
                members.discard(connection)
                if not members:
                    del self.by_topic[topic]

    def of_user(self, user_id: Any) -> list[Connection]:
        return list(self.by_user.get(str(user_id), ()))

    def of_topic(self, topic: str) -> list[Connection]:
        return list(self.by_topic.get(topic, ()))

    def is_online(self, user_id: Any) -> bool:
        return bool(self.by_user.get(str(user_id)))


async def send_frame(connections: Iterable[Connection], frame: Any, stats: Any) -> int:
    """Serialise once, send to every connection; returns how many got it."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    sent = 0
    for connection in connections:
        if await connection.send_text(text):
            sent += 1
    if sent:
        stats.sent(sent)
    return sent
