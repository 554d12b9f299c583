"""The ASGI WebSocket app of one API: handshake, frames in, effects, frames out, heartbeat.

One `WebSocketApp` serves every channel of the API's AsyncAPI contract on the HTTP side's port.
A client frame is checked (size, JSON, known message, schema) and then does what its receiving
operation declares (see `effects`); the server's own frames (welcome, heartbeat, presence, events
from the HTTP side) come from send operations with ``x-apitwin-trigger`` / ``x-apitwin-events``,
and the messages it sends unprompted from its feeds (see `feeds`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from mock_server.http import bounded_json
from mock_server.websocket.audience import Conversations, Presence
from mock_server.websocket.contract import AsyncContract, Channel
from mock_server.websocket.denial import deny
from mock_server.websocket.dispatch import Dispatch
from mock_server.websocket.effects import Effects
from mock_server.websocket.errorframes import ErrorFrames
from mock_server.websocket.feeds import ChannelFeeds, FeedFrames
from mock_server.websocket.frames import Context, FrameBuilder
from mock_server.websocket.handshake import Gate, Refusal
from mock_server.websocket.liveness import last_pong, token_expired
from mock_server.websocket.registry import Connection, Hub, Registry, send_frame

logger = logging.getLogger("apitwin.websocket")

@dataclass(frozen=True)
class Timing:
    """Heartbeat overrides (tests, impatient users); None = the contract's value."""

    interval: float | None = None
    timeout: float | None = None


class ChannelRuntime:
    """One channel's live parts: its gate, error frames, effects."""

    def __init__(self, app: WebSocketApp, channel: Channel) -> None:
        self.channel = channel
        self.gate = Gate(app.runtime, channel)
        self.errors = ErrorFrames(channel, app.builder)
        interval, timeout = channel.heartbeat()
        self.interval = app.timing.interval or interval
        self.timeout = app.timing.timeout or timeout
        self.expiry: dict[str, Any] = dict(channel.declarations.get("token-expiry") or {})
        self.conversations = Conversations(app.runtime.store, channel.declarations.get("conversations"))
        self.presence = Presence(app.runtime.store, channel.declarations.get("presence"))
        self.effects = Effects(app, self)
        self.dispatch = Dispatch(channel.client_messages())
        self.feeds = ChannelFeeds(app, self)


