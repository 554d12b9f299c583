"""The contract as Schemathesis should read it when `$ref` keys appear in data.

A `$ref` key inside a `default`, an `example`, a `const` or another tool's `x-` extension is data
(a property may even be named `$ref`), but Schemathesis follows every `{"$ref": "..."}` object it
meets in a schema, data included: an operation whose request schema holds one cannot be tested
(an unresolvable reference), or sends Schemathesis to the network. Such a contract is handed to
Schemathesis with those values out of its way, meaning the same thing:

- an annotation holding a `$ref` key (`default`, `example`, a schema's `examples` list, an `x-`
  extension) is left out: annotations constrain nothing;
- a `const` or `enum` value holding one is spelled as the equivalent schema
  (`{"$ref": "a"}` is an object whose only property `$ref` is the constant "a").

A contract without such values (nearly all) is loaded from its file as it is.
"""

from __future__ import annotations

import copy
from typing import Any

from mock_server.contracts.refs import is_data

#: data positions inside an Example object, which Schemathesis reads as values
_EXAMPLE_VALUES = frozenset({"value", "payload", "headers"})
_LIMIT = 64


def without_data_refs(document: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of `document` with `$ref`-holding data out of Schemathesis' way, or None when
    there is none (then the file is loaded as it is)."""
    if not _find(document, (), 0):
        return None
    view = copy.deepcopy(document)
    _rewrite(view, (), 0)
    return view


def _holds_ref(value: Any, depth: int = 0) -> bool:
    if depth > _LIMIT:
        return False
    if isinstance(value, dict):
        return isinstance(value.get("$ref"), str) or any(_holds_ref(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_holds_ref(v, depth + 1) for v in value)
    return False


def _find(node: Any, parents: tuple[str, ...], depth: int) -> bool:
    if depth > _LIMIT:
        return False
    if isinstance(node, dict):
        for key, value in node.items():
            if is_data(key, parents, value):
                if key not in _EXAMPLE_VALUES and _holds_ref(value):
                    return True
            elif _find(value, (*parents[-1:], key), depth + 1):
                return True
    elif isinstance(node, list):
        return any(_find(item, (*parents[-1:], str(i)), depth + 1) for i, item in enumerate(node))
    return False


def _rewrite(node: Any, parents: tuple[str, ...], depth: int) -> None:
    if depth > _LIMIT:
        return
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if not is_data(key, parents, value):
                _rewrite(value, (*parents[-1:], key), depth + 1)
                continue
            if key in _EXAMPLE_VALUES or not _holds_ref(value):
                continue
            del node[key]
            if key == "const":
                node.setdefault("allOf", []).append(_literal(value))
            elif key == "enum" and isinstance(value, list):
                node.setdefault("allOf", []).append({"anyOf": [_literal(member) for member in value]})
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _rewrite(item, (*parents[-1:], str(index)), depth + 1)


def _literal(value: Any) -> dict[str, Any]:
    """A schema that accepts exactly `value`, with no `$ref` key among its keywords."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {key: _literal(item) for key, item in value.items()},
            "required": list(value),
            "additionalProperties": False,
        }
    if isinstance(value, list):
        return {"type": "array", "prefixItems": [_literal(item) for item in value], "items": False,
                "minItems": len(value)}
    return {"enum": [value]}
