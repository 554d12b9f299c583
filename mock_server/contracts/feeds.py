"""Which AsyncAPI send operations are feeds: messages the server sends without being asked.

In AsyncAPI 3.0 ``action: send`` says only that the application sends a message, not when.
Most send operations of a contract say when through something else: they are the reply to a
client message, or apitwin's declarations tie them to a moment (``x-apitwin-trigger``), to the
HTTP side (``x-apitwin-events``) or to what a client frame causes (``x-apitwin-effect``). What
is left is a feed, as a public market feed's tickers and trades: the server sends those on its
own, over and over. The mock emits feeds and the conformance suite expects them, both from this
one reading of the contract (`find_feeds`), so they can never disagree on which ones they are.

The rule. A send operation is a feed when it declares ``x-apitwin-feed`` (a mapping, or
``true``; ``false`` opts it out, as ``x-apitwin-feed: false`` on its channel opts out the
channel's inferred feeds), or when all of these hold:

- it has no ``x-apitwin-trigger``, ``x-apitwin-events`` or ``x-apitwin-deliver`` and no
  ``reply`` (a request the server makes is not a feed);
- some of its messages are sent unprompted: not the ``reply`` of any receive operation, not the
  ``message`` an ``x-apitwin-effect`` delivers (``fanout``, ``deliver``, ``relay``,
  ``presence``), not the channel's error message. Those messages are the feed's (a declared
  feed sends all of its messages).

When it runs: from the connection's start, or, where the channels at its address document a
subscription (a receive operation whose ``x-apitwin-effect`` subscribes, or whose id, message
name or discriminating constant starts with ``subscribe``), from the moment the client sends
one, until it sends an unsubscription (the same, ``unsubscribe``). ``start``/``stop`` in the
declaration name them instead (``connect``, or receive operation ids or message names).
Cadence: ``interval_seconds`` of the operation's declaration, else of its channel's, else
`DEFAULT_INTERVAL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_server.contracts.refs import pointer_target

#: seconds between two frames of a feed that declares no interval
DEFAULT_INTERVAL = 1.0
#: the shortest interval a declaration may ask for (a faster feed would only flood the client)
MIN_INTERVAL = 0.01
_EFFECT_DELIVERIES = ("fanout", "deliver", "relay", "presence")
_BINDINGS = ("x-apitwin-trigger", "x-apitwin-events", "x-apitwin-deliver")
_MAX_HOPS = 32


class FeedDeclarationError(ValueError):
    """An ``x-apitwin-feed`` declaration the mock cannot follow: where (`pointer`, a JSON
    pointer into the document) and why."""

    def __init__(self, where: tuple[str, ...], problem: str) -> None:
        super().__init__(f"{'.'.join(where)}: {problem}")
        self.pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in where)


@dataclass(frozen=True)
class Feed:
    """One send operation the server emits on its own."""

    operation: str                 # the send operation's id
    channel: str                   # the id of its channel
    messages: tuple[str, ...]      # keys under channels.<channel>.messages, sent in turn
    interval: float                # seconds between two frames
    start: tuple[str, ...]         # receive operation ids that start it; () = on connect
    stop: tuple[str, ...]          # receive operation ids that stop it
    declared: bool                 # x-apitwin-feed says so (else the rule above inferred it)


def find_feeds(document: dict[str, Any]) -> list[Feed]:
    """The feeds of an AsyncAPI 3.x `document` as written (``$ref``s not yet followed)."""
    reader = _Reader(document)
    found: list[Feed] = []
    for op_id, op in reader.operations.items():
        if op.get("action") != "send":
            continue
        channel_id = reader.channel_id(op.get("channel"))
        if channel_id is None:
            continue
        channel = reader.channels[channel_id]
        own = op.get("x-apitwin-feed")
        shared = channel.get("x-apitwin-feed")
        if own is False or (own is None and shared is False):
            continue
        where = ("operations", op_id, "x-apitwin-feed")
        declaration = _declaration(own, where)
        defaults = _declaration(shared, ("channels", channel_id, "x-apitwin-feed"))

        def declared(key: str) -> tuple[Any, tuple[str, ...]]:
            """The operation's value for `key`, else its channel's; and where it is written."""
            if key in declaration:
                return declaration[key], (*where, key)
            return defaults.get(key), ("channels", channel_id, "x-apitwin-feed", key)
        messages = reader.operation_messages(op, channel_id)
        if own is None:
            if any(key in op for key in _BINDINGS) or op.get("reply") is not None:
                continue
            prompted = reader.prompted(channel.get("address"))
            messages = [key for key in messages if reader.identity(channel_id, key) not in prompted]
            if not messages:
                continue
        if not messages:
            raise FeedDeclarationError(where, "the operation sends no message")
        address = channel.get("address")
        start = reader.moments(*declared("start"), address, "subscribe")
        stop = reader.moments(*declared("stop"), address, "unsubscribe")
        found.append(Feed(
            operation=op_id,
            channel=channel_id,
            messages=tuple(messages),
            interval=_interval(*declared("interval_seconds")),
            start=start,
            stop=stop,
            declared=own is not None or shared is not None,
        ))
    return found


def _declaration(value: Any, where: tuple[str, ...]) -> dict[str, Any]:
    if value is None or value is True or value is False:
        return {}
    if not isinstance(value, dict):
        raise FeedDeclarationError(where, f"expected a mapping, true or false, got {type(value).__name__}")
    unknown = sorted(set(value) - {"interval_seconds", "start", "stop"})
    if unknown:
        raise FeedDeclarationError(where, f"unknown key {unknown[0]!r} (interval_seconds, start, stop)")
    return value


def _interval(value: Any, where: tuple[str, ...]) -> float:
    if value is None:
        return DEFAULT_INTERVAL
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < MIN_INTERVAL:
        raise FeedDeclarationError(where, f"a number of seconds of at least {MIN_INTERVAL}, got {value!r}")
    return float(value)


class _Reader:
    """The few parts of a raw AsyncAPI document the rule reads, local ``$ref``s followed."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.channels = self._section("channels")
        self.operations = self._section("operations")
        self._prompted: dict[Any, set[str]] = {}

    def _section(self, name: str) -> dict[str, dict[str, Any]]:
        section = self.document.get(name)
        resolved = {key: self.resolve(value) for key, value in (section.items() if isinstance(section, dict) else ())}
        return {key: value for key, value in resolved.items() if isinstance(value, dict)}

    def resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            ref = node["$ref"]
            if ref in seen or len(seen) >= _MAX_HOPS:
                return None
            seen.add(ref)
            node = pointer_target(self.document, ref)
        return node

    def channel_id(self, ref: Any) -> str | None:
        parts = _parts(ref.get("$ref")) if isinstance(ref, dict) and isinstance(ref.get("$ref"), str) else []
        return parts[1] if len(parts) == 2 and parts[0] == "channels" and parts[1] in self.channels else None

    def messages_of(self, channel_id: str) -> dict[str, Any]:
        messages = self.channels[channel_id].get("messages")
        return messages if isinstance(messages, dict) else {}

    def identity(self, channel_id: str, key: str) -> str:
        """One name for a message however it is reached: the component a channel's entry
        refers to, else the entry's own place."""
        entry = self.messages_of(channel_id).get(key)
        if isinstance(entry, dict) and isinstance(entry.get("$ref"), str):
            return entry["$ref"]
        return f"#/channels/{channel_id}/messages/{key}"

    def refs(self, refs: Any, default_channel: str) -> list[tuple[str, str]]:
        """(channel id, message key) of each ``#/channels/<c>/messages/<m>`` reference."""
        found: list[tuple[str, str]] = []
        for ref in refs if isinstance(refs, list) else []:
            parts = _parts(ref.get("$ref")) if isinstance(ref, dict) and isinstance(ref.get("$ref"), str) else []
            if len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages" and parts[1] in self.channels:
                found.append((parts[1], parts[3]))
            elif parts and parts[-1] in self.messages_of(default_channel):
                found.append((default_channel, parts[-1]))
        return found

    def operation_messages(self, op: dict[str, Any], channel_id: str) -> list[str]:
        """The keys (under its own channel) of the messages an operation names, else all of them."""
        if op.get("messages"):
            return [key for channel, key in self.refs(op["messages"], channel_id) if channel == channel_id]
        return list(self.messages_of(channel_id))

    def at(self, address: Any) -> list[str]:
        """The ids of the channels at `address` (one connection carries all their messages)."""
        return [cid for cid, channel in self.channels.items() if channel.get("address") == address]

    def prompted(self, address: Any) -> set[str]:
        """Identities of the messages something else explains at `address`: replies, what an
        ``x-apitwin-effect`` delivers, the error message."""
        if address in self._prompted:
            return self._prompted[address]
        here = self.at(address)
        found: set[str] = set()
        for op in self.operations.values():
            if op.get("action") != "receive":
                continue
            channel_id = self.channel_id(op.get("channel"))
            reply = self.resolve(op.get("reply"))
            if isinstance(reply, dict):
                target = self.channel_id(reply.get("channel")) or channel_id
                if target is not None:
                    named = self.refs(reply.get("messages"), target)
                    if not named and not reply.get("messages") and reply.get("channel"):
                        named = [(target, key) for key in self.messages_of(target)]
                    found |= {self.identity(c, k) for c, k in named}
            if channel_id in here:
                effect = op.get("x-apitwin-effect")
                for kind in _EFFECT_DELIVERIES:
                    declared = effect.get(kind) if isinstance(effect, dict) else None
                    if isinstance(declared, dict) and declared.get("message") is not None:
                        found |= self._named(str(declared["message"]), here)
        for channel_id in here:
            error = self.channels[channel_id].get("x-apitwin-error-message")
            if error is not None:
                found |= self._named(str(error), here)
        for op in self.operations.values():
            if op.get("action") == "send" and "invalid-frame" in _listed(op.get("x-apitwin-trigger")):
                channel_id = self.channel_id(op.get("channel"))
                if channel_id is not None:
                    found |= {self.identity(channel_id, key) for key in self.operation_messages(op, channel_id)}
        self._prompted[address] = found
        return found

    def _named(self, name: str, channel_ids: list[str]) -> set[str]:
        return {self.identity(cid, name) for cid in channel_ids if name in self.messages_of(cid)}

    def moments(self, declared: Any, where: tuple[str, ...], address: Any, word: str) -> tuple[str, ...]:
        """The receive operations at `address` that start (`word` subscribe) or stop
        (unsubscribe) a feed: the declared ones (ids or message names; ``connect`` = none),
        else those that look like a subscription."""
        receives = {op_id: op for op_id, op in self.operations.items()
                    if op.get("action") == "receive" and self.channel_id(op.get("channel")) in self.at(address)}
        if declared is not None:
            names = _listed(declared)
            if not names or names == ["connect"]:
                return ()
            found: list[str] = []
            for name in names:
                matches = [op_id for op_id, op in receives.items() if name == op_id or name in self._message_names(op)]
                if not matches:
                    raise FeedDeclarationError(where, f"{name!r} is no receive operation or client message at {address!r}")
                found += [m for m in matches if m not in found]
            return tuple(found)
        return tuple(op_id for op_id, op in receives.items() if self._looks_like(op_id, op, word))

    def _message_names(self, op: dict[str, Any]) -> list[str]:
        channel_id = self.channel_id(op.get("channel"))
        if channel_id is None:
            return []
        names: list[str] = []
        for key in self.operation_messages(op, channel_id):
            message = self.resolve(self.messages_of(channel_id).get(key))
            names.append(key)
            if isinstance(message, dict):
                if isinstance(message.get("name"), str):
                    names.append(message["name"])
                constant = _constant(self, message.get("payload"))
                if isinstance(constant, str):
                    names.append(constant)
        return names

    def _looks_like(self, op_id: str, op: dict[str, Any], word: str) -> bool:
        effect = op.get("x-apitwin-effect")
        if isinstance(effect, dict) and word in effect:
            return True
        return any(name.lower().startswith(word) for name in [op_id, *self._message_names(op)])


def _constant(reader: _Reader, schema: Any) -> Any:
    """The value of the payload's first constant property (``event: {const: subscribe}``)."""
    schema = reader.resolve(schema)
    if not isinstance(schema, dict):
        return None
    parts = [schema, *[reader.resolve(s) for s in schema.get("allOf") or [] if isinstance(schema.get("allOf"), list)]]
    for part in parts:
        properties = part.get("properties") if isinstance(part, dict) else None
        for prop in (properties.values() if isinstance(properties, dict) else ()):
            prop = reader.resolve(prop)
            if isinstance(prop, dict) and "const" in prop:
                return prop["const"]
            if isinstance(prop, dict) and isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1:
                return prop["enum"][0]
    return None


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _parts(ref: Any) -> list[str]:
    """``#/channels/ws/messages/Subscribe`` -> ``['channels', 'ws', 'messages', 'Subscribe']``."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return []
    pointer = ref[1:].strip("/")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")] if pointer else []
