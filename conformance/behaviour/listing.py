"""Lists honour what they are asked: `list_sort`, `list_filter`, `list_fields`, and the walk
through every page the write checks use to find (or miss) a record.

Every probe reads the list as the contract declares it (`x-apitwin-pagination`, `-sort`,
`-filters`/`-filter`, `-fields`) and only sends parameters the operation documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mock_server.state.querying import field_value

from conformance.behaviour.context import BehaviourRun, Inapplicable, fail
from conformance.behaviour.resources import Collection, fill, item_schema, items_of, shown
from conformance.http.checks import MAX_PAGES, as_int, param_bounds, read_page

#: items shown in a finding
SHOWN = 5


@dataclass
class Listing:
    items: list[Any] = field(default_factory=list)
    complete: bool = False  # every page was read


def documented_query(run: BehaviourRun, collection: Collection) -> set[str]:
    bound = collection.bound["list"]
    return {str(p.get("name")) for p in bound.parameters if p.get("in") == "query"}


def size_query(run: BehaviourRun, collection: Collection) -> dict[str, Any]:
    """The largest page the operation allows, so a probe sees as much as it can in one answer."""
    operation = collection.op("list")
    declaration = operation.extension("pagination") or {}
    params = declaration.get("params") or {}
    if not declaration:
        return {}
    name = params.get("per_page", "per_page") if declaration.get("style", "page") == "page" else params.get("limit", "limit")
    if name not in documented_query(run, collection):
        return {}
    return {name: param_bounds(run.contract, operation, name)[1]}


def fetch(run: BehaviourRun, collection: Collection, values: dict[str, str], query: dict[str, Any]) -> list[Any]:
    """One page of the list with `query` (and the largest page size); Inapplicable if refused."""
    answer = run.send("get", fill(collection.op("list").path, values), query={**size_query(run, collection), **query})
    items = items_of(collection.bound["list"], answer.json()) if answer.ok else None
    if items is None:
        raise Inapplicable(f"the list answered {answer.status}")
    return items


def walk(run: BehaviourRun, collection: Collection, values: dict[str, str]) -> Listing:
    """Every page of the list, in the declared style, at the largest page size."""
    operation = collection.op("list")
    declaration = operation.extension("pagination") or {}
    path = fill(operation.path, values)
    listing = Listing()
    if not declaration:
        listing.items = fetch(run, collection, values, {})
        listing.complete = True
        return listing
    style = declaration.get("style", "page")
    params = declaration.get("params") or {}
    sizes = size_query(run, collection)
    size = next(iter(sizes.values()), None)
    query: dict[str, Any] = dict(sizes)
    if style == "page":
        query[params.get("page", "page")] = 1
    elif style == "offset":
        query[params.get("offset", "offset")] = 0
    for _ in range(MAX_PAGES):
        answer = run.send("get", path, query=query)
        if not answer.ok:
            raise Inapplicable(f"the list answered {answer.status}")
        page = read_page(declaration, answer)
        items = page.items or []
        listing.items.extend(items)
        if style == "cursor":
            cursor = page.facts.get("next_cursor")
            if page.facts.get("has_more") is False or not cursor or not items:
                listing.complete = True
                break
            direction = str(declaration.get("next") or "after")
            query = {**sizes, params.get(direction, direction): cursor}
            continue
        pages = as_int(page.facts.get("pages"))
        number = as_int(query.get(params.get("page", "page")))
        if not items or (size and len(items) < size) or (style == "page" and pages is not None and number is not None and number >= pages):
            listing.complete = True
            break
        if style == "page":
            query[params.get("page", "page")] = (number or 1) + 1
        else:
            key = params.get("offset", "offset")
            query[key] = int(query.get(key, 0)) + len(items)
    return listing


def key_of(item: Any, key: str) -> str | None:
    return json.dumps(item.get(key), default=str) if isinstance(item, dict) and key in item else None


# ---- list_sort -----------------------------------------------------------------------------
def ordered(first: Any, second: Any, descending: bool) -> bool:
    """Whether two neighbours are in order; text may be compared with or without case."""
    if type(first) is not type(second) and not (isinstance(first, (int, float)) and isinstance(second, (int, float))):
        return True
    pairs = [(first, second)]
    if isinstance(first, str):
        pairs.append((first.lower(), second.lower()))
    return any((a >= b) if descending else (a <= b) for a, b in pairs)


def sort_requests(run: BehaviourRun, collection: Collection) -> list[tuple[dict[str, Any], str, bool]]:
    """(query, field, descending) for each order to ask for: the default field both ways where
    the sort parameter is documented, the documented values where it is an enum, else the
    default order without any parameter."""
    operation = collection.op("list")
    spec = operation.extension("sort") or {}
    param, order_param = spec.get("param", "sort"), spec.get("order_param")
    default = str(spec.get("default") or "")
    documented = documented_query(run, collection)
    bound = collection.bound["list"]
    schema = next((p.get("schema") or {} for p in bound.parameters if p.get("name") == param and p.get("in") == "query"), {})
    if param in documented and schema.get("enum"):
        return [({param: value}, str(value).lstrip("+-"), str(value).startswith("-")) for value in schema["enum"][:2]]
    field_name = default.split(",")[0].lstrip("+-")
    if param in documented and field_name:
        if order_param and order_param in documented:
            return [({param: field_name, order_param: order}, field_name, order == "desc") for order in ("asc", "desc")]
        return [({param: field_name}, field_name, False), ({param: "-" + field_name}, field_name, True)]
    if field_name and "," not in default:
        return [({}, field_name, default.startswith("-"))]
    return []


def list_sort(run: BehaviourRun, collection: Collection, values: dict[str, str]) -> None:
    asks = sort_requests(run, collection)
    if not asks:
        raise Inapplicable("no sort declared")
    for query, field_name, descending in asks:
        items = fetch(run, collection, values, query)
        present = [field_value(item, field_name) for item in items if isinstance(item, dict)]
        present = [value for value in present if value is not None]
        for index, (first, second) in enumerate(zip(present, present[1:])):
            if not ordered(first, second, descending):
                way = "descending" if descending else "ascending"
                raise fail(
                    f"list is not sorted by {field_name} ({way})",
                    f"items in {way} order of {field_name}" + (f" for {shown(query)}" if query else " (the declared default order)"),
                    f"item {index + 1} has {shown(first)}, item {index + 2} has {shown(second)}",
                )


# ---- list_filter ---------------------------------------------------------------------------
def matches(actual: Any, op: str, wanted: Any) -> bool:
    if actual is None:
        return False
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(wanted).lower()
    if isinstance(actual, (int, float)) and isinstance(wanted, (int, float)):
        a, b = float(actual), float(wanted)
    else:
        a, b = str(actual), str(wanted)
    return {"eq": a == b, "gte": a >= b, "lte": a <= b, "gt": a > b, "lt": a < b}.get(op, True)


def as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (isinstance(value, str) and ("," in value or ";" in value or not value))


def filter_asks(run: BehaviourRun, collection: Collection, sample: list[Any]) -> list[tuple[dict[str, str], str, str, Any, str | None]]:
    """(query, field, op, value, nested_in) per declared filter, its value taken from an item."""
    operation = collection.op("list")
    documented = documented_query(run, collection)
    asks = []
    for param, target in (operation.extension("filters") or {}).items():
        field_name, op = (target, "eq") if isinstance(target, str) else (target.get("field", param), target.get("op", "eq"))
        if param not in documented or op not in ("eq", "gte", "lte", "gt", "lt"):
            continue
        value = next((field_value(item, field_name) for item in sample if isinstance(item, dict) and scalar(field_value(item, field_name))), None)
        if value is not None:
            asks.append(({param: as_text(value)}, field_name, op, value, None))
    language = operation.extension("filter")
    if isinstance(language, dict) and language.get("param", "filter") in documented:
        nested = language.get("nested_in")
        for item in sample:
            source = item.get(nested) if nested and isinstance(item, dict) and isinstance(item.get(nested), dict) else item
            if not isinstance(source, dict):
                continue
            found = next(((name, value) for name, value in source.items() if scalar(value) and name != collection.key), None)
            if found:
                name, value = found
                asks.append(({language.get("param", "filter"): f"{name}:eq:{as_text(value)}"}, name, "eq", value, nested))
                break
    return asks


def list_filter(run: BehaviourRun, collection: Collection, values: dict[str, str]) -> None:
    sample = fetch(run, collection, values, {})
    asks = filter_asks(run, collection, sample)
    if not asks:
        raise Inapplicable("no filter declared, or nothing to filter on")
    size = next(iter(size_query(run, collection).values()), None)
    for query, field_name, op, wanted, nested in asks:
        items = fetch(run, collection, values, query)
        wrong = [item for item in items if not matches(field_value(item, field_name, nested) if isinstance(item, dict) else None, op, wanted)]
        if wrong:
            raise fail(
                f"filter {shown(query)} returns items that do not match it",
                f"only items whose {field_name} {op} {shown(wanted)}",
                f"{len(wrong)} of {len(items)} do not, e.g. {field_name} = "
                + ", ".join(shown(field_value(item, field_name, nested) if isinstance(item, dict) else item) for item in wrong[:SHOWN]),
            )
        if op == "eq" and not items:
            raise fail(
                f"filter {shown(query)} loses the items that match it",
                f"at least the item whose {field_name} is {shown(wanted)} (seen in the unfiltered list)",
                "an empty list" + ("" if size is None else f" (page size {size})"),
            )


# ---- list_fields ---------------------------------------------------------------------------
def list_fields(run: BehaviourRun, collection: Collection, values: dict[str, str]) -> None:
    operation = collection.op("list")
    param = operation.extension("fields")
    if not param or param not in documented_query(run, collection):
        raise Inapplicable("no projection declared")
    schema = item_schema(run.contract, collection.bound["list"])
    required = set(schema.get("required") or []) | {collection.key}
    sample = fetch(run, collection, values, {})
    whole = {key_of(item, collection.key): item for item in sample}
    first = next((item for item in sample if isinstance(item, dict)), None)
    if first is None:
        raise Inapplicable("an empty list")
    asked = next((name for name in first if name not in required), None)
    if asked is None:
        raise Inapplicable("every field is required")
    items = fetch(run, collection, values, {param: asked})
    for item in items:
        if not isinstance(item, dict):
            continue
        extra = sorted(set(item) - {asked} - required)
        if extra:
            raise fail(
                f"{param}={asked} returns fields that were not asked for",
                f"only {asked} (and the required {', '.join(sorted(required))})",
                f"also {', '.join(extra[:SHOWN])}",
            )
        before = whole.get(key_of(item, collection.key))
        if isinstance(before, dict) and asked in before and asked not in item:
            raise fail(f"{param}={asked} leaves out the field it asked for", f"{asked} on every item that has it", f"an item without it: {shown(item)}")
