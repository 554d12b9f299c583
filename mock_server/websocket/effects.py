"""What a client frame causes, as the receiving operation's ``x-apitwin-effect`` declares it.

Keys of ``x-apitwin-effect`` (paths are dotted into the client's frame; see `frames` for the
source expressions ``copy``/``reply_copy``/``fill`` accept)::

    subscribe: data.topics          # add the connection to these topics
    unsubscribe: data.topics
    fanout:                         # to the other subscribers of a topic
      {topic: data.topic, message: BroadcastDelivery, include_sender: false,
       copy: {target: source}, sender: data.from_user}
    deliver:                        # to every connection of one user
      {user: data.target_user, message: DirectMessageDelivery, copy: {...}, sender: data.from_user,
       not_connected: {code: 404, message: 'User {user} not found or not connected'}}
    relay:                          # to the other participants of a conversation
      {conversation: data.conversation_id, message: TypingEvent, sender: data.user_id, copy: {...},
       not_found: {code: not_found, message: 'Conversation {conversation} not found'}}
    presence:                       # set the sender's status, tell everyone sharing a conversation
      {status: data.status, message: PresenceEvent, fill: {...}}
    reply_copy: {target: source}    # values of the reply frame
    reply_binary_size: data.details.size

The reply is the operation's first ``reply`` message that is not the error message. Send
operations: ``x-apitwin-trigger`` (``connect``, ``disconnect``, ``heartbeat``, ``invalid-frame``),
``x-apitwin-events`` (HTTP-side events) with ``x-apitwin-deliver`` (``user``, ``users``,
``group``: paths into the event record; ``exclude``: a user left out of the group's members,
e.g. the sender; ``all: true``; ``audience: conversations``)
and ``x-apitwin-fill``. A triggered frame without ``x-apitwin-deliver`` goes to the connection
itself on each connect; one with an audience is about the user, so it is sent when the user's
first connection opens and their last one closes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mock_server.websocket.contract import Message, ReceiveOperation, SendOperation
from mock_server.websocket.frames import MISSING, get_path
from mock_server.websocket.registry import Connection, send_frame

if TYPE_CHECKING:
    from mock_server.websocket.engine import ChannelRuntime, WebSocketApp

logger = logging.getLogger("apitwin.websocket")


class Effects:
    def __init__(self, app: WebSocketApp, live: ChannelRuntime) -> None:
        self.app = app
        self.live = live
        self.channel = live.channel
        self.registry = app.registry
        self.stats = app.runtime.stats

    # -- client frames ---------------------------------------------------------------------

    async def run(self, connection: Connection, operation: ReceiveOperation, frame: Any, *, size: int | None = None,
                  message: Message | None = None) -> None:
        effect = operation.effect
        context = self.app.context(connection, frame=frame, size=size)
        reply = self._reply_message(operation)
        reply_fills: dict[str, Any] = {}
        if message is not None and message.correlation and reply is not None:
            # the request's correlationId, where the reply has one (or the same property)
            target = reply.correlation or (message.correlation if reply.has_property(message.correlation) else None)
            if target:
                reply_fills[target] = f"$frame.{message.correlation}"
        reply_fills.update(effect.get("reply_copy") or {})
        if effect.get("reply_binary_size"):
            reply_fills[effect["reply_binary_size"]] = "$size"
        if "subscribe" in effect:
            self.registry.subscribe(connection, self._topics(frame, effect["subscribe"]))
        if "unsubscribe" in effect:
            self.registry.unsubscribe(connection, self._topics(frame, effect["unsubscribe"]))
        if "fanout" in effect:
            await self._fanout(connection, effect["fanout"], context)
        if "deliver" in effect and not await self._deliver(connection, effect["deliver"], context):
            return
        if "relay" in effect and not await self._relay(connection, effect["relay"], context):
            return
        if "presence" in effect:
            await self._presence(connection, effect["presence"], context)
        if reply is not None:
            # without declarations, the reply is the documented one: its example, where it has one
            frame = self.app.builder.build(reply, reply_fills, context, from_example=not effect)
            await send_frame([connection], frame, self.stats)

    def _reply_message(self, operation: ReceiveOperation) -> Message | None:
        error = self.channel.error_message
        return next((m for m in operation.replies if error is None or m.key != error.key), None)

    @staticmethod
    def _topics(frame: Any, path: str) -> list[str]:
        value = get_path(frame, path)
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _fills(self, declaration: dict[str, Any]) -> dict[str, Any]:
        fills = dict(declaration.get("copy") or {})
        fills.update(declaration.get("fill") or {})
        if declaration.get("sender"):
            fills[declaration["sender"]] = "$user.id"
        return fills

    def _message(self, key: Any) -> Message | None:
        message = self.channel.messages.get(str(key))
        if message is None:
            logger.warning("effect names message %r, which channel %s does not have", key, self.channel.key)
        return message

    async def _fanout(self, connection: Connection, declaration: dict[str, Any], context: Any) -> None:
        topic = get_path(context.roots["frame"], declaration.get("topic", "data.topic"))
        message = self._message(declaration.get("message"))
        if topic is MISSING or message is None:
            return
        targets = self.registry.of_topic(str(topic))
        if not declaration.get("include_sender", False):
            targets = [c for c in targets if c is not connection]
        if targets:
            await send_frame(targets, self.app.builder.build(message, self._fills(declaration), context), self.stats)

    async def _deliver(self, connection: Connection, declaration: dict[str, Any], context: Any) -> bool:
        user = get_path(context.roots["frame"], declaration.get("user", "data.target_user"))
        message = self._message(declaration.get("message"))
        targets = self.registry.of_user(user) if user is not MISSING else []
        if not targets:
            failure = declaration.get("not_connected") or {"code": 404, "message": "User {user} not connected"}
            await self.app.error(self.live, connection, "not-connected",
                                 str(failure.get("message", "")).replace("{user}", str(user)), status=404, code=failure.get("code"))
            return False
        if message is not None:
            await send_frame(targets, self.app.builder.build(message, self._fills(declaration), context), self.stats)
        return True

    async def _relay(self, connection: Connection, declaration: dict[str, Any], context: Any) -> bool:
        conversation = get_path(context.roots["frame"], declaration.get("conversation", "data.conversation_id"))
        members = self.live.conversations.members(None if conversation is MISSING else conversation)
        if members is None or (connection.user_id is not None and connection.user_id not in members):
            failure = declaration.get("not_found") or {"code": 404, "message": "Conversation {conversation} not found"}
            await self.app.error(self.live, connection, "not-found",
                                 str(failure.get("message", "")).replace("{conversation}", str(conversation)), status=404, code=failure.get("code"))
            return False
        message = self._message(declaration.get("message"))
        targets = [c for user in members if user != connection.user_id for c in self.registry.of_user(user)]
        if message is not None and targets:
            await send_frame(targets, self.app.builder.build(message, self._fills(declaration), context), self.stats)
        return True

    async def _presence(self, connection: Connection, declaration: dict[str, Any], context: Any) -> None:
        status = get_path(context.roots["frame"], declaration.get("status", "data.status"))
        if status is MISSING:
            return
        context.roots["presence"] = self.live.presence.set(connection.user_id, str(status))
        message = self._message(declaration.get("message"))
        if message is not None:
            await self._to_peers(connection.user_id, message, self._fills(declaration), context)

    async def _to_peers(self, user_id: Any, message: Message, fills: dict[str, Any], context: Any) -> None:
        peers = self.live.conversations.sharing(user_id) if user_id is not None else set()
        targets = [c for peer in peers for c in self.registry.of_user(peer)]
        if targets:
            await send_frame(targets, self.app.builder.build(message, fills, context), self.stats)

    # -- triggers --------------------------------------------------------------------------

    async def connected(self, connection: Connection, first: bool) -> None:
        presence = None
        if first and self.live.presence.enabled:
            presence = self.live.presence.online(connection.user_id)
        await self._triggered("connect", connection, first, presence)

    async def disconnected(self, connection: Connection, last: bool) -> None:
        presence = None
        if last and self.live.presence.enabled:
            presence = self.live.presence.offline(connection.user_id)
        await self._triggered("disconnect", connection, last, presence)

    async def heartbeat(self, connection: Connection) -> None:
        for send in self.channel.triggered("heartbeat"):
            for message in send.messages:
                await send_frame([connection], self.app.builder.build(message, send.fill, self.app.context(connection)), self.stats)

    async def _triggered(self, trigger: str, connection: Connection, first_or_last: bool, presence: Any) -> None:
        for send in self.channel.triggered(trigger):
            context = self.app.context(connection, presence=presence)
            for message in send.messages:
                if not send.deliver:
                    if trigger == "connect":
                        await send_frame([connection], self.app.builder.build(message, send.fill, context), self.stats)
                elif first_or_last and send.deliver.get("audience") == "conversations":
                    await self._to_peers(connection.user_id, message, send.fill, context)

    # -- HTTP-side events --------------------------------------------------------------------

    def subscribe_events(self, bus: Any) -> None:
        for send in self.channel.sends:
            for name in send.events:
                bus.subscribe(name, lambda event, send=send: self._on_event(send, event))

    def _on_event(self, send: SendOperation, event: Any) -> None:
        if not self.registry.connections:
            return
        self.app.spawn(self._deliver_event(send, event))

    async def _deliver_event(self, send: SendOperation, event: Any) -> None:
        record = event.data
        deliver = send.deliver
        if deliver.get("all"):
            targets = [c for c in self.registry.connections.values() if c.channel_key == self.channel.key]
        else:
            users: set[str] = set()
            if deliver.get("group"):
                group = get_path(record, deliver["group"])
                if group is not MISSING and group is not None:
                    users |= self.live.conversations.members(group) or set()
            if deliver.get("exclude"):  # the sender is a member of the group, not its audience
                users.discard(str(get_path(record, deliver["exclude"])))
            for key in ("user", "users"):
                if deliver.get(key):
                    value = get_path(record, deliver[key])
                    if value is not MISSING and value is not None:
                        users.update(str(v) for v in (value if isinstance(value, list) else [value]))
            targets = [c for user in users for c in self.registry.of_user(user) if c.channel_key == self.channel.key]
        if not targets:
            return
        context = self.app.context(event=record, event_name=event.name, default_root="event")
        for message in send.messages:
            await send_frame(targets, self.app.builder.build(message, send.fill, context), self.stats)
