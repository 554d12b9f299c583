"""Step 2, rate limit: the caller's allowance for this operation, told in X-RateLimit-* headers;
429 with Retry-After once it is used up. With ``--rate-limits off`` the headers still tell the
declared allowance, never used up."""

from __future__ import annotations

from mock_server.http.context import Context
from mock_server.http.errors import MockError


def rate_limit(ctx: Context) -> None:
    principal = ctx.principal
    client = getattr(principal, "user_id", None) or ctx.request.client
    plan = getattr(principal, "plan", None)
    limiter = ctx.services.limiter
    operation_id = ctx.plan.operation_id
    decision = limiter.check(operation_id, str(client), plan=plan) if limiter.enabled else limiter.nominal(operation_id, plan=plan)
    if decision is None:
        return
    headers = ctx.headers
    headers["X-RateLimit-Limit"] = str(decision.limit)
    headers["X-RateLimit-Remaining"] = str(max(0, decision.remaining))
    headers["X-RateLimit-Reset"] = str(decision.reset)
    for name, value in (getattr(decision, "headers", None) or {}).items():
        headers[name] = str(value)
    if not decision.allowed:
        wait = str(max(1, decision.retry_after))
        headers["Retry-After"] = wait
        raise MockError(429, details={"retry_after": max(1, decision.retry_after)}, headers={"Retry-After": wait})
