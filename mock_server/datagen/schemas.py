"""Schema plumbing for generation: `$ref` lookup, `allOf` merging and type normalisation.

OpenAPI 3.0 and 3.1 spell the same ideas differently (`nullable` vs type arrays, boolean vs
numeric exclusive bounds). Generation works on one normalised view so each generator is written
once, whatever dialect the contract uses.
"""

from __future__ import annotations

from typing import Any

from mock_server.datagen.errors import DataGenError

JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")

#: keywords that imply a type when a schema does not say `type`
_IMPLIED = (
    ("object", ("properties", "additionalProperties", "patternProperties", "required",
                "minProperties", "maxProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)


def resolve_pointer(root: dict | None, ref: str) -> Any:
    """Follow a local `#/a/b` reference inside `root` (JSON pointer escapes honoured), or a
    plain-name fragment (`#node`) to the schema with that `$anchor` or `$dynamicAnchor`."""
    if not ref.startswith("#"):
        raise DataGenError(f"cannot generate from non-local $ref {ref!r}: bundle the document first")
    if root is None:
        raise DataGenError(f"$ref {ref!r} needs the document it points into (root=...)")
    if len(ref) > 1 and not ref.startswith("#/"):
        target = anchors(root).get(ref[1:])
        if target is None:
            raise DataGenError(f"$ref {ref!r}: no schema has the anchor {ref[1:]!r}")
        return target
    node: Any = root
    for token in [t for t in ref[1:].split("/") if t != ""]:
        token = token.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise DataGenError(f"$ref {ref!r} does not resolve") from None
    return node


_ANCHORS: dict[int, tuple[Any, dict[str, Any]]] = {}


def anchors(root: dict) -> dict[str, Any]:
    """`{name: schema}` for every `$anchor`/`$dynamicAnchor` in `root` (the first of a name wins);
    a schema with `$recursiveAnchor: true` is found under the name `$recursiveAnchor`."""
    hit = _ANCHORS.get(id(root))
    if hit is not None and hit[0] is root:
        return hit[1]
    from mock_server.contracts.refs import is_data

    found: dict[str, Any] = {}
    stack: list[tuple[Any, tuple[str, ...], int]] = [(root, (), 0)]
    while stack:
        node, parents, depth = stack.pop()
        if depth > 64:
            continue
        if isinstance(node, dict):
            for keyword in ("$anchor", "$dynamicAnchor"):
                if isinstance(node.get(keyword), str):
                    found.setdefault(node[keyword], node)
            if node.get("$recursiveAnchor") is True:
                found.setdefault("$recursiveAnchor", node)
            stack.extend((v, (*parents[-1:], k), depth + 1) for k, v in reversed(node.items()) if not is_data(k, parents, v))
        elif isinstance(node, list):
            stack.extend((v, parents, depth + 1) for v in reversed(node))
    if len(_ANCHORS) > 64:
        _ANCHORS.clear()
    _ANCHORS[id(root)] = (root, found)
    return found


def deref(schema: Any, root: dict | None, *, limit: int = 32) -> Any:
    """The schema a chain of `$ref`s ends at; siblings of a 3.1 `$ref` are merged in."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema:
        seen += 1
        if seen > limit:
            raise DataGenError(f"$ref chain too long at {schema['$ref']!r}")
        target = resolve_pointer(root, schema["$ref"])
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = merge_all([target, siblings], root) if _has_constraints(siblings) else target
    return schema


def _has_constraints(siblings: dict) -> bool:
    return any(k not in ("description", "summary", "title", "example", "examples") for k in siblings)


def types_of(schema: dict) -> list[str]:
    """Allowed JSON types in a stable order: explicit `type`, `nullable`, or implied by keywords."""
    declared = schema.get("type")
    if isinstance(declared, str):
        types = [declared]
    elif isinstance(declared, list):
        types = [t for t in declared if t in JSON_TYPES]
    else:
        types = [implied for implied, keys in _IMPLIED if any(k in schema for k in keys)][:1]
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    return types


def bounds(schema: dict) -> tuple[float | None, bool, float | None, bool]:
    """(minimum, exclusive?, maximum, exclusive?) for both the 3.0 and the 3.1 spelling."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_ex = high_ex = False
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_min is True:
        low_ex = True
    elif _is_number(ex_min) and (low is None or ex_min >= low):
        low, low_ex = ex_min, True
    if ex_max is True:
        high_ex = True
    elif _is_number(ex_max) and (high is None or ex_max <= high):
        high, high_ex = ex_max, True
    return low, low_ex, high, high_ex


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge_all(schemas: list[Any], root: dict | None) -> dict:
    """One schema that every part of an `allOf` accepts (the tighter constraint wins)."""
    merged: dict = {}
    closed: list[dict] = []
    for part in schemas:
        part = deref(part, root)
        if part is True or part is None:
            continue
        if part is False:
            raise DataGenError("allOf contains `false`: no value can satisfy it")
        if "allOf" in part:
            part = merge_all([{k: v for k, v in part.items() if k != "allOf"}, *part["allOf"]], root)
        if part.get("additionalProperties") is False:
            closed.append(part)
        _merge_into(merged, part, root)
    for part in closed:
        # `additionalProperties: false` in one part forbids what only another part declares
        # (an `allOf` of a closed model and an extension accepts no extension property)
        if isinstance(merged.get("properties"), dict):
            merged["properties"] = {name: sub for name, sub in merged["properties"].items() if _declares(part, name)}
    return merged


def _declares(schema: dict, name: str) -> bool:
    """Does a schema with `additionalProperties: false` allow a property by this name?"""
    if name in (schema.get("properties") or {}):
        return True
    import re

    return any(re.search(pattern, name) for pattern in (schema.get("patternProperties") or {}))


def _merge_into(merged: dict, part: dict, root: dict | None) -> None:
    for key, value in part.items():
        if key not in merged:
            merged[key] = value
        elif key == "properties":
            props = dict(merged[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            merged[key] = props
        elif key == "required":
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        elif key == "type":
            left = merged[key] if isinstance(merged[key], list) else [merged[key]]
            right = value if isinstance(value, list) else [value]
            both = [t for t in left if t in right or (t == "integer" and "number" in right)]
            both += [t for t in right if t == "integer" and "number" in left and t not in both]
            merged[key] = both if len(both) != 1 else both[0]
        elif key == "nullable":
            merged[key] = bool(merged[key]) and bool(value)
        elif key == "enum":
            merged[key] = [v for v in merged[key] if v in value]
        elif key in ("minimum", "minLength", "minItems", "minProperties"):
            merged[key] = max(merged[key], value)
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties"):
            merged[key] = min(merged[key], value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and _is_number(value) and _is_number(merged[key]):
            merged[key] = max(merged[key], value) if key == "exclusiveMinimum" else min(merged[key], value)
        elif key == "items" and isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = {"allOf": [merged[key], value]}
        elif key == "additionalProperties" and value is False:
            merged[key] = False
