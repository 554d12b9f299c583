"""Static answers composed from a schema's own examples, as Prism's static mode does.

A response without a media-type example can still be documented example by example down its
schema: a property's ``example`` (or first of 3.1 ``examples``), its ``default`` or ``const``,
an array's item example, the parts of an ``allOf``. `compose` builds one value from them: an
object holds its required properties and every optional one whose subtree documents an example;
an array holds one item (or ``minItems``); a ``oneOf``/``anyOf`` takes its first branch. What no
example covers is asked of ``fill`` (data generated from that part of the schema), so the value
stays whole; ``found`` says whether any example was used at all.

``required_only`` composes the smallest value instead (required properties, ``minItems`` items):
what an error body needs when the documented envelope must be filled in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mock_server.datagen.schemas import deref, merge_all

Fill = Callable[[Any, "str | None"], Any]

#: deeper than this, a schema is filled, not composed (recursive schemas end here)
MAX_DEPTH = 12


def own_example(schema: dict[str, Any]) -> tuple[bool, Any]:
    """(found, value) of a schema's own example, ``examples``, ``default`` or ``const``."""
    if "example" in schema:
        return True, copy.deepcopy(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return True, copy.deepcopy(examples[0])
    for keyword in ("default", "const"):
        if keyword in schema:
            return True, copy.deepcopy(schema[keyword])
    return False, None


def compose(schema: Any, root: dict[str, Any] | None, fill: Fill, *, name: str | None = None,
            required_only: bool = False, _depth: int = 0) -> tuple[bool, Any]:
    """(found, value): `schema`'s value composed from its examples, `fill` for the rest."""
    if schema is True or schema is None or schema == {}:
        return False, fill({}, name)
    if not isinstance(schema, dict):
        return False, None
    resolved = deref(schema, root)
    if not isinstance(resolved, dict):
        return False, fill({}, name)
    if "allOf" in resolved:
        resolved = merge_all([{k: v for k, v in resolved.items() if k != "allOf"}, *resolved["allOf"]], root)
    found, value = own_example(resolved)
    if found:
        return True, value
    if _depth > MAX_DEPTH:
        return False, fill(resolved, name)
    branches = resolved.get("oneOf") or resolved.get("anyOf")
    if isinstance(branches, list) and branches:
        base = {k: v for k, v in resolved.items() if k not in ("oneOf", "anyOf", "discriminator")}
        branch = merge_all([base, branches[0]], root) if base.get("properties") or base.get("required") else branches[0]
        return compose(branch, root, fill, name=name, required_only=required_only, _depth=_depth + 1)
    if "enum" in resolved and isinstance(resolved["enum"], list) and resolved["enum"]:
        return False, copy.deepcopy(resolved["enum"][0])
    kind = _kind(resolved)
    if kind == "object":
        return _object(resolved, root, fill, required_only, _depth)
    if kind == "array":
        return _array(resolved, root, fill, name, required_only, _depth)
    return False, fill(resolved, name)


def _object(schema: dict[str, Any], root: Any, fill: Fill, required_only: bool, depth: int) -> tuple[bool, Any]:
    required = set(schema.get("required") or ())
    found_any, out = False, {}
    for prop, sub in (schema.get("properties") or {}).items():
        resolved = deref(sub, root) if isinstance(sub, dict) else sub
        if isinstance(resolved, dict) and resolved.get("writeOnly"):
            continue
        if required_only and prop not in required:
            continue
        found, value = compose(sub, root, fill, name=prop, required_only=required_only, _depth=depth + 1)
        if found or prop in required:
            out[prop] = value
            found_any = found_any or found
    for prop in required:
        if prop not in out:
            out[prop] = fill({}, prop)
    return found_any, out


def _array(schema: dict[str, Any], root: Any, fill: Fill, name: str | None, required_only: bool, depth: int) -> tuple[bool, Any]:
    items = schema.get("items")
    items = items if isinstance(items, dict) else {}
    low = int(schema.get("minItems", 0) or 0)
    found, value = compose(items, root, fill, name=name, required_only=required_only, _depth=depth + 1)
    count = max(low, 0 if required_only else 1)
    if count == 0:
        return found, []
    out = [value]
    while len(out) < count:
        out.append(fill(items, name))
    return found, out


def _kind(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared] if declared else []
    if "object" in types or (not types and "properties" in schema):
        return "object"
    if "array" in types or (not types and "items" in schema):
        return "array"
    return "scalar"
