"""Step 3, access: a credential problem found by the credentials step (401), then the
operation's ``x-apitwin-roles`` and ``x-apitwin-permissions`` (403)."""

from __future__ import annotations

from typing import Any

from mock_server.http.context import Context
from mock_server.http.errors import MockError


def access(ctx: Context) -> None:
    if ctx.auth_error is not None:
        raise auth_to_mock_error(ctx.auth_error)
    plan = ctx.plan
    if ctx.principal is None or not (plan.roles or plan.permissions):
        return
    try:
        ctx.services.authenticator.require_roles(ctx.principal, list(plan.roles))
        ctx.services.authenticator.require_permissions(ctx.principal, list(plan.permissions))
    except Exception as error:
        if not hasattr(error, "status"):
            raise
        raise auth_to_mock_error(error) from None


def auth_to_mock_error(error: Any) -> MockError:
    """An authenticator's error as the mock's: its status, message, code, details, headers."""
    return MockError(
        int(getattr(error, "status", 401)),
        getattr(error, "message", None) or str(error) or None,
        code=getattr(error, "code", None),
        details=getattr(error, "details", None) or None,
        headers=getattr(error, "headers", None),
    )
