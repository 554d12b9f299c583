"""Constraint helpers for generation: what a string, number or list must satisfy, and the small
repairs that keep generated data believable (ordered timestamps, ids in an example's style).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from mock_server.datagen import realism
from mock_server.datagen.regex import compiled

TIMESTAMP_PAIRS = (("created_at", "updated_at"), ("createdAt", "updatedAt"), ("created", "updated"))
ID_EXAMPLE = re.compile(r"^([A-Za-z][A-Za-z0-9]*[_-])?([A-Za-z0-9]+)$")


def validator(schema: Any, root: dict | None):
    """A JSON Schema 2020-12 validator for one schema of `root` (a `oneOf` branch, a schema with
    `if`/`contains`/...), its local `$ref`s, anchors and `$dynamicRef`s resolved in `root`."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from mock_server.contracts.schemas import anchored_schemas

    anchored = {**(root or {}), "x-apitwin-branch": schema}
    definitions = anchored_schemas(root or {})
    if definitions:
        anchored["$defs"] = {**(root or {}).get("$defs", {}), **definitions}
    resource = Resource.from_contents(anchored, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:apitwin:document", resource)
    return Draft202012Validator({"$ref": "urn:apitwin:document#/x-apitwin-branch"}, registry=registry)


#: formats any string satisfies (they only hint at the content)
FREE_FORMATS = ("password", "binary")
#: formats a name can narrow down (an `avatar_url` is a more specific `uri`)
OPEN_FORMATS = ("uri", "url", "iri", "date-time", "email", "hostname")


def shaped(value: Any, fmt: str | None) -> Any:
    return value if isinstance(value, str) and realism.fits_format(value, fmt) else None


def pattern_probes(pattern: str) -> list:
    """Realistic shapes a pattern may accept (a timestamp for a date-ish pattern), tried first."""
    probes = []
    regex = compiled(pattern)
    for sample, hint in (("2024-03-20T12:00:00Z", realism.FORMATS["date-time"]),
                         ("2024-03-20", realism.FORMATS["date"]),
                         ("https://example.com/a", realism.FORMATS["uri"])):
        if regex.search(sample):
            probes.append(hint)
    return probes


def fits_string(value: Any, schema: dict) -> bool:
    if not isinstance(value, str):
        return False
    if len(value) < schema.get("minLength", 0):
        return False
    if schema.get("maxLength") is not None and len(value) > schema["maxLength"]:
        return False
    if schema.get("pattern") is not None and not compiled(schema["pattern"]).search(value):
        return False
    return True


def id_style(schema: dict, name: str) -> tuple[str, str, int] | None:
    """An id style (prefix, alphabet, length) learnt from the schema's own example, e.g. usr_abc123."""
    if not (name == "id" or name.endswith("_id")):
        return None
    examples = schema.get("examples")
    example = schema.get("example", examples[0] if isinstance(examples, list) and examples else None)
    if not isinstance(example, str):
        return None
    match = ID_EXAMPLE.match(example)
    if match is None:
        return None
    prefix, body = match.group(1) or "", match.group(2)
    if body.isdigit():
        alphabet = "0123456789"
    elif body.islower() or body.isdigit():
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    else:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    length = max(len(body), 6)
    if schema.get("maxLength") is not None:
        length = min(length, int(schema["maxLength"]) - len(prefix))
    if length < 1 or len(prefix) + length < schema.get("minLength", 0):
        return None
    return prefix, alphabet, length


def pick_range(lo: float | None, hi: float | None, natural: tuple[float, float] | None,
                strict: bool = False) -> tuple:
    """The schema's bounds, narrowed to a believable range for the name where they allow it
    (`strict`: the narrowed range must not shrink to a point, which an exclusive bound may hold)."""
    if natural is not None:
        n_lo = natural[0] if lo is None else max(lo, natural[0])
        n_hi = natural[1] if hi is None else min(hi, natural[1])
        if n_lo < n_hi or (n_lo == n_hi and not strict):
            return n_lo, n_hi
    if lo is None and hi is None:
        return 0, 1000
    if lo is None:
        return hi - 1000, hi
    if hi is None:
        return lo, lo + 1000
    return lo, hi


def times(k: int, multiple: float, integer: bool) -> float | int:
    if integer or isinstance(multiple, int):
        return int(k * multiple) if float(k * multiple).is_integer() else k * multiple
    return float(Decimal(k) * Decimal(str(multiple)))


def is_multiple(value: float | int, multiple: float | int) -> bool:
    """The same test jsonschema applies, so a generated value always passes validation."""
    if isinstance(multiple, float):
        quotient = value / multiple
        try:
            return int(quotient) == quotient
        except OverflowError:
            return False
    return value % multiple == 0


def order_timestamps(out: dict, fixed: set[str] = frozenset()) -> None:
    for first, second in TIMESTAMP_PAIRS:
        a, b = out.get(first), out.get(second)
        if isinstance(a, str) and isinstance(b, str) and len(a) == len(b) and a > b:
            if first in fixed and second not in fixed:
                out[second] = a
            elif second in fixed and first not in fixed:
                out[first] = b
            elif not fixed:
                out[first], out[second] = b, a


def canonical(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return (type(value).__name__, value)
    return json.dumps(value, sort_keys=True, default=str)


def singular(name: str) -> str:
    """`tags` -> `tag`, `members` -> `member`: items of a list are named after the list."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name
