"""The documented reply: the success response's example (or the one ``Prefer`` names), else
data generated from its schema. What every operation without other work answers.

An operation documenting no responses at all (OpenAPI 3.1 allows it) has nothing to answer
with but its success status: it gets that status and no body."""

from __future__ import annotations

from mock_server.http.context import Context
from mock_server.http.exchange import Reply


def documented(ctx: Context) -> Reply:
    if not ctx.replies.operation.responses:
        return Reply(ctx.plan.success_status, None, ctx.headers, None)
    return ctx.replies.documented(ctx.plan.success_status, ctx.preference, ctx.headers, ctx.request.headers.get("accept"))
