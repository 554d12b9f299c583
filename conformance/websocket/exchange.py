"""Message exchange: the welcome on connect, a documented reply to every client message, the
error frame for an invalid one, and every server frame held to the channel's schema.

Probes `ws_welcome`, `ws_reply`, `ws_invalid_message` and the per-frame `ws_frame_schema`.
Client frames are the messages' examples plus Hypothesis-generated payloads.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from conformance.assumptions import first, frame_keywords, ws_assumption
from conformance.websocket.asyncapi import Channel, Message, WsOperation
from conformance.websocket.connection import Connection, Violated
from conformance.websocket.copies import ABSENT, lookup, mismatches
from conformance.websocket.generate import broken, draw, strategy

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext


def check_server_frame(run: WsContext, channel: Channel, connection: Connection, frame: Any) -> None:
    """`ws_frame_schema` for one received frame: counted on each frame, reported once per
    channel and closest message."""
    if "ws_frame_schema" not in run.enabled:
        return
    contract = run.contract
    messages = contract.server_messages(channel)
    operation = f"WS {channel.address}"
    if any(contract.valid(message, frame) for message in messages):
        run.report.count(operation, "ws_frame_schema", passed=True)
        return
    closest = min(messages, key=lambda m: len(contract.errors(m.payload, frame)), default=None)
    problems = "; ".join(contract.errors(closest.payload, frame)) if closest else "no server messages documented"
    why = first(
        connection.assumed,
        closest.assumed if closest else "",
        ws_assumption(channel.definition, [closest.name] if closest else []) if closest else "",
        frame_keywords(list(contract.validator(closest.payload).iter_errors(frame))) if closest else "",
    )
    key = f"{channel.id}:{closest.name if closest else ''}"
    if key in run.frame_failures:
        run.report.count(operation, "ws_frame_schema", passed=False)
        return
    run.frame_failures.add(key)
    run.finding(
        "ws_frame_schema",
        operation,
        Violated(
            "server frame matches none of the documented messages",
            f"one of: {', '.join(m.name for m in messages)}" + (f" (closest: {closest.name})" if closest else ""),
            f"{json.dumps(frame)[:300]} ({problems})",
        ),
        connection.text(),
        why,
    )


def require_copies(run: WsContext, channel: Channel, declaration: Any, sent: Any, got: Any, what: str) -> None:
    """Fail unless `got` carries the fields an `x-apitwin-effect` copy declares from `sent`."""
    wrong = mismatches(declaration, sent, got, run.params(channel))
    if wrong:
        raise Violated(
            f"{', '.join(item.target for item in wrong)} not copied into {what}",
            "; ".join(f"{item.target} = {item.expected!r} (x-apitwin-effect copy from {item.source})" for item in wrong),
            "; ".join(f"{item.target} = {item.actual!r}" for item in wrong),
        )


async def welcome(run: WsContext, channel: Channel, operations: list[WsOperation], opened: list[Connection]) -> None:
    messages = [m for op in operations if op.trigger == "connect" for m in op.messages]
    connection = await run.connection(opened, channel, "welcome")
    frame = await connection.expect(lambda f: any(run.contract.valid(m, f) for m in messages), run.wait)
    if frame is None:
        raise Violated("no welcome message on connect", f"{', '.join(m.name for m in messages)} after connecting", "nothing")


def client_frames(run: WsContext, message: Message) -> list[Any]:
    frames = list(message.examples)
    generated = draw(
        strategy(message.payload, run.contract.resolve),
        run.examples,
        run.settings.seed,
        lambda value: run.contract.valid(message, value),
    )
    return frames + [frame for frame in generated if frame not in frames]


async def replies(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    contract = run.contract
    connection = await run.connection(opened, channel, f"reply {op.id}")
    for message in op.messages:
        frames = [b"apitwin-binary-frame"] if message.binary else client_frames(run, message)
        for frame in frames:
            await connection.send(frame, payload=True)
            reply = await connection.expect(lambda f: any(contract.valid(r, f) for r in op.replies), run.wait)
            if reply is None:
                raise Violated(
                    f"no reply to {message.name}",
                    f"one of {', '.join(r.name for r in op.replies)} within {run.wait:g}s",
                    "nothing (or only frames that are not a documented reply)",
                )
            error = contract.error_message(channel)
            if error is not None and contract.valid(error, reply) and not any(
                contract.valid(r, reply) for r in op.replies if r.name != error.name
            ):
                continue
            require_copies(run, channel, op.effect.get("reply_copy"), frame, reply, f"the {message.name} reply")
            require_correlation(run, message, frame, [r for r in op.replies if contract.valid(r, reply)], reply)


def require_correlation(run: WsContext, message: Message, sent: Any, matched: list[Message], reply: Any) -> None:
    """Where the client message and the reply both document a ``correlationId``, the reply
    carries the request's value there."""
    if not message.correlation or isinstance(sent, bytes):
        return
    value = lookup(sent, message.correlation)
    documented = [r for r in matched if r.correlation]
    if value is ABSENT or not documented:
        return
    if all(lookup(reply, r.correlation) != value for r in documented):
        where = documented[0].correlation
        raise Violated(
            f"the {message.name} reply does not carry its correlationId",
            f"{where} = {value!r} (correlationId of {message.name} and {documented[0].name})",
            f"{where} = {lookup(reply, where) if lookup(reply, where) is not ABSENT else 'absent'}",
        )


async def invalid(run: WsContext, channel: Channel, opened: list[Connection]) -> None:
    contract = run.contract
    error = contract.error_message(channel)
    assert error is not None
    clients = contract.client_messages(channel)
    connection = await run.connection(opened, channel, "invalid frames")

    def is_invalid(value: Any) -> bool:
        return not any(contract.valid(m, value) for m in clients if not m.binary)

    # least disruptive first: a server that drops the socket on a frame it cannot parse is still
    # seen answering the well-formed invalid ones
    frames: list[Any] = [{"type": "apitwin.unknown.type", "data": {}}]
    for message in clients:
        if not message.binary:
            frames += draw(broken(message.payload, contract.resolve), 1, run.settings.seed, is_invalid)
    frames.append("{not json")
    unanswered: list[str] = []  # every invalid frame without its error frame, until the socket closes
    for frame in frames:
        if not isinstance(frame, str) and not is_invalid(frame):
            continue
        if connection.socket.close_code is not None:
            break
        await connection.send(frame)
        if await connection.expect(lambda f: contract.valid(error, f), run.wait) is None:
            shown = frame if isinstance(frame, str) else json.dumps(frame)
            closed = " (connection closed)" if connection.socket.close_code is not None else ""
            unanswered.append(f"no error frame for {shown[:80]}{closed}")
    if unanswered:
        raise Violated(
            "invalid frame not answered with the error frame",
            f"{error.name} within {run.wait:g}s, connection kept open",
            "; ".join(unanswered),
        )
    if connection.socket.close_code is not None:
        raise Violated("connection closed after invalid frames", "the connection stays open", f"closed with {connection.socket.close_code}")
    pong = await connection.socket.ping()
    await asyncio.wait_for(pong, run.wait)
