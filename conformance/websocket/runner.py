"""The WebSocket phase: connect as the contract says and hold every frame to its schema.

For each channel of the AsyncAPI contract the probes run in this order, each only where the
contract documents what it needs: the handshake (`handshake`), the welcome, replies and error
frames (`exchange`), fan-out and direct delivery (`delivery`), REST-triggered events
(`rest_events`), the messages the server sends on its own (`feeds`), protocol pings and the
frame-size limit (`protocol`). Every frame received on any connection is validated against the
server's messages. A failure carries the transcript of its connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from conformance.auth import AuthSession
from conformance.results import Report
from conformance.settings import CheckSettings
from conformance.target import Target
from conformance.assumptions import ws_assumption
from conformance.websocket import delivery, exchange, feeds, handshake, promises, protocol, rest_events
from conformance.websocket.asyncapi import Channel, Message, WsOperation
from conformance.websocket.connection import Connection, NotTested, Violated
from conformance.websocket.context import WsContext

Probe = Callable[[list[Connection]], Awaitable[None]]


async def perform(run: WsContext, check: str, operation: str, probe: Probe, assumed: str = "") -> None:
    """Run one check if enabled; its connections are closed afterwards and their transcripts
    reported with a failure (a warning where `assumed` says the expectation is only assumed)."""
    if check not in run.enabled:
        return
    opened: list[Connection] = []
    run.assumed = assumed
    try:
        await probe(opened)
        run.report.count(operation, check, passed=True)
    except NotTested as why:
        run.not_tested.setdefault(check, str(why))
    except requests.RequestException as exc:  # a REST call of the probe, not sent or not answered
        run.not_tested.setdefault(check, str(exc))
    except (Violated, ConnectionClosed, InvalidHandshake, OSError, asyncio.TimeoutError) as exc:
        # a frame the client refused explains whatever went wrong after it
        oversized = next((c for c in opened if c.oversized), None)
        if oversized is not None:
            violated = oversized.too_large()
        elif isinstance(exc, Violated):
            violated = exc
        else:
            violated = Violated("the connection failed during the check", "an open connection", f"{type(exc).__name__}: {exc}")
        run.finding(check, operation, violated, "\n\n".join(c.text() for c in opened) or run.last_handshake, assumed)
    finally:
        run.assumed = ""
        for connection in opened:
            await connection.close()


def assumed(channel: Channel, declarations: list[str], operations: list[WsOperation] = (), messages: list[Message] = (), *parts: str) -> str:
    """Why a check on `channel` rests on an assumption: the channel declarations, the operations
    (or their named `parts`) and the messages its expectation comes from, as the contract marks
    them (`conformance.assumptions`)."""
    notes = [op.assumed(*parts) for op in operations] + [m.assumed for m in messages]
    return ws_assumption(channel.definition, [*declarations, *(m.name for m in messages)], notes)


def replies_assumed(channel: Channel, op: WsOperation) -> str:
    """A reply check rests on the client message, the operation and its effect; and on the
    replies when every one of them is assumed."""
    found = assumed(channel, [], [op], op.messages, "reply", "effect")
    if found or not op.replies:
        return found
    every = [assumed(channel, [], [], [reply]) for reply in op.replies]
    return every[0] if all(every) else ""


def delivered(channel: Channel, op: WsOperation, effect: str) -> list[Message]:
    """The message an effect delivers to other connections, as the channel names it."""
    found = channel.messages.get(str(op.effect[effect].get("message", "")))
    return [found] if found is not None else []


async def check_channel(run: WsContext, channel: Channel) -> None:
    label = f"WS {channel.address}"
    operations = run.contract.operations_at(channel)
    if channel.token_ways:
        await perform(run, "ws_handshake_auth", label, lambda opened: handshake.handshake_auth(run, channel, opened))
        if not run.session.current_token() and not run.target.contract.states_valid_credentials:
            run.untested.append(channel.address)  # nothing to connect with: the user's to give (--token)
            return
    welcomes = [op for op in operations if op.trigger == "connect"]
    if welcomes:
        why = assumed(channel, [], welcomes, [m for op in welcomes for m in op.messages], "trigger")
        await perform(run, "ws_welcome", label, lambda opened: exchange.welcome(run, channel, operations, opened), why)
    for op in operations:
        if op.action == "receive" and op.replies and op.messages:
            why = replies_assumed(channel, op)
            await perform(run, "ws_reply", op.id, lambda opened, op=op: exchange.replies(run, channel, op, opened), why)
    error = run.contract.error_message(channel)
    if error is not None:
        why = assumed(channel, ["error-message", "error-frame"], [op for op in operations if op.trigger == "invalid-frame"], [error])
        await perform(run, "ws_invalid_message", label, lambda opened: exchange.invalid(run, channel, opened), why)
    for op in operations:
        if "fanout" in op.effect:
            why = assumed(channel, [], [op], delivered(channel, op, "fanout"), "effect")
            await perform(run, "ws_fanout", op.id, lambda opened, op=op: delivery.fanout(run, channel, op, operations, opened), why)
        if "deliver" in op.effect:
            why = assumed(channel, [], [op], delivered(channel, op, "deliver"), "effect")
            await perform(run, "ws_direct_delivery", op.id, lambda opened, op=op: delivery.deliver(run, channel, op, opened), why)
        if op.action == "send" and op.events:
            why = assumed(channel, [], [op], op.messages, "events")
            await perform(run, "ws_rest_events", op.id, lambda opened, op=op: rest_events.rest_event(run, channel, op, opened), why)
    for fed, messages in run.contract.feeds_at(channel):
        why = feeds.assumed(fed, messages, operations)
        await perform(run, "ws_feed", fed.operation,
                      lambda opened, fed=fed, messages=messages: feeds.feed(run, channel, fed, messages, operations, opened), why)
    await promises.check(run, channel, operations, perform)
    await perform(run, "ws_heartbeat", label, lambda opened: protocol.heartbeat(run, channel, opened), assumed(channel, []))
    if channel.extension("max-frame-size"):
        why = assumed(channel, ["max-frame-size"])
        await perform(run, "ws_frame_limit", label, lambda opened: protocol.frame_limit(run, channel, opened), why)


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
    if run.not_tested:
        report.phases["websocket"] += " (not tested: " + "; ".join(f"{check}: {why}" for check, why in run.not_tested.items()) + ")"
    if progress is not None:
        progress("websocket", "done", len(report.failures))
    return report
