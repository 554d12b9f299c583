"""The AsyncAPI 3.0 contract as the WebSocket engine reads it: channels, messages, operations.

The document is loaded and dereferenced once; each channel becomes a `Channel` holding its
address (as a regular expression over the request path; a parameter's `enum` refuses other
values), the messages a client may send (each recognised by the constant of its discriminating
property, usually ``type``), what each of them causes (``x-apitwin-effect`` on the receiving operation, its ``reply`` messages), the frames the
server sends on its own (``x-apitwin-trigger``, ``x-apitwin-events``, feeds: see
`mock_server.contracts.feeds`) and the channel's limits.
Every ``x-apitwin*`` key read here is documented in the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from mock_server.contracts.feeds import Feed, FeedDeclarationError, find_feeds
from mock_server.contracts.loader import load_document
from mock_server.contracts.refs import resolve_refs

BINARY_TYPES = ("application/octet-stream",)


@dataclass
class Message:
    """One message of the channel: its schema, and how a frame is recognised as this message."""

    key: str                         # the key under channels.<ch>.messages
    name: str
    schema: dict[str, Any]
    binary: bool
    discriminator: tuple[str, Any] | None   # (property, const) that tells this message apart
    validator: Any                   # compiled once (jsonschema_rs: frames are a hot path)
    correlation: str | None = None   # dotted path of its correlationId in the payload (reply <- request)
    examples: list[Any] = field(default_factory=list)   # its example payloads that its schema accepts

    def has_property(self, path: str) -> bool:
        """Whether the schema names the dotted property `path` (through allOf/oneOf/anyOf)."""
        return _names(self.schema, path.split("."), 0)

    def errors(self, value: Any) -> list[str]:
        if self.validator.is_valid(value):
            return []
        return [_describe(error) for error in self.validator.iter_errors(value)]


@dataclass
class ReceiveOperation:
    """A frame the client sends, what it causes and what answers it."""

    operation_id: str
    messages: list[Message]
    replies: list[Message]
    effect: dict[str, Any]


@dataclass
class SendOperation:
    """A frame the server sends on its own: on a trigger or for an HTTP-side event."""

    operation_id: str
    messages: list[Message]
    triggers: list[str]
    events: list[str]
    deliver: dict[str, Any]
    fill: dict[str, Any]
    feed: Feed | None = None         # sent on its own, at a cadence (`mock_server.contracts.feeds`)

    @property
    def feed_messages(self) -> list[Message]:
        """The messages its feed sends in turn (those no client message prompts; text ones)."""
        return [m for m in self.messages if self.feed is not None and m.key in self.feed.messages and not m.binary]


@dataclass
class Channel:
    key: str
    address: str
    pattern: re.Pattern[str]
    messages: dict[str, Message]
    receives: list[ReceiveOperation]
    sends: list[SendOperation]
    declarations: dict[str, Any]           # the channel's own x-apitwin-* keys, prefix removed
    security: list[dict[str, Any]]         # the security schemes of its servers
    handshake_errors: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: address parameter -> the values its `enum` allows (a parameter without one takes any)
    allowed: dict[str, list[str]] = field(default_factory=dict)

    def match(self, path: str) -> dict[str, str] | None:
        """The address parameters of `path`, or None where it is not this channel's address or
        a parameter's value is not one its `enum` lists (that address documents no channel)."""
        params = self.address_params(path)
        return params if params is not None and not self.refused_params(params) else None

    def address_params(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None

    def refused_params(self, params: dict[str, str]) -> list[str]:
        """Why these address parameter values are not documented (one line per parameter)."""
        return [f"{name} {params[name]!r} is not one of {_listed(values)}"
                for name, values in self.allowed.items() if name in params and params[name] not in values]

    def heartbeat(self) -> tuple[float | None, float | None]:
        declared = self.declarations.get("heartbeat") or {}
        return declared.get("interval_seconds"), declared.get("timeout_seconds")

    @property
    def max_frame_size(self) -> int | None:
        return self.declarations.get("max-frame-size")

    @property
    def error_message(self) -> Message | None:
        key = self.declarations.get("error-message")
        if key and key in self.messages:
            return self.messages[key]
        for send in self.sends:
            if "invalid-frame" in send.triggers and send.messages:
                return send.messages[0]
        return None

    def triggered(self, trigger: str) -> list[SendOperation]:
        return [send for send in self.sends if trigger in send.triggers]

    def receive_for(self, message: Message) -> ReceiveOperation | None:
        return next((op for op in self.receives if any(m is message for m in op.messages)), None)

    def client_messages(self) -> list[Message]:
        seen: dict[str, Message] = {}
        for op in self.receives:
            for message in op.messages:
                seen[message.key] = message
        return list(seen.values())


@dataclass
class AsyncContract:
    document: dict[str, Any]
    channels: list[Channel]
    path: Path | None = None

    def channel_for(self, path: str) -> tuple[Channel, dict[str, str]] | None:
        for channel in self.channels:
            params = channel.match(path)
            if params is not None:
                return channel, params
        return None

    def why_not_found(self, path: str) -> str:
        """Why no channel serves `path`: the address parameter values its `enum` refuses, where
        an address matches, else that none does."""
        for channel in self.channels:
            params = channel.address_params(path)
            if params is not None:
                return f"No WebSocket channel at {path}: " + "; ".join(channel.refused_params(params))
        return f"No WebSocket channel at {path}"


class AsyncContractError(Exception):
    """The AsyncAPI contract cannot drive the engine (say where)."""


def load_contract(path: Path | str) -> AsyncContract:
    raw = load_document(path)
    document = resolve_refs(raw, base=Path(path))
    return build_contract(raw, document, Path(path))


def build_contract(raw: dict[str, Any], document: dict[str, Any], path: Path | None = None) -> AsyncContract:
    """`raw` keeps the `$ref`s that name channels and messages; `document` is dereferenced."""
    if not str(document.get("asyncapi", "")).startswith("3."):
        raise AsyncContractError(f"{path}: only AsyncAPI 3.x is supported (asyncapi: {document.get('asyncapi')!r})")
    try:
        feeds = {feed.operation: feed for feed in find_feeds(raw)}
    except FeedDeclarationError as error:
        raise AsyncContractError(f"{path}: {error}") from None
    channels: dict[str, Channel] = {}
    for key, spec in (document.get("channels") or {}).items():
        if not isinstance(spec, dict) or not spec.get("address"):
            continue
        messages = {name: _message(name, msg) for name, msg in (spec.get("messages") or {}).items()}
        channels[key] = Channel(
            key=key,
            address=spec["address"],
            pattern=_address_pattern(spec["address"]),
            messages=messages,
            receives=[],
            sends=[],
            declarations={k[len("x-apitwin-"):]: v for k, v in spec.items() if k.startswith("x-apitwin-")},
            security=_security(spec.get("servers") or list((document.get("servers") or {}).values()), document),
            handshake_errors={int(k): v for k, v in (spec.get("x-apitwin-handshake-errors") or {}).items()},
            allowed=_allowed_values(spec.get("parameters")),
        )
    for op_id, op in (raw.get("operations") or {}).items():
        channel = channels.get(_ref_name(op.get("channel")))
        if channel is None:
            continue
        messages = [m for m in (_lookup(ref, channels, channel) for ref in op.get("messages") or []) if m is not None]
        messages = messages or list(channel.messages.values())
        if op.get("action") == "receive":
            channel.receives.append(ReceiveOperation(op_id, messages, _replies(op.get("reply"), channels, channel),
                                                     dict(op.get("x-apitwin-effect") or {})))
        elif op.get("action") == "send":
            triggers = op.get("x-apitwin-trigger") or []
            channel.sends.append(SendOperation(
                op_id, messages,
                [triggers] if isinstance(triggers, str) else list(triggers),
                list(op.get("x-apitwin-events") or []),
                dict(op.get("x-apitwin-deliver") or {}),
                dict(op.get("x-apitwin-fill") or {}),
                feeds.get(op_id),
            ))
    return AsyncContract(document, _by_address(list(channels.values())), path)


def _replies(reply: Any, channels: dict[str, Channel], channel: Channel) -> list[Message]:
    """An operation's reply messages: the ones it names, else every message of its reply
    channel (``reply: {channel: ...}`` alone), which may be another channel than its own."""
    if not isinstance(reply, dict):
        return []
    target = channels.get(_ref_name(reply.get("channel"))) or channel
    named = [m for m in (_lookup(ref, channels, target) for ref in reply.get("messages") or []) if m is not None]
    if named or reply.get("messages"):
        return named
    return list(target.messages.values()) if reply.get("channel") else []


def _by_address(channels: list[Channel]) -> list[Channel]:
    """One channel per address: channels sharing an address (a public feed where every channel
    is ``/``) are one connection, so they are served as one, its messages found among all of
    theirs (see the engine's dispatch)."""
    groups: dict[str, list[Channel]] = {}
    for channel in channels:
        groups.setdefault(channel.address, []).append(channel)
    return [group[0] if len(group) == 1 else _joined(group) for group in groups.values()]


def _joined(group: list[Channel]) -> Channel:
    messages: dict[str, Message] = {}
    for channel in group:
        for key, message in channel.messages.items():
            if key in messages and messages[key] is not message:
                key = f"{channel.key}.{key}"  # the same name for another message: keep both
            messages[key] = message
    declarations: dict[str, Any] = {}
    security: list[dict[str, Any]] = []
    handshake_errors: dict[int, dict[str, Any]] = {}
    # a value is refused only where every channel at the address refuses it
    names = set.intersection(*(set(channel.allowed) for channel in group))
    allowed = {name: sorted({v for channel in group for v in channel.allowed[name]}) for name in names}
    for channel in group:
        for name, value in channel.declarations.items():
            declarations.setdefault(name, value)
        security += [scheme for scheme in channel.security if scheme not in security]
        for status, schema in channel.handshake_errors.items():
            handshake_errors.setdefault(status, schema)
    first = group[0]
    return Channel(
        key="+".join(channel.key for channel in group), address=first.address, pattern=first.pattern,
        messages=messages, receives=[op for c in group for op in c.receives], sends=[op for c in group for op in c.sends],
        declarations=declarations, security=security, handshake_errors=handshake_errors, allowed=allowed,
    )


def _allowed_values(parameters: Any) -> dict[str, list[str]]:
    """AsyncAPI 3.0 Parameter objects' `enum`s, as the strings an address carries."""
    allowed: dict[str, list[str]] = {}
    for name, parameter in (parameters.items() if isinstance(parameters, dict) else ()):
        values = parameter.get("enum") if isinstance(parameter, dict) else None
        if isinstance(values, list) and values:
            allowed[str(name)] = [address_text(value) for value in values]
    return allowed


def address_text(value: Any) -> str:
    """How a documented parameter value reads in an address (YAML may have made `true` or `2`
    of it); the suite chooses its values with the same reading."""
    return "true" if value is True else "false" if value is False else str(value)


def _listed(values: list[str], shown: int = 8) -> str:
    head = ", ".join(values[:shown])
    return head + (f" (and {len(values) - shown} more)" if len(values) > shown else "")


def _message(key: str, spec: dict[str, Any]) -> Message:
    schema = spec.get("payload") if isinstance(spec.get("payload"), dict) else {}
    content_type = str(spec.get("contentType") or "")
    binary = content_type in BINARY_TYPES or schema.get("format") == "binary"
    return Message(
        key=key,
        name=str(spec.get("name") or key),
        schema=schema,
        binary=binary,
        discriminator=_discriminator(schema),
        validator=jsonschema_rs.validator_for(_json_schema(schema)),
        correlation=_correlation(spec.get("correlationId")),
        examples=_examples(spec, schema, binary),
    )


def _examples(spec: dict[str, Any], schema: dict[str, Any], binary: bool) -> list[Any]:
    if binary:
        return []
    validator = jsonschema_rs.validator_for(_json_schema(schema))
    payloads = [e["payload"] for e in spec.get("examples") or [] if isinstance(e, dict) and "payload" in e]
    return [payload for payload in payloads if validator.is_valid(payload)]


def _names(schema: Any, parts: list[str], depth: int) -> bool:
    if not isinstance(schema, dict) or depth > 32:
        return False
    if not parts:
        return True
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    if parts[0] in properties and _names(properties[parts[0]], parts[1:], depth + 1):
        return True
    return any(_names(part, parts, depth + 1) for key in ("allOf", "oneOf", "anyOf")
               for part in schema.get(key) or [] if isinstance(schema.get(key), list))


def _correlation(declared: Any) -> str | None:
    """``correlationId: {location: '$message.payload#/reqid'}`` -> ``reqid`` (a dotted path)."""
    location = declared.get("location") if isinstance(declared, dict) else None
    if not isinstance(location, str) or not location.startswith("$message.payload#"):
        return None
    pointer = location[len("$message.payload#"):]
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p]
    return ".".join(parts) or None


