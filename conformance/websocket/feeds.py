"""`ws_feed`: the messages the server sends on its own arrive, and are what the contract says.

A feed (`mock_server.contracts.feeds`: a send operation nothing else explains, or one declaring
``x-apitwin-feed``) is checked on one connection: where it starts after a subscription, the
probe sends one (the message's first example, else a generated one), then waits for one of the
feed's messages for its interval plus the run's wait. Each frame is held to the server's
messages on arrival like every other frame (`ws_frame_schema`), so a feed sending what the
contract does not document is caught there.

A contract that declares no ``x-apitwin-feed`` does not say when its server sends those messages
(a real market feed may stay quiet for a while): a missing frame is then only a warning. Each
feed is checked on its own connection, as the operation it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.websocket.asyncapi import Channel, Message, WsOperation
from conformance.websocket.connection import Connection, Violated
from conformance.websocket.exchange import client_frames
from mock_server.contracts.feeds import Feed

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext


def assumed(feed: Feed, messages: list[Message], operations: list[WsOperation]) -> str:
    """Why expecting the feed's frames is only an assumption: an inferred feed states no
    cadence; a declared one may be marked (``x-apitwin-assumed: {feed: why}``)."""
    op = next((op for op in operations if op.id == feed.operation), None)
    mark = op.assumed("feed", "x-apitwin-feed") if op is not None else ""
    if mark:
        return mark
    if not feed.declared:
        return (f"the contract does not say when the server sends {feed.operation} (no x-apitwin-feed): "
                "a frame soon after connecting or subscribing is apitwin's expectation")
    return next((m.assumed for m in messages if m.assumed), "")


async def feed(run: WsContext, channel: Channel, feed: Feed, messages: list[Message], operations: list[WsOperation],
               opened: list[Connection]) -> None:
    connection = await run.connection(opened, channel, f"feed {feed.operation}")
    started = await _start(run, connection, feed, operations)
    window = run.wait + feed.interval
    others = 0

    def accept(frame: Any) -> bool:
        nonlocal others
        if any(run.contract.valid(m, frame) for m in messages):
            return True
        others += 1
        return False

    if await connection.expect(accept, window) is None:
        raise Violated(
            f"no {' or '.join(m.name for m in messages)} from {feed.operation}",
            f"one of {', '.join(m.name for m in messages)} within {window:g}s after {started or 'connecting'}",
            f"{others} frame(s), none of them a valid {' or '.join(m.name for m in messages)}" if others else "nothing",
        )


async def _start(run: WsContext, connection: Connection, feed: Feed, operations: list[WsOperation]) -> str:
    """Send the subscription that starts the feed, where it has one; its name, or ""."""
    op = next((op for op in operations if feed.start and op.id == feed.start[0]), None)
    if op is None or not op.messages or op.messages[0].binary:
        return ""
    frames = client_frames(run, op.messages[0])
    if not frames:
        return ""
    await connection.send(frames[0], payload=True)
    return op.messages[0].name
