"""The WebSocket phase: connect as the contract says and hold every frame to its schema.

For each channel of the AsyncAPI contract the probes run in this order, each only where the
contract documents what it needs: the handshake (`handshake`), the welcome, replies and error
frames (`exchange`), fan-out and direct delivery (`delivery`), REST-triggered events
(`rest_events`), protocol pings and the frame-size limit (`protocol`). Every frame received on
any connection is validated against the server's messages. A failure carries the transcript of
its connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from conformance.auth import AuthSession
from conformance.results import Report
from conformance.settings import CheckSettings
from conformance.target import Target
from conformance.websocket import delivery, exchange, handshake, promises, protocol, rest_events
from conformance.websocket.asyncapi import Channel
from conformance.websocket.connection import Connection, Violated
from conformance.websocket.context import WsContext

Probe = Callable[[list[Connection]], Awaitable[None]]


async def perform(run: WsContext, check: str, operation: str, probe: Probe) -> None:
    """Run one check if enabled; its connections are closed afterwards and their transcripts
    reported with a failure."""
    if check not in run.enabled:
        return
    opened: list[Connection] = []
    try:
        await probe(opened)
        run.report.count(operation, check, passed=True)
    except (Violated, ConnectionClosed, InvalidHandshake, OSError, asyncio.TimeoutError) as exc:
        # a frame the client refused explains whatever went wrong after it
        oversized = next((c for c in opened if c.oversized), None)
        if oversized is not None:
            violated = oversized.too_large()
        elif isinstance(exc, Violated):
            violated = exc
        else:
            violated = Violated("the connection failed during the check", "an open connection", f"{type(exc).__name__}: {exc}")
        run.finding(check, operation, violated, "\n\n".join(c.text() for c in opened) or run.last_handshake)
    finally:
        for connection in opened:
            await connection.close()


async def check_channel(run: WsContext, channel: Channel) -> None:
    label = f"WS {channel.address}"
    operations = run.contract.operations_at(channel)
    if channel.token_ways:
        await perform(run, "ws_handshake_auth", label, lambda opened: handshake.handshake_auth(run, channel, opened))
        if not run.session.current_token() and not run.target.contract.states_valid_credentials:
            run.untested.append(channel.address)  # nothing to connect with: the user's to give (--token)
            return
    if any(op.trigger == "connect" for op in operations):
        await perform(run, "ws_welcome", label, lambda opened: exchange.welcome(run, channel, operations, opened))
    for op in operations:
        if op.action == "receive" and op.replies and op.messages:
            await perform(run, "ws_reply", op.id, lambda opened, op=op: exchange.replies(run, channel, op, opened))
    if run.contract.error_message(channel) is not None:
        await perform(run, "ws_invalid_message", label, lambda opened: exchange.invalid(run, channel, opened))
    for op in operations:
        if "fanout" in op.effect:
            await perform(run, "ws_fanout", op.id, lambda opened, op=op: delivery.fanout(run, channel, op, operations, opened))
        if "deliver" in op.effect:
            await perform(run, "ws_direct_delivery", op.id, lambda opened, op=op: delivery.deliver(run, channel, op, opened))
        if op.action == "send" and op.events:
            await perform(run, "ws_rest_events", op.id, lambda opened, op=op: rest_events.rest_event(run, channel, op, opened))
    await promises.check(run, channel, operations, perform)
    await perform(run, "ws_heartbeat", label, lambda opened: protocol.heartbeat(run, channel, opened))
    if channel.extension("max-frame-size"):
        await perform(run, "ws_frame_limit", label, lambda opened: protocol.frame_limit(run, channel, opened))


async def check_channels(run: WsContext) -> None:
    for channel in run.contract.endpoints():
        await check_channel(run, channel)


def run_websocket(target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, progress: Any = None) -> Report:
    report = Report(api=target.contract.name, base_url=target.ws_url or "")
    if not target.contract.asyncapi or not target.ws_url:
        report.phases["websocket"] = "skipped: no AsyncAPI contract"
        return report
    run = WsContext(target, settings, enabled, session, report)
    asyncio.run(check_channels(run))
    report.phases["websocket"] = "failure" if report.failures else "success"
    if run.untested:
        report.phases["websocket"] += f" (only the handshake refusal tested at {', '.join(run.untested)}: no token; pass --token)"
    if progress is not None:
        progress("websocket", "done", len(report.failures))
    return report
