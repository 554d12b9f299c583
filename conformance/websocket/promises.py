"""What delivery promises beyond "it arrives" (`delivery` proves that): `ws_unsubscribe` (an
unsubscribed connection gets nothing more from the topic), `ws_broadcast_all` (every other
subscriber gets a broadcast, the sender none where `include_sender: false`) and
`ws_direct_only` (a direct message reaches its target user and nobody else), each as the
operation's `x-apitwin-effect` declares it.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

from conformance.auth import AuthSession, Credentials

from conformance.websocket.asyncapi import Channel, Message, WsOperation
from conformance.websocket.connection import Connection, Violated
from conformance.websocket.delivery import set_path

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext

#: a marker put into a payload, so a frame is known for the one this probe sent
PAYLOAD_PATHS = ("data.payload", "payload")


def delivery_of(channel: Channel, declaration: dict) -> Message | None:
    name = declaration.get("message")
    return channel.messages.get(name) if name else None


def marked(frame: dict, marker: str) -> dict:
    """The frame with `marker` in its payload (where it has one) so its deliveries are known."""
    for path in PAYLOAD_PATHS:
        node = frame
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return set_path(frame, path, {"marker": marker})
    return frame


def carries(marker: str):  # noqa: ANN201
    return lambda frame: marker in json.dumps(frame)


async def subscribe(run: WsContext, connection: Connection, operations: list[WsOperation], topic: str, effect: str) -> bool:
    """Send the contract's (un)subscribe message for `topic` and wait for its reply."""
    op = next((candidate for candidate in operations if effect in candidate.effect and candidate.messages), None)
    if op is None or not op.messages[0].examples:
        return False
    await connection.send(set_path(op.messages[0].examples[0], op.effect[effect], topic))
    if op.replies:
        await connection.expect(lambda f: any(run.contract.valid(reply, f) for reply in op.replies), run.wait)
    return True


async def broadcast(run: WsContext, channel: Channel, op: WsOperation, sender: Connection, topic: str, marker: str) -> dict:
    frame = set_path(op.messages[0].examples[0], op.effect["fanout"].get("topic", "topic"), topic)
    frame = marked(frame, marker)
    await sender.send(frame)
    return frame


async def unsubscribe_stops(run: WsContext, channel: Channel, op: WsOperation, operations: list[WsOperation], opened: list[Connection]) -> None:
    delivery = delivery_of(channel, op.effect["fanout"])
    if delivery is None or not op.messages or not op.messages[0].examples:
        return
    topic, marker = f"apitwin.{secrets.token_hex(4)}", f"apitwin-{secrets.token_hex(4)}"
    sender = await run.connection(opened, channel, "broadcast sender")
    receiver = await run.connection(opened, channel, "unsubscribed receiver")
    if not await subscribe(run, receiver, operations, topic, "subscribe") or not await subscribe(run, receiver, operations, topic, "unsubscribe"):
        return
    await broadcast(run, channel, op, sender, topic, marker)
    if await receiver.expect(carries(topic), run.wait) is not None:
        raise Violated(
            f"{delivery.name} reached a connection that had unsubscribed from the topic",
            f"nothing on the connection after it unsubscribed from {topic}",
            f"the {delivery.name} frame",
        )


