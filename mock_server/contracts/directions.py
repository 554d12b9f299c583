"""``readOnly`` and ``writeOnly``: what a client sends is not what the API answers.

OpenAPI (3.0 and 3.1 alike) says a ``readOnly`` property "SHOULD NOT be sent as part of the
request" and a ``writeOnly`` one "SHOULD NOT be sent as part of the response", and that a
``required`` which names one applies only in the other direction. One schema therefore stands for
two: its *request view*, where ``readOnly`` properties are never required (a create without the
server's ``id`` is valid), and its *response view*, where ``writeOnly`` properties are never
required (an answer without the ``password`` is valid).

Schemathesis reads a contract the same way (it also forbids the hidden property in that direction;
here a client-sent ``readOnly`` value is accepted and then ignored, which Schemathesis allows: "the
owning authority may ignore such input"). The mock validates requests against the request view,
validates and generates its answers from the response view, and the conformance suite builds its
own request bodies from the request view.

A property counts as hidden when the flag applies to its schema: on the schema itself, behind a
``$ref``, in an ``allOf`` part, or on the non-null side of a nullable ``anyOf``/``oneOf``. A view
is a copy only where something changes; a contract without either flag is its own view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mock_server.contracts.schemas import DATA_KEYWORDS, deref, rewrite_schemas

REQUEST = "request"
RESPONSE = "response"
#: the flag that hides a property in each direction
HIDDEN_BY = {REQUEST: "readOnly", RESPONSE: "writeOnly"}
#: how deep a mark is looked for
MAX_DEPTH = 200


def has_marks(node: Any, flags: tuple[str, ...] = ("readOnly", "writeOnly"), _depth: int = 0) -> bool:
    """Does any schema in `node` say ``readOnly: true`` or ``writeOnly: true`` (or one of `flags`)?"""
    if _depth > MAX_DEPTH:
        return False
    if isinstance(node, dict):
        if any(node.get(flag) is True for flag in flags):
            return True
        return any(has_marks(value, flags, _depth + 1) for key, value in node.items()
                   if key not in DATA_KEYWORDS and not str(key).startswith("x-"))
    if isinstance(node, list):
        return any(has_marks(item, flags, _depth + 1) for item in node)
    return False


def directions_of(node: Any) -> tuple[str, ...]:
    """The directions whose view of `node` may differ from it: those whose flag it uses."""
    return tuple(direction for direction in (REQUEST, RESPONSE) if has_marks(node, (HIDDEN_BY[direction],)))


def carries(schema: Any, flag: str, document: Mapping[str, Any]) -> bool:
    """Whether `flag` (``readOnly``/``writeOnly``) applies to `schema` as a whole."""
    pending: list[tuple[Any, int]] = [(schema, 0)]
    seen: set[int] = set()
    while pending:
        node, depth = pending.pop()
        if not isinstance(node, dict) or id(node) in seen or depth > 32:
            continue
        seen.add(id(node))
        if node.get(flag) is True:
            return True
        if isinstance(node.get("$ref"), str):
            pending.append((_target(node, document), depth + 1))
        for part in node.get("allOf") or ():
            pending.append((part, depth + 1))
        for keyword in ("anyOf", "oneOf"):
            variants = [v for v in node.get(keyword) or () if not _is_null(v)]
            if len(variants) == 1:
                pending.append((variants[0], depth + 1))
    return False


def hidden_properties(schema: Mapping[str, Any], direction: str, document: Mapping[str, Any]) -> set[str]:
    """The properties `schema` (with its ``allOf`` parts) declares that `direction` hides."""
    flag = HIDDEN_BY[direction]
    hidden: set[str] = set()
    for properties in declared_properties(schema, document):
        hidden.update(name for name, sub in properties.items() if carries(sub, flag, document))
    return hidden


def view(node: Any, direction: str, document: Mapping[str, Any]) -> Any:
    """`node` (a schema, or a tree holding schemas) as seen in `direction`: no ``required``
    names a property that direction hides. Unchanged parts are the same objects."""

    def change(schema: dict[str, Any]) -> dict[str, Any]:
        required = schema.get("required")
        parts = schema.get("allOf")
        if not (isinstance(required, list) and required) and not isinstance(parts, list):
            return schema
        hidden = hidden_properties(schema, direction, document)
        if not hidden:
            return schema
        out = _without_required(schema, hidden)
        if isinstance(parts, list):  # a part's `required` may name what a sibling part declares
            inline = [_without_required(part, hidden) if isinstance(part, dict) else part for part in parts]
            if any(a is not b for a, b in zip(inline, parts)):
                out = {**out, "allOf": inline}
        return out

    return rewrite_schemas(node, change)


def _without_required(schema: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """`schema` whose ``required`` leaves out `hidden` (the same object when it names none)."""
    required = schema.get("required")
    if not isinstance(required, list) or hidden.isdisjoint(required):
        return schema
    out = {key: value for key, value in schema.items() if key != "required"}
    kept = [name for name in required if name not in hidden]
    if kept:
        out["required"] = kept
    return out


def without_hidden(value: Any, schema: Any, direction: str, document: Mapping[str, Any], _depth: int = 0) -> Any:
    """`value` without the properties `direction` hides, at every level `schema` describes: a
    client-sent ``readOnly`` value (an ``id``, a ``created_at``) is ignored, so the server's own
    stands."""
    if _depth > 32 or not isinstance(schema, dict):
        return value
    schema = deref(schema, document)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        flag = HIDDEN_BY[direction]
        declared: dict[str, Any] = {}
        for properties in declared_properties(schema, document):
            declared.update(properties)
        out = {}
        for name, item in value.items():
            sub = declared.get(name)
            if sub is not None and carries(sub, flag, document):
                continue
            out[name] = without_hidden(item, sub, direction, document, _depth + 1) if sub is not None else item
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [without_hidden(item, schema["items"], direction, document, _depth + 1) for item in value]
    return value


def declared_properties(schema: Mapping[str, Any], document: Mapping[str, Any], _depth: int = 0) -> Iterable[Mapping[str, Any]]:
    """The ``properties`` maps of `schema` and of its ``allOf`` parts (``$ref``s followed)."""
    if _depth > 16:
        return
    properties = schema.get("properties")
    if isinstance(properties, dict):
        yield properties
    for part in schema.get("allOf") or ():
        part = _target(part, document) if isinstance(part, dict) and "$ref" in part else part
        if isinstance(part, dict):
            yield from declared_properties(part, document, _depth + 1)


def _target(node: dict[str, Any], document: Mapping[str, Any]) -> Any:
    try:
        return deref(node, document)  # type: ignore[arg-type]
    except (KeyError, IndexError, TypeError, ValueError):
        return None  # a broken `$ref` hides nothing; the loader reports it


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1
