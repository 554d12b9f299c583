"""The documented reply: the success response's example (or the one ``Prefer`` names), else
data generated from its schema. What every operation without other work answers."""

from __future__ import annotations

from mock_server.http.context import Context
from mock_server.http.exchange import Reply


def documented(ctx: Context) -> Reply:
    return ctx.replies.documented(ctx.plan.success_status, ctx.preference, ctx.headers, ctx.request.headers.get("accept"))
