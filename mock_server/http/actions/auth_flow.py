"""Auth flows (``x-apitwin-auth``: login, refresh, logout, register, API keys, ...), run by the
authenticator; cached principals are forgotten, since a flow may revoke what they proved."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from mock_server.http.context import Context
from mock_server.http.exchange import Reply
from mock_server.http.shaping import resolved_schema, schema_properties
from mock_server.http.steps.access import auth_to_mock_error

_CREDENTIAL_NAME = re.compile(r"(token|key|secret|password|code)$", re.IGNORECASE)


def auth_flow(ctx: Context) -> Reply:
    services = ctx.services
    services.principals.clear()
    sent = ctx.body if isinstance(ctx.body, dict) else {}
    try:
        status, body, extra = services.authenticator.perform(
            ctx.plan.auth_action, ctx.replies.operation.spec, sent, ctx.principal, dict(ctx.request.path_params)
        )
    except Exception as error:
        if not hasattr(error, "status"):
            raise
        raise auth_to_mock_error(error) from None
    ctx.headers.update(extra or {})
    if body is None:
        return Reply(status, None, ctx.headers, None)
    if isinstance(body, dict) and isinstance(ctx.body, dict):
        body = {**body, **_echoed(ctx, status, ctx.body)}
    return ctx.replies.shaped(status, body, ctx.headers)


def _echoed(ctx: Context, status: int, sent: Mapping[str, Any]) -> dict[str, Any]:
    """What the client sent that the response documents: it wins over data an auth flow
    generated for a field it does not keep (a registration shows the email it was sent).
    Never a write-only field, and never a credential (tokens, keys, secrets are the
    server's to issue: a refresh answers a new refresh token, not the one sent)."""
    document = ctx.services.document
    properties = schema_properties(ctx.replies.schema_of(status), document)
    return {
        name: copy.deepcopy(value) for name, value in sent.items()
        if name in properties and not _CREDENTIAL_NAME.search(name)
        and not resolved_schema(properties[name], document).get("writeOnly")
    }
