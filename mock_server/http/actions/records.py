"""What the store actions share: the collection a request addresses, finding a record, and
building a new one from the request, the resource's declarations and the response schema."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from mock_server.contracts.schemas import deref
from mock_server.http.context import Context
from mock_server.http.error_status import documents
from mock_server.http.errors import MockError
from mock_server.http.exchange import Reply
from mock_server.http.parameters import schema_types
from mock_server.http.shaping import resolved_schema, schema_properties, schema_required
from mock_server.state.querying import project, requested_fields
from mock_server.state.resources import Resource, _singular

TIMESTAMP_FIELDS = ("created_at", "updated_at")
MAX_TTL = 100 * 365 * 24 * 3600.0  # a longer time-to-live is "never" for a mock


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bound(ctx: Context) -> tuple[str, Resource]:
    """The collection this request addresses and the operation's resource binding."""
    resource = ctx.plan.resource
    if resource is None:
        raise MockError(404)
    collection = resource.collection_for(ctx.request.path_params)
    if collection.startswith("_") and resource.collection != collection:
        # private collections (credentials, API keys, revoked tokens) are the mock's own
        # bookkeeping: no `{collection}` path reaches them, whatever its pattern allows
        raise MockError(404, f"Collection {collection} not found")
    return collection, resource


def find(ctx: Context, collection: str, resource: Resource) -> tuple[dict[str, Any], bool]:
    """The record the request's id names and whether the store holds it (see `unheld`)."""
    if resource.id_param is None:
        raise MockError(404)
    record_id = ctx.request.path_params.get(resource.id_param)
    record = ctx.services.store.get(collection, record_id)
    if record is None and not says_not_found(ctx):
        return unheld(ctx, resource, record_id), False
    if record is None:
        name = resource.name if resource.collection == collection or not collection else _singular(collection)
        raise MockError(404, f"{name.replace('_', ' ').capitalize()} {record_id} not found")
    return record, True


def says_not_found(ctx: Context) -> bool:
    """Whether the operation documents an answer for an id that names nothing: 404, ``4XX``
    or ``default``."""
    responses = ctx.replies.operation.responses
    return "default" in responses or documents(responses, 404)


def unheld(ctx: Context, resource: Resource, record_id: Any) -> dict[str, Any]:
    """A record for an id the store does not hold, where the operation documents no way to say
    "not found": a stateless mock's answer (as Prism gives), generated from the success schema
    and carrying the id asked for where the key's schema takes it. Never stored: an update or a
    delete of it answers its documented success and leaves the store as it was."""
    document = ctx.services.document
    schema = ctx.plan.success_schema
    shape = schema if isinstance(schema, dict) and schema and describes_record(schema, document) else {"type": "object"}
    properties = schema_properties(schema, document)
    overrides: dict[str, Any] = {}
    for name in (resource.key, resource.id_param):  # the record's key, or a field the path names
        if name in properties and ctx.services.compiler.is_valid(properties[name], record_id):
            overrides[name] = record_id
    record = ctx.services.generator.record(shape, root=document, overrides=overrides)
    return record if isinstance(record, dict) else {}


def describes_record(schema: Any, document: Any) -> bool:
    """Whether a response schema is one record's shape (an object, or says nothing of its type);
    a string, an array or a number is an answer about the record, not the record."""
    if schema is None:
        return True
    types = schema_types(schema, document)
    return not types or "object" in types


def one(ctx: Context, record: dict[str, Any], status: int | None = None) -> Reply:
    """One record as the success response, projected to the requested fields; where the
    response documents no body, none; where it documents something else than a record (text,
    a list), the documented answer."""
    plan = ctx.plan
    status = status or plan.success_status
    media_type, media = ctx.replies.operation.response_media(status)
    if media_type is None:
        return Reply(status, None, ctx.headers, None)
    schema = media.get("schema")
    if not describes_record(schema, ctx.services.document):
        if str(status) in ctx.replies.operation.responses:
            return ctx.replies.documented(status, ctx.preference, ctx.headers)
        return Reply(status, ctx.services.shaper.generate(schema), ctx.headers, media_type)
    fields = requested_fields(plan.fields_param, ctx.params.get("query", {}))
    reply = ctx.replies.shaped(status, record, ctx.headers)
    if fields and isinstance(reply.body, dict):
        reply.body = project(reply.body, fields, keep=schema_required(plan.success_schema, ctx.services.document))
    return reply


