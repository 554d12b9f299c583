"""Small helpers for walking a contract's schemas without dereferencing the whole document."""

from __future__ import annotations

from typing import Any


def pointer_get(document: Any, pointer: str) -> Any:
    """The node at a local JSON pointer (``#/components/schemas/User``); KeyError if absent."""
    node = document
    if pointer in ("#", ""):
        return node
    for part in pointer.lstrip("#").lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(node: Any, document: dict[str, Any], _depth: int = 0) -> Any:
    """Follow a chain of local ``$ref`` (siblings of the ref are merged over the target)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        target = pointer_get(document, node["$ref"])
        if len(node) > 1:
            target = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        node = target
        _depth += 1
        if _depth > 50:
            break
    return node


ANCHOR_KEYWORDS = ("$anchor", "$dynamicAnchor")


def anchored_schemas(document: dict[str, Any], _limit: int = 64) -> dict[str, Any]:
    """The component schemas that declare a ``$anchor`` or ``$dynamicAnchor`` somewhere inside.

    A JSON Schema validator finds anchors only where it knows schemas live (``$defs``,
    ``properties``, ...), and ``components/schemas`` is OpenAPI's place, not JSON Schema's: a
    ``$dynamicRef: '#node'`` would find no ``node``. A validator's root document therefore also
    carries these schemas under ``$defs`` (the same objects; ``#/components/...`` pointers still
    work, and each anchor is then known exactly once).
    """
    from mock_server.contracts.refs import is_data

    cached = _ANCHORED.get(id(document))
    if cached is not None and cached[0] is document:
        return cached[1]

    def has_anchor(node: Any, parents: tuple[str, ...], depth: int) -> bool:
        if depth > _limit:
            return False
        if isinstance(node, dict):
            if any(isinstance(node.get(k), str) for k in ANCHOR_KEYWORDS):
                return True
            return any(has_anchor(v, (*parents[-1:], k), depth + 1) for k, v in node.items() if not is_data(k, parents, v))
        if isinstance(node, list):
            return any(has_anchor(v, parents, depth + 1) for v in node)
        return False

    schemas = ((document.get("components") or {}).get("schemas") or {}) if isinstance(document, dict) else {}
    if not isinstance(schemas, dict):
        schemas = {}
    found = {name: schema for name, schema in schemas.items() if has_anchor(schema, ("schemas",), 0)}
    if len(_ANCHORED) > 64:
        _ANCHORED.clear()
    _ANCHORED[id(document)] = (document, found)  # the document is kept, so its id stays its own
    return found


_ANCHORED: dict[int, tuple[Any, dict[str, Any]]] = {}


#: keywords whose values are data, not schemas (a ``$ref`` or a ``required`` in them is a value)
DATA_KEYWORDS = frozenset({"const", "enum", "default", "example", "examples"})
#: keywords that map names (which may be any word, ``required`` too) to schemas
NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
#: OpenAPI maps of named objects on the way to schemas (``components.schemas``, a body's
#: ``content``): their keys are names, never keywords
NAMED_OBJECTS = frozenset({"schemas", "parameters", "requestBodies", "responses", "headers", "content"})
#: how deep a rewrite follows a tree; deeper nodes are kept as they are
MAX_REWRITE_DEPTH = 200


def rewrite_schemas(node: Any, change: Any, _depth: int = 0) -> Any:
    """`node` (a schema, or a tree holding schemas) with `change(schema) -> schema` applied to
    every schema object, innermost first. Data (``example``, ``enum``, ``x-`` extensions) is left
    alone and names are never read as keywords. Only what changes is copied: an untouched tree
    comes back as the same object, so a view of a large contract costs little."""
    if _depth > MAX_REWRITE_DEPTH:
        return node
    if isinstance(node, list):
        items = [rewrite_schemas(item, change, _depth + 1) for item in node]
        return node if all(a is b for a, b in zip(items, node)) else items
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    changed = False
    for key, value in node.items():
        if (key in NAMED_SCHEMAS or key in NAMED_OBJECTS) and isinstance(value, dict):
            new: Any = {name: rewrite_schemas(sub, change, _depth + 1) for name, sub in value.items()}
            if all(new[name] is value[name] for name in value):
                new = value
        elif key in DATA_KEYWORDS or str(key).startswith("x-"):
            new = value
        else:
            new = rewrite_schemas(value, change, _depth + 1)
        changed = changed or new is not value
        out[key] = new
    return change(out if changed else node)
