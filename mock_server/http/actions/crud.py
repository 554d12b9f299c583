"""Resource CRUD on the store: get, create, replace (PUT), patch (JSON merge patch), delete.
Each publishes ``<resource>.created|updated|deleted``."""

from __future__ import annotations

import copy
from typing import Any

from mock_server.http.actions.records import bound, describes_record, find, mapped, new_record, one, utc_now
from mock_server.http.context import Context
from mock_server.http.errors import MockError
from mock_server.http.exchange import Reply
from mock_server.http.shaping import schema_properties
from mock_server.http.steps.events import publish


def get(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    return one(ctx, find(ctx, collection, resource)[0])


def create(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    plan = ctx.plan
    values = mapped(ctx, ctx.body if isinstance(ctx.body, dict) else {})
    record, expires_at = new_record(ctx, collection, resource, values, plan.success_schema, plan.request_defaults)
    stored = ctx.services.store.insert(collection, record, key=resource.key, expires_at=expires_at)
    reply = one(ctx, stored) if not describes_record(plan.success_schema, ctx.services.document) else ctx.replies.shaped(plan.success_status, stored, ctx.headers)
    publish(ctx, f"{resource.name}.created", reply.body if isinstance(reply.body, dict) else stored, collection)
    return reply


def update(ctx: Context) -> Reply:
    """PUT (``x-apitwin-update: replace``): each field sent replaces the stored one whole;
    PATCH (``merge``): a JSON merge patch, objects merged key by key."""
    collection, resource = bound(ctx)
    current, held = find(ctx, collection, resource)
    values = mapped(ctx, ctx.body if isinstance(ctx.body, dict) else {})
    updated = merge_patch(current, values) if ctx.plan.update_mode == "merge" else {**current, **values}
    if resource.key in current:
        updated[resource.key] = current[resource.key]
    schema = ctx.plan.success_schema
    if "updated_at" in schema_properties(schema, ctx.services.document) or "updated_at" in current:
        updated["updated_at"] = utc_now()
    if isinstance(schema, dict) and describes_record(schema, ctx.services.document):
        updated.update(ctx.services.shaper.shape(updated, schema))
    if not held:  # answered as a stateless mock would, nothing stored (see `unheld`)
        return one(ctx, updated)
    stored = ctx.services.store.replace(collection, current[resource.key], updated)
    if stored is None:
        raise MockError(404)
    reply = one(ctx, stored)
    publish(ctx, f"{resource.name}.updated", reply.body if isinstance(reply.body, dict) else stored, collection)
    return reply


def delete(ctx: Context) -> Reply:
    collection, resource = bound(ctx)
    current, held = find(ctx, collection, resource)
    if held:
        ctx.services.store.delete(collection, current[resource.key])
    status = ctx.plan.success_status
    if ctx.replies.operation.response_media(status)[0]:
        reply = ctx.replies.documented(status, ctx.preference, ctx.headers)
    else:
        reply = Reply(status, None, ctx.headers, None)
    if isinstance(reply.body, dict) and resource.key in schema_properties(ctx.replies.schema_of(status), ctx.services.document):
        reply = ctx.replies.shaped(status, current, ctx.headers)
    publish(ctx, f"{resource.name}.deleted", current, collection)
    return reply


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge key by key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        result[key] = merge_patch(result.get(key), value)
    return result
