"""The parts of an AsyncAPI 3.0 document the WebSocket phase acts on.

Operations are read from the server's side, as AsyncAPI 3.0 writes them: `receive` is a
message the client sends, `send` one the server sends; `reply` names the answer to a client
message. apitwin's declarations on top of that:

- channel: `x-apitwin-error-message` (the error frame's message name),
  `x-apitwin-handshake-errors` ({status: payload schema}), `x-apitwin-max-frame-size`,
  `x-apitwin-heartbeat`;
- operation: `x-apitwin-effect`, the keys the mock's engine reads (mock_server.websocket.effects):
  `subscribe`/`unsubscribe: <path of the topics>`, `fanout: {topic, message, include_sender, copy}`,
  `deliver: {user, message, copy}`, `reply_copy: {reply path: source}` (sources: see
  `conformance.websocket.copies`),
  `x-apitwin-trigger` (`connect`, `heartbeat`, `invalid-frame`), `x-apitwin-events` (REST
  events that produce this server message, matched with the OpenAPI operations' `x-apitwin-events`);
- feeds: send operations the server emits on its own (`x-apitwin-feed`, or inferred), read by
  the rule the mock follows too (`mock_server.contracts.feeds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

from conformance.assumptions import first, note
from conformance.contract import pointer_get
from mock_server.contracts.feeds import Feed, find_feeds

URI = "urn:apitwin:asyncapi"


@dataclass
class Message:
    name: str
    payload: dict
    examples: list[Any]
    binary: bool = False
    correlation: str | None = None  # dotted path of its correlationId in the payload
    #: why the contract only assumes this message (its `x-apitwin-assumed`), "" when documented
    assumed: str = ""


@dataclass
class WsOperation:
    id: str
    action: str  # receive: the client sends it; send: the server sends it
    channel: str
    messages: list[Message]
    replies: list[Message]
    effect: dict
    trigger: str | None
    events: list[str]
    definition: dict = field(default_factory=dict)

    def assumed(self, *declarations: str) -> str:
        """Why the operation (or one of its named declarations) is only assumed, or ""."""
        return first(note(self.definition), *(note(self.definition, name) for name in declarations))


@dataclass
class TokenWay:
    """One way the handshake may carry the access token."""

    kind: str  # query | bearer | header | subprotocol
    name: str = ""

    @property
    def label(self) -> str:
        return {"query": f"?{self.name}=", "bearer": "Authorization: Bearer", "subprotocol": "Sec-WebSocket-Protocol: access_token.<jwt>"}.get(
            self.kind, f"{self.name} header"
        )


@dataclass
class Channel:
    id: str
    address: str
    definition: dict
    messages: dict[str, Message] = field(default_factory=dict)
    token_ways: list[TokenWay] = field(default_factory=list)

    def extension(self, name: str, default: Any = None) -> Any:
        return self.definition.get(f"x-apitwin-{name}", default)

    @property
    def token_required(self) -> bool:
        query = ((self.definition.get("bindings") or {}).get("ws") or {}).get("query") or {}
        return bool(self.token_ways) or bool(query.get("required"))


class AsyncContract:
    def __init__(self, document: dict) -> None:
        self.document = document
        self._validators: dict[int, jsonschema.protocols.Validator] = {}

    def resolve(self, node: Any) -> Any:
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            if node["$ref"] in seen:
                break
            seen.add(node["$ref"])
            node = pointer_get(self.document, node["$ref"])
        return node

    @cached_property
    def registry(self) -> referencing.Registry:
        resource = referencing.Resource(contents=self.document, specification=referencing.jsonschema.DRAFT202012)
        return referencing.Registry().with_resource(URI, resource)

    def validator(self, schema: dict) -> jsonschema.protocols.Validator:
        validator = self._validators.get(id(schema))
        if validator is None:
            validator = jsonschema.Draft202012Validator(_reroot(schema), registry=self.registry)
            self._validators[id(schema)] = validator
        return validator

    def errors(self, schema: dict, instance: Any) -> list[str]:
        found = []
        for error in self.validator(schema).iter_errors(instance):
            where = "/".join(str(part) for part in error.absolute_path)
            found.append(f"{where or '(root)'}: {error.message}")
            if len(found) >= 3:
                break
        return found

    def valid(self, message: Message, instance: Any) -> bool:
        return not self.errors(message.payload, instance)

    def message(self, node: Any, name_hint: str = "") -> Message:
        node = self.resolve(node)
        payload = self.resolve(node.get("payload") or {})
        examples = [example["payload"] for example in node.get("examples") or [] if isinstance(example, dict) and "payload" in example]
        content_type = str(node.get("contentType", ""))
        binary = "octet-stream" in content_type or payload.get("format") == "binary" or payload.get("type") == "string" and "binary" in str(payload)
        return Message(name=str(node.get("name") or name_hint), payload=payload, examples=examples, binary=binary,
                       correlation=correlation_path(self.resolve(node.get("correlationId"))), assumed=note(node))

    @cached_property
    def channels(self) -> dict[str, Channel]:
        found = {}
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        for channel_id, definition in (self.document.get("channels") or {}).items():
            definition = self.resolve(definition)
            channel = Channel(id=channel_id, address=str(definition.get("address") or "/"), definition=definition)
            for name, node in (definition.get("messages") or {}).items():
                channel.messages[name] = self.message(node, name)
            ways: list[TokenWay] = []
            for server_ref in definition.get("servers") or list((self.document.get("servers") or {}).values()):
                server = self.resolve(server_ref)
                for requirement in server.get("security") or []:
                    scheme = self.resolve(requirement) if isinstance(requirement, dict) and "$ref" in requirement else None
                    if scheme is None and isinstance(requirement, dict):
                        scheme = schemes.get(next(iter(requirement), ""), {})
                    way = token_way(scheme or {})
                    if way and way not in ways:
                        ways.append(way)
            channel.token_ways = ways
            found[channel_id] = channel
        return found

    def message_by_ref(self, ref: dict) -> tuple[str, Message] | None:
        pointer = ref.get("$ref", "") if isinstance(ref, dict) else ""
        parts = pointer.lstrip("#/").split("/")
        if len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages":
            channel = self.channels.get(parts[1])
            if channel and parts[3] in channel.messages:
                return parts[3], channel.messages[parts[3]]
        try:
            return parts[-1], self.message(ref, parts[-1])
        except (KeyError, IndexError, TypeError):
            return None

    @cached_property
    def operations(self) -> list[WsOperation]:
        found = []
        for op_id, definition in (self.document.get("operations") or {}).items():
            channel_ref = (definition.get("channel") or {}).get("$ref", "")
            channel_id = channel_ref.rsplit("/", 1)[-1]
            messages = [pair[1] for ref in definition.get("messages") or [] if (pair := self.message_by_ref(ref))]
            if not definition.get("messages") and channel_id in self.channels:  # none named: all of its channel's
                messages = list(self.channels[channel_id].messages.values())
            reply = self.resolve(definition.get("reply") or {})
            replies = [pair[1] for ref in reply.get("messages") or [] if (pair := self.message_by_ref(ref))]
            reply_channel = str((reply.get("channel") or {}).get("$ref", "")).rsplit("/", 1)[-1]
            if not reply.get("messages") and reply_channel in self.channels:  # reply: {channel} alone
                replies = list(self.channels[reply_channel].messages.values())
            found.append(
                WsOperation(
                    id=op_id,
                    action=str(definition.get("action")),
                    channel=channel_id,
                    messages=messages,
                    replies=replies,
                    effect=definition.get("x-apitwin-effect") or {},
                    trigger=definition.get("x-apitwin-trigger"),
                    events=list(definition.get("x-apitwin-events") or []),
                    definition=definition,
                )
            )
        return found

    @cached_property
    def feeds(self) -> list[tuple[Feed, list[Message]]]:
        """Each feed with the messages it sends (none where a declaration is malformed: the
        mock refuses to start on such a contract, saying why)."""
        try:
            found = find_feeds(self.document)
        except ValueError:
            return []
        messages = {feed.operation: [self.channels[feed.channel].messages.get(key) for key in feed.messages] for feed in found}
        return [(feed, [m for m in messages[feed.operation] if m is not None and not m.binary]) for feed in found]

    def feeds_at(self, channel: Channel) -> list[tuple[Feed, list[Message]]]:
        ids = self.sharing(channel)
        return [(feed, messages) for feed, messages in self.feeds if feed.channel in ids and messages]

    def sharing(self, channel: Channel) -> set[str]:
        """The ids of the channels at `channel`'s address: one connection carries all of their
        messages (a feed where every channel's address is ``/``)."""
        return {other.id for other in self.channels.values() if other.address == channel.address}

    def endpoints(self) -> list[Channel]:
        """One channel per address, the first of those sharing it, with all their token ways."""
        found: dict[str, Channel] = {}
        for channel in self.channels.values():
            first = found.setdefault(channel.address, channel)
            if first is not channel:
                first.token_ways += [way for way in channel.token_ways if way not in first.token_ways]
        return list(found.values())

    def operations_at(self, channel: Channel) -> list[WsOperation]:
        ids = self.sharing(channel)
        return [op for op in self.operations if op.channel in ids]

    def client_messages(self, channel: Channel) -> list[Message]:
        return [m for op in self.operations_at(channel) if op.action == "receive" for m in op.messages]

    def server_messages(self, channel: Channel) -> list[Message]:
        operations = self.operations_at(channel)
        found = [m for op in operations if op.action == "send" for m in op.messages]
        found += [m for op in operations for m in op.replies if op.action == "receive"]
        return found

    def error_message(self, channel: Channel) -> Message | None:
        for other in (c for c in self.channels.values() if c.id in self.sharing(channel)):
            name = other.extension("error-message")
            if name and name in other.messages:
                return other.messages[name]
        for op in self.operations_at(channel):
            if op.trigger == "invalid-frame" and op.messages:
                return op.messages[0]
        return None


def correlation_path(declared: Any) -> str | None:
    """``{location: '$message.payload#/reqid'}`` -> ``reqid``."""
    location = declared.get("location") if isinstance(declared, dict) else None
    if not isinstance(location, str) or not location.startswith("$message.payload#"):
        return None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in location.partition("#")[2].strip("/").split("/") if p]
    return ".".join(parts) or None


def token_way(scheme: dict) -> TokenWay | None:
    kind, where, name = scheme.get("type"), scheme.get("in"), str(scheme.get("name", ""))
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return TokenWay("bearer", "Authorization")
    if kind in ("httpApiKey", "apiKey") and where == "query":
        return TokenWay("query", name)
    if kind in ("httpApiKey", "apiKey") and where == "header":
        return TokenWay("subprotocol" if name.lower() == "sec-websocket-protocol" else "header", name)
    return None


def _reroot(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: (URI + value if key == "$ref" and isinstance(value, str) and value.startswith("#") else _reroot(value))
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_reroot(item) for item in schema]
    return schema
