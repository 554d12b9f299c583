"""Listing a collection: filters (``x-apitwin-filter``/``-filters``), sort, pagination
(``x-apitwin-pagination``: cursors, pages, offsets, headers and meta facts) and field projection
(``x-apitwin-fields``), with the list placed where the response schema keeps it."""

from __future__ import annotations

from typing import Any

from mock_server.http.actions.records import bound
from mock_server.http.context import Context
from mock_server.http.exchange import Reply
from mock_server.http.shaping import schema_required
from mock_server.state.pagination import paginate, put_path
from mock_server.state.querying import apply_filters, declared_filters, project, requested_fields, sort_records


def list_records(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    plan = ctx.plan
    shaper = ctx.services.shaper
    query = ctx.params.get("query", {})
    page = paginate(selected(ctx, collection, query), plan.pagination, query, resource.key)
    fields = requested_fields(plan.fields_param, query)
    keep = schema_required(plan.item_schema, ctx.services.document) | {resource.key}
    items = []
    for record in page.items:
        item = shaper.shape_stored(record, plan.item_schema) if plan.item_schema is not None else record
        items.append(project(item, fields, keep) if fields and isinstance(item, dict) else item)
    return _reply(ctx, items, page.facts)


class Selections:
    """Filtered and sorted collections, remembered per operation and query until the collection
    changes (listing the same page again is then cheap)."""

    LIMIT = 1024

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], tuple[int, list[dict[str, Any]]]] = {}

    def get(self, key: tuple[str, str, str], revision: int) -> list[dict[str, Any]] | None:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] == revision else None

    def put(self, key: tuple[str, str, str], revision: int, records: list[dict[str, Any]]) -> None:
        self._entries[key] = (revision, records)
        if len(self._entries) > self.LIMIT:
            self._entries.pop(next(iter(self._entries)))


def selected(ctx: Context, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    """The collection filtered and sorted for this query."""
    plan = ctx.plan
    store = ctx.services.store
    key = (plan.operation_id, collection, repr(sorted((k, str(v)) for k, v in query.items() if k in plan.selection_params)))
    revision = store.revision(collection)
    records = ctx.services.selections.get(key, revision)
    if records is None:
        nested_in = (plan.filter_language or {}).get("nested_in")
        records = apply_filters(store.list(collection, copy_records=False), declared_filters(plan.selection, query))
        records = sort_records(records, plan.sort, query, nested_in)
        ctx.services.selections.put(key, revision, records)
    return records


def _reply(ctx: Context, items: list[Any], facts: dict[str, Any]) -> Reply:
    plan = ctx.plan
    declaration = plan.pagination or {}
    for header, fact in (declaration.get("headers") or {}).items():
        if facts.get(fact) is not None:
            ctx.headers[header] = str(facts[fact]).lower() if isinstance(facts[fact], bool) else str(facts[fact])
    if plan.items_path == "":
        return Reply(plan.success_status, items, ctx.headers, plan.success_media_type)
    envelope: dict[str, Any] = {}
    for path, fact in (declaration.get("meta") or {}).items():
        put_path(envelope, path, facts.get(fact))
    put_path(envelope, plan.items_path, [])
    body = ctx.services.shaper.shape(envelope, plan.success_schema)
    put_path(body, plan.items_path, items)
    return Reply(plan.success_status, body, ctx.headers, plan.success_media_type)