class WebSocketApp:
    def __init__(self, runtime: Any, contract: AsyncContract, timing: Timing = Timing()) -> None:
        self.runtime = runtime
        self.contract = contract
        self.timing = timing
        self.registry: Hub = Registry()
        self.builder = FrameBuilder(runtime.generator, contract.document)
        self.feed_frames = FeedFrames(getattr(getattr(runtime, "settings", None), "seed", 0) or 0, contract.document)
        self.channels = {c.key: ChannelRuntime(self, c) for c in contract.channels}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.sweeper: asyncio.Task[Any] | None = None
        for channel_runtime in self.channels.values():
            channel_runtime.effects.subscribe_events(runtime.events)

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        found = self.contract.channel_for(scope.get("path", "/"))
        if found is None:
            await deny(scope, send, *self._not_found(scope))
            return
        channel, params = found
        live = self.channels[channel.key]
        try:
            admission = live.gate.admit(scope)
        except Refusal as refusal:
            self.runtime.stats.error()
            await deny(scope, send, *live.gate.render(refusal))
            return
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if admission.subprotocol:
            accept["subprotocol"] = admission.subprotocol
        await send(accept)
        connection = Connection(send, admission.user_id, params, channel.key, admission.principal)
        connection.protocol = getattr(send, "__self__", None)
        await self._session(live, connection, receive)

    async def _session(self, live: ChannelRuntime, connection: Connection, receive: Any) -> None:
        stats = self.runtime.stats
        first = self.registry.add(connection)
        stats.connection_opened()
        self._ensure_sweeper()
        try:
            connection.next_heartbeat = time.monotonic() + (live.interval or 0)
            await live.effects.connected(connection, first)
            live.feeds.connected(connection)
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    break
                if kind != "websocket.receive":
                    continue
                connection.last_seen = time.monotonic()
                text, data = message.get("text"), message.get("bytes")
                size = len(text.encode("utf-8")) if text is not None else len(data or b"")
                limit = live.channel.max_frame_size or bounded_json.LIMITS.max_bytes
                if limit and size > limit:
                    stats.error()
                    await connection.close(1009, f"Frame of {size} bytes exceeds {limit}")
                    continue
                stats.received()
                try:
                    if text is not None:
                        await self._text(live, connection, text)
                    else:
                        await self._binary(live, connection, data or b"")
                except Exception:  # the mock's own bug: report it as a frame, keep the socket
                    logger.exception("failed to handle a frame on %s", live.channel.address)
                    await self.error(live, connection, "internal", "Internal error", status=500)
        finally:
            connection.closed = True
            live.feeds.closed(connection)
            last = self.registry.remove(connection)
            stats.connection_closed()
            try:
                await live.effects.disconnected(connection, last)
            except Exception:
                logger.exception("disconnect effects failed")

    async def _text(self, live: ChannelRuntime, connection: Connection, text: str) -> None:
        try:
            frame = bounded_json.loads(text, bounded_json.LIMITS.sized(None))  # the frame size is checked above
        except bounded_json.JsonLimitError as error:
            await self.error(live, connection, "invalid-json", f"Invalid message format: {error}")
            return
        except ValueError:
            await self.error(live, connection, "invalid-json")
            return
        message, meant = live.dispatch.recognise(frame)
        if meant is not None:
            await self.error(live, connection, "invalid-data", f"Invalid {meant.name} message: {meant.errors(frame)[0]}")
            return
        if message is None:
            name = live.dispatch.type_name(frame)
            await self.error(live, connection, "unknown-type", f"Unknown message type: {name}" if name is not None else None)
            return
        operation = live.channel.receive_for(message)
        if operation is not None:
            live.feeds.stop_for(connection, operation.operation_id)
            await live.effects.run(connection, operation, frame, message=message)
            live.feeds.start_for(connection, operation.operation_id)

    async def _binary(self, live: ChannelRuntime, connection: Connection, data: bytes) -> None:
        if live.dispatch.binary is None:
            await self.error(live, connection, "binary")
            return
        operation = live.channel.receive_for(live.dispatch.binary)
        if operation is not None:
            live.feeds.stop_for(connection, operation.operation_id)
            await live.effects.run(connection, operation, None, size=len(data))
            live.feeds.start_for(connection, operation.operation_id)

    async def error(self, live: ChannelRuntime, connection: Connection, kind: str, message: str | None = None, **kwargs: Any) -> None:
        """The channel's error frame; where the contract documents none, no frame (one would
        match no documented message), only a line in the mock's log."""
        self.runtime.stats.error()
        frame = live.errors.render(kind, message, **kwargs)
        if frame is None:
            logger.warning("%s: %s (the contract documents no error message to say so)", live.channel.address,
                           message or kind)
            return
        await send_frame([connection], frame, self.runtime.stats)

    # -- refusals ------------------------------------------------------------------------------

    def _not_found(self, scope: dict[str, Any]) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        any_channel = next(iter(self.channels.values()))
        return any_channel.gate.render(Refusal(404, self.contract.why_not_found(str(scope.get("path", "/")))))

    # -- heartbeat -----------------------------------------------------------------------------

    def _ensure_sweeper(self) -> None:
        if self.sweeper is None or self.sweeper.done():
            self.sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        """One task for all connections: heartbeat frames due, silent clients closed."""
        ticks = [v for live in self.channels.values() for v in (live.interval, live.timeout) if v]
        ticks += [1.0 for live in self.channels.values() if live.expiry]
        if not ticks:
            return
        tick = max(0.05, min(ticks) / 4)
        while self.registry.connections:
            await asyncio.sleep(tick)
            now = time.monotonic()
            wall = time.time()
            for connection in list(self.registry.connections.values()):
                if connection.closed:  # closing: its session ends when the client's close arrives
                    continue
                live = self.channels[connection.channel_key]
                if live.expiry and token_expired(connection.principal, wall):
                    await self.expire(live, connection)
                elif live.timeout and now - max(connection.last_seen, last_pong(connection.protocol)) > live.timeout:
                    await connection.close(1001, "No activity within the heartbeat timeout")
                elif live.interval and now >= connection.next_heartbeat:
                    connection.next_heartbeat = now + live.interval
                    await live.effects.heartbeat(connection)

    async def expire(self, live: ChannelRuntime, connection: Connection) -> None:
        """``x-apitwin-token-expiry``: an error frame, then the declared close code."""
        declared = live.expiry
        await self.error(live, connection, "token-expired", declared.get("message", "Token expired"), status=401,
                         code=declared.get("code"), details={"token_expired": True})
        await connection.close(int(declared.get("close_code", 1008)), "Token expired")

    def control(self, method: str, path: str) -> Any:
        """``GET /__mock/connections``: who is connected, to what, since when."""
        if path != "/connections" or method != "GET":
            return None
        now = time.monotonic()
        listed = []
        for c in self.registry.connections.values():
            live = self.channels[c.channel_key]
            entry = {"id": c.id, "channel": live.channel.address, "user_id": c.user_id,
                     "params": c.params, "topics": sorted(c.topics), "idle_seconds": round(now - c.last_seen, 3)}
            feed = live.feeds.describe(c)
            if feed is not None:
                entry["feed"] = feed
            listed.append(entry)
        return {"connections": listed, "count": len(listed)}

    def spawn(self, coroutine: Any) -> None:
        """Run `coroutine` in the background (event deliveries), keeping a reference to it."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def context(self, connection: Connection | None = None, **kwargs: Any) -> Context:
        if connection is not None:
            kwargs.setdefault("user_id", connection.user_id)
            kwargs.setdefault("params", connection.params)
            kwargs.setdefault("connection_id", connection.id)
        return Context(**kwargs)
