"""Delivery to other connections: `ws_fanout` (a message sent to a topic reaches a second
subscribed connection) and `ws_direct_delivery` (a message addressed to a user reaches that
user's other connection), as the operation's `x-apitwin-effect` declares them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from conformance.contract import dig
from conformance.websocket.asyncapi import Channel, Message, WsOperation
from conformance.websocket.connection import Connection, Violated
from conformance.websocket.exchange import require_copies

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext


def set_path(frame: Any, path: str, value: Any) -> Any:
    """A copy of `frame` with `value` at a dotted path (wrapped in a list where a list was)."""
    frame = json.loads(json.dumps(frame))
    node = frame
    parts = [part for part in path.split(".") if part]
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict) and parts:
        node[parts[-1]] = [value] if isinstance(node.get(parts[-1]), list) else value
    return frame


async def relay(
    run: WsContext,
    channel: Channel,
    route: tuple[Connection, Connection],
    frame: Any,
    delivery: Message,
    declaration: dict,
    accept: Callable[[Any], bool],
    missing: Violated,
) -> None:
    """Send `frame` on the first connection of `route` and require `delivery` (one `accept`ed)
    on the second, with the fields the declaration copies."""
    sender, receiver = route
    await sender.send(frame)
    got = await receiver.expect(lambda f: run.contract.valid(delivery, f) and accept(f), run.wait)
    if got is None:
        raise missing
    require_copies(run, channel, declaration.get("copy"), frame, got, f"the {delivery.name} delivery")


async def fanout(run: WsContext, channel: Channel, op: WsOperation, operations: list[WsOperation], opened: list[Connection]) -> None:
    declaration = op.effect["fanout"]
    topic = f"apitwin.{secrets.token_hex(4)}"
    message_name = declaration.get("message")
    delivery = channel.messages.get(message_name) if message_name else None
    if delivery is None or not op.messages or not op.messages[0].examples:
        return
    sender = await run.connection(opened, channel, "fan-out sender")
    receiver = await run.connection(opened, channel, "fan-out receiver")
    subscribe = next((candidate for candidate in operations if "subscribe" in candidate.effect and candidate.messages), None)
    if subscribe is not None and subscribe.messages[0].examples:
        await receiver.send(set_path(subscribe.messages[0].examples[0], subscribe.effect["subscribe"], topic))
        await receiver.expect(lambda f: any(run.contract.valid(r, f) for r in subscribe.replies), run.wait)
    frame = set_path(op.messages[0].examples[0], declaration.get("topic", "topic"), topic)
    missing = Violated(
        f"{op.messages[0].name} to a topic never reached its other subscriber",
        f"{delivery.name} for topic {topic} on the second connection",
        "nothing",
    )
    await relay(run, channel, (sender, receiver), frame, delivery, declaration, lambda f: topic in json.dumps(f), missing)


async def deliver(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    declaration = op.effect["deliver"]
    delivery = channel.messages.get(declaration.get("message", ""))
    user = run.user_id()
    if delivery is None or user is None or not op.messages or not op.messages[0].examples:
        return
    receiver = await run.connection(opened, channel, "direct receiver")
    sender = await run.connection(opened, channel, "direct sender")
    marker = f"apitwin-{secrets.token_hex(4)}"
    frame = set_path(op.messages[0].examples[0], declaration.get("user", "user"), user)
    if dig(frame, "data.payload") is not None or dig(frame, "payload") is not None:
        frame = set_path(frame, "data.payload" if dig(frame, "data.payload") is not None else "payload", {"marker": marker})
    missing = Violated(
        f"{op.messages[0].name} to user {user} never reached that user's other connection",
        f"{delivery.name} on the second connection of {user}",
        "nothing",
    )
    await relay(run, channel, (sender, receiver), frame, delivery, declaration, lambda f: True, missing)
