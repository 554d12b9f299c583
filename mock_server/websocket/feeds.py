"""Feeds: the messages a channel's server sends on its own, to each connection, at a cadence.

Which send operations are feeds, and what starts and stops them, is decided once for the mock
and the conformance suite (`mock_server.contracts.feeds`). Here they run: when a connection
opens (or sends the subscription that starts a feed) each of its feeds sends a frame at once and
then one every interval, its messages in turn, until the unsubscription or the close.

Bounded. Each connection with a running feed has one queue of at most `QUEUE_FRAMES` frames and
one writer draining it; a feed's tick that finds the queue full drops its frame (counted, shown
by ``GET /__mock/connections``) instead of waiting, and the writer waits while the server's
transport holds more than `TRANSPORT_HIGH_WATER` unsent bytes. A client that stops reading costs
the mock a fixed amount of memory, never a growing one.

Deterministic. The n-th frame of a feed's message is generated from the seed, the operation, the
message and n alone (`DataGenerator.reseed`), so with the same ``--seed`` every connection
receives the same sequence, however many connections came before or run beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from mock_server.datagen import DataGenerator
from mock_server.websocket.contract import Message, SendOperation
from mock_server.websocket.frames import FrameBuilder
from mock_server.websocket.registry import Connection

if TYPE_CHECKING:
    from mock_server.websocket.engine import ChannelRuntime, WebSocketApp

logger = logging.getLogger("apitwin.websocket")

#: frames a connection's feeds may have made and not yet sent
QUEUE_FRAMES = 32
#: unsent bytes in the server's transport past which the writer waits for the client to read
TRANSPORT_HIGH_WATER = 256 * 1024
#: how often a waiting writer looks at the transport again (seconds)
DRAIN_POLL = 0.05


class FeedFrames:
    """Makes feed frames: a whole generated payload (optional properties too, as a real feed's
    messages carry them), completed and checked like every frame the mock sends. Its generator
    (a Faker of its own) is made on the first frame: a contract without feeds never pays for it."""

    def __init__(self, seed: int, document: dict[str, Any]) -> None:
        self.seed = seed
        self.document = document
        self.generator: DataGenerator | None = None
        self.builder: FrameBuilder | None = None

    def make(self, send: SendOperation, message: Message, index: int, context: Any) -> Any:
        if self.generator is None or self.builder is None:
            self.generator = DataGenerator(self.seed, stream="feed")
            self.builder = FrameBuilder(self.generator, self.document)
        self.generator.reseed(f"feed:{send.operation_id}:{message.key}:{index}")
        generated = self.generator.value(message.schema, root=self.document)
        # a payload generation could not make valid (a rare schema): its required part only
        start = generated if message.validator.is_valid(generated) else None
        return self.builder.build(message, send.fill, context, start=start)


class Session:
    """One connection's running feeds: a task per feed, one bounded queue, one writer."""

    def __init__(self, owner: ChannelFeeds, connection: Connection) -> None:
        self.owner = owner
        self.connection = connection
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(QUEUE_FRAMES)  # (operation id, frame)
        self.streams: dict[str, asyncio.Task[Any]] = {}
        self.writer: asyncio.Task[Any] | None = None
        self.sent = 0
        self.dropped = 0

    def start(self, send: SendOperation) -> None:
        if send.operation_id in self.streams or self.connection.closed:
            return
        self.streams[send.operation_id] = asyncio.get_running_loop().create_task(self._stream(send))
        if self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._write())

    def stop(self, operation_id: str) -> None:
        task = self.streams.pop(operation_id, None)
        if task is not None:
            task.cancel()

    def close(self) -> None:
        for operation_id in list(self.streams):
            self.stop(operation_id)
        if self.writer is not None:
            self.writer.cancel()

    async def _stream(self, send: SendOperation) -> None:
        """A frame now, then one every interval (a late tick is not made up for: no bursts)."""
        assert send.feed is not None
        loop = asyncio.get_running_loop()
        messages = send.feed_messages
        index = 0
        due = loop.time()
        while not self.connection.closed:
            if self.queue.full():
                self.dropped += 1
            else:
                message = messages[index % len(messages)]
                try:
                    frame = self.owner.frames.make(send, message, index // len(messages), self.owner.context(self.connection))
                    self.queue.put_nowait((send.operation_id, json.dumps(frame, ensure_ascii=False, separators=(",", ":"))))
                except Exception:  # the mock's own bug: say so once, and stop this feed only
                    logger.exception("feed %s failed to make a frame", send.operation_id)
                    return
                index += 1
            due = max(due + send.feed.interval, loop.time())
            await asyncio.sleep(due - loop.time())

    async def _write(self) -> None:
        while True:
            operation_id, text = await self.queue.get()
            if operation_id not in self.streams:  # made before its feed stopped: not sent after the stop
                continue
            while _unsent(self.connection) > TRANSPORT_HIGH_WATER and not self.connection.closed:
                await asyncio.sleep(DRAIN_POLL)
            if not await self.connection.send_text(text):
                return
            self.sent += 1
            self.owner.stats.sent(1)


class ChannelFeeds:
    """The feeds of one channel (all channels at one address), for every connection on it."""

    def __init__(self, app: WebSocketApp, live: ChannelRuntime) -> None:
        self.app = app
        self.sends = [send for send in live.channel.sends if send.feed is not None and send.feed_messages]
        self.frames: FeedFrames = app.feed_frames
        self.stats = app.runtime.stats
        self.sessions: dict[str, Session] = {}

    def context(self, connection: Connection) -> Any:
        return self.app.context(connection)

    def connected(self, connection: Connection) -> None:
        """Start the feeds that run from the connection's start."""
        for send in self.sends:
            assert send.feed is not None
            if not send.feed.start:
                self._session(connection).start(send)

    def stop_for(self, connection: Connection, operation_id: str) -> None:
        """A client message of receive operation `operation_id` arrived: stop the feeds it
        stops (before its reply is sent, so no frame of theirs follows the reply)."""
        session = self.sessions.get(connection.id)
        for send in self.sends:
            assert send.feed is not None
            if session is not None and operation_id in send.feed.stop:
                session.stop(send.operation_id)

    def start_for(self, connection: Connection, operation_id: str) -> None:
        """The client message of `operation_id` was answered: start the feeds it starts (their
        first frames follow the reply)."""
        for send in self.sends:
            assert send.feed is not None
            if operation_id in send.feed.start and operation_id not in send.feed.stop:
                self._session(connection).start(send)

    def closed(self, connection: Connection) -> None:
        session = self.sessions.pop(connection.id, None)
        if session is not None:
            session.close()

    def describe(self, connection: Connection) -> dict[str, Any] | None:
        """For ``GET /__mock/connections``: the feeds running, frames sent and dropped."""
        session = self.sessions.get(connection.id)
        if session is None:
            return None
        return {"running": sorted(session.streams), "sent": session.sent, "dropped": session.dropped,
                "queued": session.queue.qsize()}

    def _session(self, connection: Connection) -> Session:
        session = self.sessions.get(connection.id)
        if session is None:
            session = self.sessions[connection.id] = Session(self, connection)
        return session


def _unsent(connection: Connection) -> int:
    """Bytes the server's transport holds for this client (0 where the server does not say)."""
    transport = getattr(connection.protocol, "transport", None)
    size = getattr(transport, "get_write_buffer_size", None)
    if not callable(size):
        return 0
    with contextlib.suppress(Exception):
        return int(size())
    return 0
