"""One client WebSocket connection, opened and read within bounds.

Every connection of the WebSocket phase is opened here (`open_client`), so one place decides
how long an upgrade may take and how large a frame may be: a target that never answers, or
sends a frame without end, costs the check a timeout or a finding, never the run. Each open
`Connection` keeps a transcript (the reproduction a finding carries) and a queue of parsed
frames that checks wait on with a timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from conformance.settings import CheckSettings

#: close code a client sends when a frame exceeds its `max_size` (RFC 6455 "message too big")
MESSAGE_TOO_BIG = 1009
#: queued in place of a frame when the client refused one over its cap
TOO_LARGE = object()


class Violated(Exception):
    """A check's failure: what was expected and what the target did, and, where the
    expectation is only the contract's assumption, why (`conformance.assumptions`)."""

    def __init__(self, title: str, expected: str, actual: str, assumption: str = "") -> None:
        super().__init__(title)
        self.title, self.expected, self.actual, self.assumption = title, expected, actual, assumption


class NotTested(Exception):
    """A check that could not be performed: the call that would set it up was refused or not
    sent (a 429, the run's time budget), so it neither passes nor fails."""


def max_frame_size(settings: CheckSettings) -> int:
    """The largest frame the suite reads: the response size cap, which bounds HTTP bodies too."""
    return int(settings.max_response_size)


async def open_client(
    url: str, settings: CheckSettings, headers: dict[str, str] | None = None, subprotocols: list[str] | None = None
) -> ClientConnection:
    """Open a client connection with the run's timeouts and frame cap (no automatic pings:
    the heartbeat check sends its own)."""
    return await connect(
        url,
        additional_headers=headers or {},
        subprotocols=subprotocols,
        open_timeout=settings.request_timeout,
        close_timeout=settings.request_timeout,
        max_size=max_frame_size(settings),
        ping_interval=None,
    )


class Connection:
    """One client connection: a transcript, a queue of parsed frames, a hook for each frame."""

    def __init__(
        self,
        socket: ClientConnection,
        label: str,
        transcript: list[str],
        on_frame: Callable[["Connection", Any], None],
        max_size: int,
    ) -> None:
        self.socket, self.label, self.on_frame, self.max_size = socket, label, on_frame, max_size
        self.transcript = list(transcript)
        #: why the probe that opened it rests on an assumption: what the target sends on it
        #: is then held to the contract only as an assumption too
        self.assumed = ""
        #: called with every frame sent (the run's coverage counts them)
        self.on_send: Callable[[Any], None] | None = None
        self.frames: asyncio.Queue = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                if isinstance(raw, bytes):
                    self.transcript.append(f"< (binary, {len(raw)} bytes)")
                    await self.frames.put(raw)
                    continue
                self.transcript.append(f"< {raw}")
                try:
                    frame = json.loads(raw)
                except ValueError:
                    frame = raw
                self.on_frame(self, frame)
                await self.frames.put(frame)
        except ConnectionClosed as closed:
            if self.oversized:
                self.too_large()
                await self.frames.put(TOO_LARGE)
            else:
                self.transcript.append(f"# closed by the server: {closed.rcvd.code if closed.rcvd else 'no close frame'}")

    @property
    def oversized(self) -> bool:
        """Whether the client refused a frame over its cap: it started the closing handshake with
        1009 (known at once, before the target answers the close)."""
        protocol = self.socket.protocol
        sent = protocol.close_sent
        return sent is not None and sent.code == MESSAGE_TOO_BIG and protocol.close_rcvd_then_sent is not True

    def too_large(self) -> Violated:
        """The finding for a refused frame (noted once in the transcript)."""
        note = f"# a frame over {self.max_size} bytes: closed by the client with {MESSAGE_TOO_BIG}"
        if note not in self.transcript:
            self.transcript.append(note)
        return Violated(
            f"frame larger than {self.max_size} bytes",
            f"frames of at most {self.max_size} bytes (the suite's response size cap)",
            "a larger frame; the connection was closed without reading it",
        )

    async def send(self, frame: Any, payload: bool = False) -> None:
        """Send `frame`: bytes as a binary frame, a string as the text it is (a deliberately
        malformed frame), anything else as JSON; with `payload` a string is a message's JSON
        payload too (a documented or generated string value, `""` included)."""
        text = frame if isinstance(frame, bytes) or (isinstance(frame, str) and not payload) else json.dumps(frame)
        self.transcript.append(f"> {text if isinstance(text, str) else f'(binary, {len(text)} bytes)'}")
        await self.socket.send(text)
        if self.on_send is not None:
            self.on_send(frame)

    async def expect(self, accept: Callable[[Any], bool], timeout: float) -> Any:
        """The first frame `accept`s within `timeout` seconds (others are skipped), or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                frame = await asyncio.wait_for(self.frames.get(), left)
            except asyncio.TimeoutError:
                break
            if frame is TOO_LARGE or self.oversized:
                self.frames.put_nowait(TOO_LARGE)  # every later wait on this connection fails the same way
                raise self.too_large()
            if accept(frame):
                return frame
        if self.oversized:
            raise self.too_large()
        return None

    def text(self) -> str:
        return "\n".join(self.transcript[-60:])

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.socket.close(), 2)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass
        self.reader.cancel()