def _discriminator(schema: dict[str, Any]) -> tuple[str, Any] | None:
    """The first property whose value is a constant: ``type: {const: Subscribe}``."""
    for source in [schema, *[s for s in schema.get("allOf") or [] if isinstance(s, dict)]]:
        for name, prop in (source.get("properties") or {}).items():
            if isinstance(prop, dict):
                if "const" in prop:
                    return name, prop["const"]
                if isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1:
                    return name, prop["enum"][0]
    return None


def _json_schema(schema: Any) -> Any:
    """AsyncAPI schema -> plain JSON Schema: drop `format: binary` payloads' string typing."""
    if isinstance(schema, dict) and schema.get("format") == "binary":
        return {}
    return schema


def _address_pattern(address: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", address)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex.rstrip("/") + "/?" if regex != "/" else "/")


def _ref_parts(ref: Any) -> list[str]:
    """``{$ref: '#/channels/ws/messages/Subscribe'}`` -> ``['channels', 'ws', 'messages', 'Subscribe']``."""
    if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
        pointer = ref["$ref"].partition("#")[2]
        return [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
    return []


def _ref_name(ref: Any) -> str:
    """``{$ref: '#/channels/ws/messages/Subscribe'}`` -> ``Subscribe``."""
    parts = _ref_parts(ref)
    return parts[-1] if parts else ""


def _lookup(ref: Any, channels: dict[str, Channel], channel: Channel) -> Message | None:
    """The message a reference names: ``#/channels/<channel>/messages/<name>`` in that channel
    (a reply may name another channel's message), else by name in `channel`."""
    parts = _ref_parts(ref)
    if len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages" and parts[1] in channels:
        return channels[parts[1]].messages.get(parts[3])
    return channel.messages.get(parts[-1]) if parts else None


def _security(servers: list[Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    schemes: list[dict[str, Any]] = []
    for server in servers:
        if not isinstance(server, dict):
            continue
        for scheme in server.get("security") or []:
            if isinstance(scheme, dict) and scheme not in schemes:
                schemes.append(scheme)
    return schemes


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.instance_path)
    return f"{where or 'frame'}: {error.message}"
