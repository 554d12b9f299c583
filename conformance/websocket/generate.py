"""Hypothesis strategies for message payloads: valid frames from a JSON Schema, and broken ones.

Only what message schemas use is covered (objects, arrays, scalars with bounds, const/enum,
oneOf/anyOf, local $ref); every generated value is re-validated against the schema, so an
unsupported keyword can only cost an example, never produce a wrong one. Broken frames are
valid ones with one change a careless client makes: a required field dropped, or a field of
the wrong type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

Resolve = Callable[[Any], Any]
SCALARS = {
    "string": st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    "integer": st.integers(min_value=-(2**31), max_value=2**31),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "boolean": st.booleans(),
    "null": st.none(),
}


def strategy(schema: Any, resolve: Resolve, depth: int = 0) -> st.SearchStrategy:
    schema = resolve(schema)
    if schema is True or not isinstance(schema, dict) or depth > 6:
        return st.one_of(st.none(), st.booleans(), st.integers(0, 100), st.text(max_size=10))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return st.one_of([strategy(option, resolve, depth + 1) for option in schema[key]])
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            part = resolve(part)
            merged.setdefault("properties", {}).update(part.get("properties") or {})
            merged.setdefault("required", []).extend(part.get("required") or [])
            merged["type"] = part.get("type", merged.get("type"))
        return strategy(merged, resolve, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([strategy({**schema, "type": one}, resolve, depth + 1) for one in kind])
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        required = [name for name in schema.get("required") or [] if name in properties]
        optional = [name for name in properties if name not in required]
        return st.fixed_dictionaries(
            {name: strategy(properties[name], resolve, depth + 1) for name in required},
            optional={name: strategy(properties[name], resolve, depth + 1) for name in optional},
        )
    if kind == "array":
        return st.lists(
            strategy(schema.get("items") or {}, resolve, depth + 1),
            min_size=int(schema.get("minItems", 0)),
            max_size=min(int(schema.get("maxItems", 3)), 3) if "maxItems" in schema else 3,
        )
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        low = int(schema.get("minLength", 0))
        high = max(low, min(int(schema.get("maxLength", low + 20)), low + 20))
        return st.text(alphabet=st.characters(min_codepoint=97, max_codepoint=122), min_size=low, max_size=high)
    if kind == "integer":
        low = schema.get("minimum")
        high = schema.get("maximum")
        if isinstance(schema.get("exclusiveMinimum"), (int, float)):
            low = int(schema["exclusiveMinimum"]) + 1
        if isinstance(schema.get("exclusiveMaximum"), (int, float)):
            high = int(schema["exclusiveMaximum"]) - 1
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind in SCALARS:
        return SCALARS[kind]
    return st.one_of(st.none(), st.booleans(), st.integers(0, 100), st.text(max_size=10))


def broken(schema: Any, resolve: Resolve) -> st.SearchStrategy:
    """A valid payload with one careless change (for objects; others get a wrong type)."""
    schema = resolve(schema)
    valid = strategy(schema, resolve)

    @st.composite
    def mutated(draw_: Callable) -> Any:
        value = draw_(valid)
        if not isinstance(value, dict) or not value:
            return {"unexpected": value}
        required = [name for name in (schema.get("required") or []) if name in value and name != "type"]
        names = [name for name in value if name != "type"] or list(value)
        changed = dict(value)
        if required and draw_(st.booleans()):
            changed.pop(draw_(st.sampled_from(required)))
        else:
            name = draw_(st.sampled_from(names))
            changed[name] = {"not": "a list"} if isinstance(changed[name], list) else [changed[name]]
        return changed

    return mutated()


def draw(strategy_: st.SearchStrategy, count: int, seed: int | None, accept: Callable[[Any], bool]) -> list[Any]:
    """Up to `count` distinct accepted values, reproducibly when `seed` is given."""
    found: list[Any] = []

    @settings(
        max_examples=max(count * 4, 4),
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy_)
    def collect(value: Any) -> None:
        if len(found) < count and value not in found and accept(value):
            found.append(value)

    if seed is not None:
        collect = hypothesis_seed(seed)(collect)
    try:
        collect()
    except Exception:  # an unsatisfiable schema yields fewer examples, not a crash
        pass
    return found