async def broadcast_all(run: WsContext, channel: Channel, op: WsOperation, operations: list[WsOperation], opened: list[Connection]) -> None:
    declaration = op.effect["fanout"]
    delivery = delivery_of(channel, declaration)
    if delivery is None or not op.messages or not op.messages[0].examples:
        return
    topic, marker = f"apitwin.{secrets.token_hex(4)}", f"apitwin-{secrets.token_hex(4)}"
    sender = await run.connection(opened, channel, "broadcast sender")
    receivers = [await run.connection(opened, channel, f"subscriber {n}") for n in (1, 2, 3)]
    for connection in [sender, *receivers]:
        if not await subscribe(run, connection, operations, topic, "subscribe"):
            return
    await broadcast(run, channel, op, sender, topic, marker)
    for number, receiver in enumerate(receivers, 1):
        if await receiver.expect(lambda f: run.contract.valid(delivery, f) and carries(topic)(f), run.wait) is None:
            raise Violated(
                f"a broadcast did not reach every subscriber of its topic (subscriber {number} of {len(receivers)})",
                f"{delivery.name} on each of the {len(receivers)} other subscribed connections",
                f"nothing on subscriber {number}",
            )
    if declaration.get("include_sender") is False:
        if await sender.expect(lambda f: run.contract.valid(delivery, f) and carries(topic)(f), run.wait / 2) is not None:
            raise Violated(
                "a broadcast was delivered back to its sender",
                f"no {delivery.name} on the sending connection (include_sender: false)",
                f"the {delivery.name} frame",
            )


async def direct_only(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    """A connection of the logged-in user sends a direct message to itself (its user); a
    connection of a second user, present on the same channel, must not get it."""
    declaration = op.effect["deliver"]
    delivery = delivery_of(channel, declaration)
    user = run.user_id()
    other_token = second_user_token(run)
    if delivery is None or user is None or other_token is None or not op.messages or not op.messages[0].examples:
        return
    bystander = await run.connection(opened, channel, "another user's connection", token=other_token)
    receiver = await run.connection(opened, channel, "direct receiver")
    sender = await run.connection(opened, channel, "direct sender")
    marker = f"apitwin-{secrets.token_hex(4)}"
    frame = marked(set_path(op.messages[0].examples[0], declaration.get("user", "user"), user), marker)
    # ours: the frame with our marker, or (a message without a payload to mark) any delivery
    ours = carries(marker) if marker in json.dumps(frame) else (lambda f: run.contract.valid(delivery, f))
    await sender.send(frame)
    if await receiver.expect(ours, run.wait) is None:
        return  # not delivered at all: ws_direct_delivery's finding
    if await bystander.expect(ours, run.wait / 2) is not None:
        raise Violated(
            f"a direct message to {user} reached another user's connection",
            f"{delivery.name} only on connections of {user}",
            "the message on a connection of another user",
        )


def second_user_token(run: WsContext) -> str | None:
    """A token of a second account the contract names (x-apitwin.auth.users), logged in the
    contract's own way; None without one."""
    users = [user for user in run.target.contract.auth.get("users") or [] if user.get("password")]
    mine = run.session.credentials.username or (users[0].get("username") if users else None)
    other = next((user for user in users if (user.get("username") or user.get("email")) != mine and "user" in (user.get("roles") or ["user"])), None)
    login = next(run.target.contract.operations_with("auth", "login"), None)
    if other is None or login is None:
        return None
    credentials = Credentials(username=other.get("username") or other.get("email"), password=other["password"])
    session = AuthSession(run.target.contract, run.target.base_url, credentials, timeout=run.settings.request_timeout)
    return session.current_token()  # None when the login fails


async def check(run: WsContext, channel: Channel, operations: list[WsOperation], perform) -> None:  # noqa: ANN001
    """Every promise the channel's operations declare, each under its own check name."""
    from conformance.websocket import rest_events

    for op in operations:
        if "fanout" in op.effect:
            if any("unsubscribe" in candidate.effect for candidate in operations):
                await perform(run, "ws_unsubscribe", op.id, lambda opened, op=op: unsubscribe_stops(run, channel, op, operations, opened))
            await perform(run, "ws_broadcast_all", op.id, lambda opened, op=op: broadcast_all(run, channel, op, operations, opened))
        if "deliver" in op.effect:
            await perform(run, "ws_direct_only", op.id, lambda opened, op=op: direct_only(run, channel, op, opened))
        if op.action == "send" and op.events:
            await perform(run, "ws_event_record", op.id, lambda opened, op=op: rest_events.event_record(run, channel, op, opened))
