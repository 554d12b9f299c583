"""Building the frames the server sends: declared values first, the schema fills the rest.

A frame starts from what the contract says goes into it (``copy``/``reply_copy``/``x-apitwin-fill``:
target path -> source expression), then every required property still missing is made up by the
runtime's DataGenerator, constants are set, properties the schema does not allow are pruned, and
the result is validated against the message schema. Nothing optional is invented: a delivery
never carries a made-up ``from_user``.

Source expressions::

    data.topic            a path into the client's frame (or the event's record, for events)
    $frame.data.topic     the same, explicitly        $event / $event.receiver_id  the record
    $user.id              the connection's user id    $param.client_id             address parameter
    $connection.id        the connection's id         $message.id                  id of this message
    $now.unix / $now.ms / $now.iso                    $uuid                        a fresh UUID
    $size                 the binary frame's size     $event_name                  e.g. message.created
    $presence.status / $presence.last_seen            the user's presence after the change
    [source, source, ...] the first of these that has a value
    'literal'             any other value is used as it is (numbers, booleans, {}, 'quoted text')
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from mock_server.websocket.contract import Message

logger = logging.getLogger("apitwin.websocket")

MISSING = object()


def get_path(value: Any, path: str) -> Any:
    """``data.topic`` in ``{"data": {"topic": "x"}}`` -> "x"; MISSING when absent."""
    if path in ("", "."):
        return value
    node = value
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def put_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


class Context:
    """Everything a source expression may name, for one frame being built."""

    def __init__(self, *, frame: Any = None, event: Any = None, event_name: str | None = None,
                 user_id: Any = None, params: dict[str, Any] | None = None, connection_id: str | None = None,
                 message_id: str | None = None, size: int | None = None,
                 presence: dict[str, Any] | None = None, default_root: str = "frame") -> None:
        self.roots: dict[str, Any] = {
            "frame": frame, "event": event, "event_name": event_name,
            "user": {"id": user_id}, "param": params or {}, "connection": {"id": connection_id},
            "message": {"id": message_id or str(uuid.uuid4())}, "size": size,
            "presence": presence or {},
        }
        self.default_root = default_root

    def evaluate(self, expression: Any) -> Any:
        if isinstance(expression, list):
            for alternative in expression:
                value = self.evaluate(alternative)
                if value is not MISSING and value is not None:
                    return value
            return MISSING
        if not isinstance(expression, str):
            return expression
        if len(expression) >= 2 and expression[0] == expression[-1] == "'":
            return expression[1:-1]
        if expression.startswith("$"):
            root, _, rest = expression[1:].partition(".")
            if root == "now":
                return _now(rest or "iso")
            if root == "uuid":
                return str(uuid.uuid4())
            if root not in self.roots:
                return expression
            value = self.roots[root]
            return get_path(value, rest) if rest else (value if value is not None else MISSING)
        return get_path(self.roots[self.default_root], expression)


def _now(kind: str) -> Any:
    now = time.time()
    if kind == "unix":
        return int(now)
    if kind == "ms":
        return int(now * 1000)
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FrameBuilder:
    """Makes schema-valid frames for one contract, with the runtime's DataGenerator."""

    def __init__(self, generator: Any, root: dict[str, Any]) -> None:
        self.generator = generator
        self.root = root
        self._validators: dict[int, tuple[Any, Any]] = {}

    def build(self, message: Message, fills: dict[str, Any], context: Context, *, from_example: bool = False,
              start: Any = None) -> Any:
        """`message` with `fills` applied, on `start` (a value already made for it, e.g. a whole
        generated payload), else on its first example when `from_example`, else on nothing; its
        discriminating constant set, and the rest completed from its schema."""
        if start is not None:
            frame: Any = start
        else:
            frame = copy.deepcopy(message.examples[0]) if from_example and message.examples else {}
        if not isinstance(frame, dict):  # a documented array or scalar: nothing to fill in
            return frame
        for target, source in fills.items():
            value = context.evaluate(source)
            if value is not MISSING:
                if target in ("", "."):
                    frame = copy.deepcopy(value) if isinstance(value, dict) else frame
                else:
                    put_path(frame, target, copy.deepcopy(value))
        if message.discriminator is not None and isinstance(frame, dict):
            frame.setdefault(*message.discriminator)  # what tells this message apart, even when optional
        frame = self.complete(message.schema, frame)
        problems = message.errors(frame)
        if problems:
            logger.warning("frame %s does not match its schema: %s", message.key, "; ".join(problems[:3]))
        return frame

    def complete(self, schema: Any, value: Any) -> Any:
        """Fill required properties and constants, prune what the schema does not allow."""
        written = schema
        schema = _merged(schema)
        if not isinstance(schema, dict):
            return value
        if "const" in schema:
            return schema["const"]
        branches = schema.get("oneOf") or schema.get("anyOf")
        if isinstance(branches, list) and branches:
            return self._branch(written, schema, branches, value)
        if _is_object(schema) and (isinstance(value, dict) or value is MISSING):
            value = {} if value is MISSING else value
            properties = schema.get("properties") or {}
            required = set(schema.get("required") or [])
            out: dict[str, Any] = {}
            for name, sub in properties.items():
                if name in value:
                    completed = self.complete(sub, value[name])
                    if name in required or self._valid(sub, completed):
                        out[name] = completed
                elif name in required:
                    out[name] = self._made_up(sub, name)
            if schema.get("additionalProperties") is not False:
                for name, sub in value.items():
                    if name not in properties:
                        out[name] = sub
            return out
        if value is MISSING:
            return self._made_up(schema, None)
        return value

    def _branch(self, written: Any, schema: dict[str, Any], branches: list[Any], value: Any) -> Any:
        """A value of a ``oneOf``/``anyOf`` schema: completed along each alternative in turn
        (laid over what the schema says beside them), the first the whole schema accepts that
        keeps what `value` already holds; else the first it accepts at all. Completing sets a
        branch's constants, so an `update` made whole must not come out as the first branch's
        `heartbeat`. An object with no properties would match none of them, so it is never the
        answer."""
        shared = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        first = valid = MISSING
        for branch in branches:
            start = copy.deepcopy(value) if value is not MISSING else MISSING
            candidate = self.complete(_merged({"allOf": [shared, branch]}), start)
            if self._valid(written, candidate):
                if _keeps(value, candidate):
                    return candidate
                valid = candidate if valid is MISSING else valid
            first = candidate if first is MISSING else first
        return valid if valid is not MISSING else first

    def _valid(self, schema: Any, value: Any) -> bool:
        """Whether `value` fits a sub-schema of the contract (compiled once per schema object)."""
        import jsonschema_rs

        entry = self._validators.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = (schema, jsonschema_rs.validator_for(schema))
            self._validators[id(schema)] = entry
        try:
            return bool(entry[1].is_valid(value))
        except Exception:
            return True

    def _made_up(self, schema: Any, name: str | None) -> Any:
        merged = _merged(schema)
        if isinstance(merged, dict) and "const" in merged:
            return merged["const"]
        if isinstance(merged, dict) and _is_object(merged):
            return self.complete(merged, {})
        return self.generator.value(schema, name=name, root=self.root)


def _merged(schema: Any) -> Any:
    """allOf parts laid over each other (the contracts use allOf to refine an envelope)."""
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merged(part)
        if not isinstance(part, dict):
            continue
        for key, sub in part.items():
            if key == "properties" and isinstance(merged.get("properties"), dict):
                props = dict(merged["properties"])
                for prop, prop_schema in sub.items():
                    props[prop] = _merged({"allOf": [props[prop], prop_schema]}) if prop in props else prop_schema
                merged["properties"] = props
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required") or []) | set(sub))
            else:
                merged.setdefault(key, sub)
    return merged


def _keeps(value: Any, candidate: Any) -> bool:
    """Whether completing `value` left each property it had as it was."""
    if not isinstance(value, dict):
        return value is MISSING or value == candidate
    return isinstance(candidate, dict) and all(candidate.get(name, MISSING) == held for name, held in value.items())


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or (kind is None and "properties" in schema)
