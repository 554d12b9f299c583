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
