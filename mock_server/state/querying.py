"""Filtering, sorting and field projection over stored records, as an operation declares them.

::

    x-apitwin-filter: {param: filter, language: field-op-value, separator: ';', nested_in: data}
        # 'status:eq:active;price:gt:10;category:in:electronics,gadgets'
        # operators eq ne gt gte lt lte in contains; a malformed expression is a 400
    x-apitwin-filters:                       # query parameter -> record field (equality) or
      status: status                         # {field, op} for ranges
      from: {field: created_at, op: gte}
    x-apitwin-sort: {param: sort, order_param: order, default: -created_at}
        # 'name', '-created_at', '+name', 'a,-b'; order_param (asc|desc) applies without a prefix
    x-apitwin-fields: fields                 # comma-separated projection

Field names are record fields; a dotted name (``data.price``) walks into objects, and with
``nested_in`` a name that is not a top-level field is looked up inside that object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mock_server.http.errors import MockError

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


def field_value(record: Mapping[str, Any], field: str, nested_in: str | None = None) -> Any:
    if field in record:
        return record[field]
    if "." in field:
        node: Any = record
        for part in field.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node
    if nested_in and isinstance(record.get(nested_in), Mapping):
        return record[nested_in].get(field)
    return None


def _typed(text: str, like: Any) -> Any:
    """The filter's text as the same type as the record's value, for comparison."""
    if isinstance(like, bool):
        return text.lower() in ("true", "1", "yes")
    if isinstance(like, (int, float)):
        try:
            return float(text)
        except ValueError:
            return None
    return text


def _compare(op: str, actual: Any, expected: str) -> bool:
    if op == "in":
        return any(_compare("eq", actual, option) for option in expected.split(","))
    if op == "contains":
        if isinstance(actual, list):
            return any(str(item).lower() == expected.lower() for item in actual)
        return actual is not None and expected.lower() in str(actual).lower()
    if actual is None:
        return op == "ne"
    target = _typed(expected, actual)
    if target is None:
        return op == "ne"
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        actual = float(actual)
    elif not isinstance(actual, bool):
        actual = str(actual)
        if _DATE.match(str(target)) and _DATE.match(actual[:10]):
            actual = actual[:10]  # a date bound covers the whole day of a timestamp
    try:
        if op == "eq":
            return actual == target
        if op == "ne":
            return actual != target
        if op == "gt":
            return actual > target
        if op == "gte":
            return actual >= target
        if op == "lt":
            return actual < target
        if op == "lte":
            return actual <= target
    except TypeError:
        return False
    return False


def parse_filter(expression: str, *, separator: str = ";", nested_in: str | None = None, param: str = "filter") -> list[Predicate]:
    """The field-op-value language; MockError(400) naming the bad clause when malformed."""
    predicates: list[Predicate] = []
    for clause in expression.split(separator):
        if not clause.strip():
            continue
        parts = clause.split(":", 2)
        if len(parts) != 3 or not _FIELD.match(parts[0]) or parts[1] not in OPERATORS or parts[2] == "":
            raise MockError(
                400,
                f"Malformed filter clause {clause!r}: expected field:operator:value with operator one of {', '.join(OPERATORS)}",
                details={"parameter": param, "clause": clause},
                validation=True,
                errors=[{"loc": ["query", param], "msg": f"malformed filter clause {clause!r}", "type": "value_error.filter"}],
            )
        field, op, value = parts
        predicates.append(lambda r, f=field, o=op, v=value: _compare(o, field_value(r, f, nested_in), v))
    return predicates


def declared_filters(operation_spec: Mapping[str, Any], query: Mapping[str, Any]) -> list[Predicate]:
    """Predicates from ``x-apitwin-filter`` and ``x-apitwin-filters`` for this request's query."""
    predicates: list[Predicate] = []
    language = operation_spec.get("x-apitwin-filter")
    if isinstance(language, Mapping):
        param = language.get("param", "filter")
        if query.get(param):
            predicates += parse_filter(
                str(query[param]), separator=language.get("separator", ";"), nested_in=language.get("nested_in"), param=param
            )
    for param, target in (operation_spec.get("x-apitwin-filters") or {}).items():
        if param not in query or query[param] in (None, ""):
            continue
        field, op = (target, "eq") if isinstance(target, str) else (target.get("field", param), target.get("op", "eq"))
        value = query[param]
        if isinstance(value, Mapping):  # an object (deepObject metadata[key]=v): each key matches
            predicates += _object_filter(field, op, value)
            continue
        values = value if isinstance(value, list) else [value]
        text = ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
        predicates.append(lambda r, f=field, o=("in" if len(values) > 1 else op), t=text: _compare(o, field_value(r, f), t))
    return predicates


def _object_filter(field: str, op: str, value: Mapping[str, Any], depth: int = 0) -> list[Predicate]:
    """``{color: red, size: {min: 2}}`` on ``field``: ``field.color`` is red and ``field.size.min``
    is 2 (a list value: any of them)."""
    predicates: list[Predicate] = []
    for key, sub in value.items():
        path = f"{field}.{key}"
        if isinstance(sub, Mapping) and depth < 8:
            predicates += _object_filter(path, op, sub, depth + 1)
            continue
        values = sub if isinstance(sub, list) else [sub]
        text = ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
        predicates.append(lambda r, f=path, o=("in" if len(values) > 1 else op), t=text: _compare(o, field_value(r, f), t))
    return predicates


def apply_filters(records: Iterable[Record], predicates: list[Predicate]) -> list[Record]:
    if not predicates:
        return list(records)
    return [r for r in records if all(p(r) for p in predicates)]


def sort_records(records: list[Record], spec: Mapping[str, Any] | None, query: Mapping[str, Any], nested_in: str | None = None) -> list[Record]:
    if not spec:
        return records
    text = query.get(spec.get("param", "sort")) or spec.get("default")
    if isinstance(text, list):  # an array parameter (sort=a&sort=-b, or sort=a,-b as an array)
        text = ",".join(str(part) for part in text)
    if not text:
        return records
    order = str(query.get(spec.get("order_param", ""), "") or "").lower()
    keys = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        if part[0] in "+-":
            part = part[1:]
        elif order in ("asc", "desc"):
            descending = order == "desc"
        keys.append((part, descending))
    for field, descending in reversed(keys):  # stable sorts, least significant key first
        values = [(field_value(r, field, nested_in), r) for r in records]
        present = [(_sort_key(v), r) for v, r in values if v is not None]
        present.sort(key=_first, reverse=descending)
        records = [r for _, r in present] + [r for v, r in values if v is None]
    return records


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, str(value))


def requested_fields(spec_param: str | None, query: Mapping[str, Any]) -> list[str] | None:
    if not spec_param or not query.get(spec_param):
        return None
    value = query[spec_param]
    parts = value if isinstance(value, list) else str(value).split(",")
    return [p.strip() for p in parts if p.strip()]


def project(item: Mapping[str, Any], fields: list[str], keep: Iterable[str] = ()) -> dict[str, Any]:
    """Only the requested fields (and those the schema requires, so the answer stays valid)."""
    wanted = set(fields) | set(keep)
    return {k: v for k, v in item.items() if k in wanted}
