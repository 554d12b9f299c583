"""Protocol-level probes: `ws_heartbeat` (a protocol ping gets its pong) and `ws_frame_limit`
(a frame over the channel's `x-apitwin-max-frame-size` closes the connection with 1009)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from conformance.websocket.asyncapi import Channel
from conformance.websocket.connection import MESSAGE_TOO_BIG, Connection, Violated

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext


async def heartbeat(run: WsContext, channel: Channel, opened: list[Connection]) -> None:
    connection = await run.connection(opened, channel, "heartbeat")
    waiter = await connection.socket.ping()
    connection.transcript.append("> (protocol ping)")
    try:
        await asyncio.wait_for(waiter, run.wait)
    except asyncio.TimeoutError:
        raise Violated("protocol ping not answered", f"a pong within {run.wait:g}s", "nothing") from None
    connection.transcript.append("< (protocol pong)")


async def frame_limit(run: WsContext, channel: Channel, opened: list[Connection]) -> None:
    limit = int(channel.extension("max-frame-size"))
    connection = await run.connection(opened, channel, "frame limit")
    await connection.send(json.dumps({"type": "apitwin.oversized", "data": "x" * limit}))
    try:
        await asyncio.wait_for(connection.socket.wait_closed(), run.wait)
    except asyncio.TimeoutError:
        raise Violated(
            f"a frame over {limit} bytes did not close the connection",
            f"close code {MESSAGE_TOO_BIG} (message too big)",
            "connection still open",
        ) from None
    code = connection.socket.close_code
    if code != MESSAGE_TOO_BIG:
        raise Violated(f"a frame over {limit} bytes closed with the wrong code", f"close code {MESSAGE_TOO_BIG}", str(code))
