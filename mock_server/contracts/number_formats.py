"""The ranges OpenAPI's number formats stand for, as keywords a validator enforces.

OpenAPI defines ``int32`` and ``int64`` as signed 32- and 64-bit integers, ``float`` and
``double`` as IEEE 754 single and double precision. JSON Schema validators treat ``format`` on a
number as an annotation, so ``2147483648`` passes ``{type: integer, format: int32}`` unless the
range is spelled out: `ranged` spells it out as ``minimum``/``maximum`` (a declared bound that is
tighter wins; a looser one cannot widen the format). Schemathesis does the same for the integer
formats, so both sides agree on what is in range and what a negative test may send.

Only the integer formats become validation bounds. ``float`` and ``double`` bound generation
(`generation_range`): a request's ``1e39`` for a ``float`` is left to the validator's ``type``,
as Schemathesis generates such values for a positive test and a refusal would be a false alarm.
"""

from __future__ import annotations

from typing import Any

from mock_server.contracts.schemas import rewrite_schemas

INTEGER_FORMATS: dict[str, tuple[int, int]] = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
#: the largest finite single-precision value
FLOAT_MAX = 3.4028234663852886e38
FLOAT_FORMATS: dict[str, tuple[float, float]] = {"float": (-FLOAT_MAX, FLOAT_MAX)}


def _types(schema: dict[str, Any]) -> list[Any]:
    declared = schema.get("type")
    return declared if isinstance(declared, list) else [declared]


def integer_range(schema: dict[str, Any]) -> tuple[int, int] | None:
    """The range an integer schema's ``format`` stands for (None: no such format)."""
    fmt = schema.get("format")
    if not isinstance(fmt, str) or "integer" not in _types(schema):
        return None
    return INTEGER_FORMATS.get(fmt)


def generation_range(schema: dict[str, Any], *, integer: bool) -> tuple[float, float] | None:
    """The range a generated number of this schema must stay in, by its ``format``."""
    fmt = schema.get("format")
    if not isinstance(fmt, str):
        return None
    if integer:
        return INTEGER_FORMATS.get(fmt)
    return FLOAT_FORMATS.get(fmt)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def with_range(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its integer format's range as ``minimum``/``maximum`` (the same object
    when it has none, or its own bounds are already inside it)."""
    limits = integer_range(schema)
    if limits is None:
        return schema
    low, high = limits
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    new_min = max(minimum, low) if _is_number(minimum) else low
    new_max = min(maximum, high) if _is_number(maximum) else high
    if new_min == minimum and new_max == maximum:
        return schema
    return {**schema, "minimum": new_min, "maximum": new_max}


def ranged(node: Any) -> Any:
    """`node` (a schema, or a tree holding schemas) with every integer format's range enforced."""
    return rewrite_schemas(node, with_range)
