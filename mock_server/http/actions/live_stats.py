"""Live stats (``x-apitwin-stats``: response path -> statistic) and capacity
(``x-apitwin-capacity``: the documented status to answer while the mock is at capacity)."""

from __future__ import annotations

from typing import Any

from mock_server.http.context import Context
from mock_server.http.exchange import Reply
from mock_server.http.scenario import Preference
from mock_server.http.shaping import schema_properties
from mock_server.state.pagination import put_path


def live_stats(ctx: Context) -> Reply:
    plan = ctx.plan
    stats = ctx.services.stats
    status = plan.success_status
    if plan.capacity and stats.at_capacity:
        status = int(plan.capacity.get("status", 503))
    reply = ctx.replies.documented(status, Preference(example=None, dynamic=ctx.preference.dynamic), ctx.headers)
    snapshot = stats.snapshot()
    body = reply.body if isinstance(reply.body, dict) else {}
    schema = ctx.replies.schema_of(status)
    for path, stat in plan.stats_fields.items():
        if stat in snapshot and _documents_path(ctx, schema, path):
            put_path(body, path, snapshot[stat])
    return ctx.replies.shaped(status, body, ctx.headers)


def _documents_path(ctx: Context, schema: Any, path: str) -> bool:
    """Whether the response schema names this dotted property path."""
    node = schema
    for part in path.split("."):
        properties = schema_properties(node, ctx.services.document)
        if part not in properties:
            return False
        node = properties[part]
    return True