def mapped(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    """The body with declared fields moved to where records keep them (``x-apitwin-update.fields``)."""
    field_map = ctx.plan.field_map
    if not field_map:
        return values
    out: dict[str, Any] = {}
    for name, value in values.items():
        node = out
        parts = field_map.get(name, name).split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def new_record(ctx: Context, collection: str, resource: Resource, values: Mapping[str, Any], schema: Any,
               sent_defaults: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], float | None]:
    """A record for `collection` from the values sent, and when it expires (None: never)."""
    services = ctx.services
    document = services.document
    store = services.store
    properties = schema_properties(schema, document)
    overrides = dict(values)
    for name, value in ctx.request.path_params.items():
        if name in properties and name != resource.id_param:
            overrides[name] = value
    if resource.owner and ctx.principal is not None:
        overrides[resource.owner] = ctx.principal.user_id
    for name, value in resource.defaults:
        overrides.setdefault(name, copy.deepcopy(value))
    for name, value in (sent_defaults or {}).items():  # what the server takes for a field left out
        if name not in values and name in properties:
            overrides.setdefault(name, copy.deepcopy(value))
    for name, sub in properties.items():  # a declared default is what the server sets, not chance
        sub = resolved_schema(sub, document)
        if "default" in sub and name not in overrides:
            overrides[name] = copy.deepcopy(sub["default"])
    key_schema = deref(properties.get(resource.key) or {}, document)
    if _is_integer(key_schema) and resource.key not in overrides:
        existing = [r.get(resource.key) for r in store.list(collection, copy_records=False)]
        overrides[resource.key] = max([v for v in existing if isinstance(v, int)] + [0]) + 1
    now = utc_now()
    for name in TIMESTAMP_FIELDS:
        if name in properties:
            overrides[name] = now
    expires_at = None
    ttl = values.get(resource.ttl) if resource.ttl else None
    if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0:
        expires_at = time.time() + min(float(ttl), MAX_TTL)
        if "expires_at" in properties:
            overrides["expires_at"] = datetime.fromtimestamp(expires_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    shape = schema if isinstance(schema, dict) and schema and describes_record(schema, document) else {"type": "object"}
    record = services.generator.record(shape, root=document, overrides=overrides)
    if not isinstance(record, dict):
        record = {}
    record.update({k: v for k, v in overrides.items() if k not in record})
    # What the client could have sent but did not stays unset (an optional ttl, metadata...),
    # unless the response requires it; the expiry only exists with a ttl.
    required = schema_required(schema, document)
    for name in ctx.plan.request_properties:
        if name not in values and name not in overrides and name not in required:
            record.pop(name, None)
    if resource.ttl and expires_at is None and "expires_at" not in required and "expires_at" not in values:
        record.pop("expires_at", None)
    if record.get(resource.key) is None:
        record[resource.key] = services.generator.value(key_schema or {"type": "string", "format": "uuid"}, name=resource.key, root=document)
    if resource.key not in values:  # a generated id must name no stored record (a restart
        # with --state and the same seed generates the same ids again)
        _free_key(ctx, collection, resource, record, key_schema)
    if isinstance(schema, dict) and describes_record(schema, document):  # keep what was generated,
        record.update(services.shaper.shape(record, schema))             # so every later read agrees
    return record, expires_at


def _free_key(ctx: Context, collection: str, resource: Resource, record: dict[str, Any], key_schema: Any) -> None:
    """Generate the key again until it names no stored record."""
    store = ctx.services.store
    schema = key_schema or {"type": "string", "format": "uuid"}
    for _ in range(100):
        if store.get(collection, record[resource.key]) is None:
            return
        record[resource.key] = ctx.services.generator.value(schema, name=resource.key, root=ctx.services.document)
    raise MockError(500, f"No free {resource.key} left for a new record in {collection}")


def _is_integer(schema: Any) -> bool:
    declared = schema.get("type") if isinstance(schema, dict) else None
    return declared == "integer" or (isinstance(declared, list) and "integer" in declared)
