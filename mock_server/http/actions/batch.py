"""Batches (``x-apitwin-batch``): many records created or deleted in one request, answered with
the facts the response schema names (count, failed, records, ids, missing)."""

from __future__ import annotations

from typing import Any

from mock_server.http.actions.records import bound, new_record
from mock_server.http.context import Context
from mock_server.http.errors import MockError
from mock_server.http.exchange import Reply
from mock_server.http.shaping import resolved_schema, schema_properties
from mock_server.http.steps.events import publish

BATCH_FACTS = {
    "created": "count", "deleted": "count", "count": "count", "failed": "failed", "records": "records",
    "items": "records", "ids": "ids", "deleted_ids": "ids", "not_found": "missing", "missing": "missing",
}


def batch_create(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    batch = ctx.plan.batch
    field = batch.get("items", resource.items)
    entries = (ctx.body or {}).get(field) or [] if isinstance(ctx.body, dict) else []
    limit = batch.get("max", resource.max_items)
    if limit is not None and len(entries) > int(limit):
        raise MockError(400, f"At most {limit} records per batch request", validation=True,
                        errors=[{"loc": ["body", field], "msg": f"ensure this value has at most {limit} items", "type": "value_error.list.max_items"}])
    schema = _array_item_schema(ctx, field)
    created = []
    for entry in entries:
        record, expires_at = new_record(ctx, collection, resource, entry if isinstance(entry, dict) else {}, schema)
        created.append(ctx.services.store.insert(collection, record, key=resource.key, expires_at=expires_at))
    shaped = [ctx.services.shaper.shape(r, schema) for r in created]
    for record in shaped:
        publish(ctx, f"{resource.name}.created", record, collection)
    facts = {"count": len(created), "failed": 0, "records": shaped, "ids": [r.get(resource.key) for r in created], "missing": []}
    return _reply(ctx, facts)


def batch_delete(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    field = ctx.plan.batch.get("ids", resource.ids)
    ids = (ctx.body or {}).get(field) or [] if isinstance(ctx.body, dict) else []
    deleted, missing = [], []
    for record_id in ids:
        record = ctx.services.store.delete(collection, record_id)
        if record is None:
            missing.append(record_id)
        else:
            deleted.append(record_id)
            publish(ctx, f"{resource.name}.deleted", record, collection)
    facts = {"count": len(deleted), "failed": len(missing), "ids": deleted, "missing": missing, "records": []}
    return _reply(ctx, facts)


def _reply(ctx: Context, facts: dict[str, Any]) -> Reply:
    mapping = ctx.plan.batch.get("response") or {}
    body: dict[str, Any] = {}
    for prop in schema_properties(ctx.plan.success_schema, ctx.services.document):
        fact = mapping.get(prop) or BATCH_FACTS.get(prop)
        if fact in facts:
            body[prop] = facts[fact]
    return ctx.replies.shaped(ctx.plan.success_status, body, ctx.headers)


def _array_item_schema(ctx: Context, preferred: str) -> Any:
    document = ctx.services.document
    properties = schema_properties(ctx.plan.success_schema, document)
    for name in [preferred, "records", "items", "data"] + list(properties):
        sub = resolved_schema(properties.get(name, {}), document)
        if sub.get("type") == "array" or "items" in sub:
            return sub.get("items")
    return {}
