"""The AsyncAPI 3.0 contract as the WebSocket engine reads it: channels, messages, operations.

The document is loaded and dereferenced once; each channel becomes a `Channel` holding its
address (as a regular expression over the request path), the messages a client may send (each
recognised by the constant of its discriminating property, usually ``type``), what each of them
causes (``x-apitwin-effect`` on the receiving operation, its ``reply`` messages), the frames the
server sends on its own (``x-apitwin-trigger``, ``x-apitwin-events``) and the channel's limits.
Every ``x-apitwin*`` key read here is documented in the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

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

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None

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
        return next((op for op in self.receives if any(m.key == message.key for m in op.messages)), None)

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
            security=_security(spec.get("servers") or [], document),
            handshake_errors={int(k): v for k, v in (spec.get("x-apitwin-handshake-errors") or {}).items()},
        )
    for op_id, op in (raw.get("operations") or {}).items():
        channel = channels.get(_ref_name(op.get("channel")))
        if channel is None:
            continue
        messages = [_lookup(ref, channel) for ref in op.get("messages") or []]
        messages = [m for m in messages if m is not None] or list(channel.messages.values())
        if op.get("action") == "receive":
            reply = op.get("reply") or {}
            replies = [m for m in (_lookup(ref, channel) for ref in reply.get("messages") or []) if m is not None]
            channel.receives.append(ReceiveOperation(op_id, messages, replies, dict(op.get("x-apitwin-effect") or {})))
        elif op.get("action") == "send":
            triggers = op.get("x-apitwin-trigger") or []
            channel.sends.append(SendOperation(
                op_id, messages,
                [triggers] if isinstance(triggers, str) else list(triggers),
                list(op.get("x-apitwin-events") or []),
                dict(op.get("x-apitwin-deliver") or {}),
                dict(op.get("x-apitwin-fill") or {}),
            ))
    return AsyncContract(document, list(channels.values()), path)


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
    )


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


def _ref_name(ref: Any) -> str:
    """``{$ref: '#/channels/ws/messages/Subscribe'}`` -> ``Subscribe``."""
    if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
        return ref["$ref"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    return ""


def _lookup(ref: Any, channel: Channel) -> Message | None:
    return channel.messages.get(_ref_name(ref))


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
