"""Step 1, credentials: who the caller is, by the operation's security requirements.

A failure is kept on the context, not raised: the rate limit has its say first (a client
hammering with bad tokens is throttled), then the access step reports it.

`PrincipalCache` remembers who a credential is for a few seconds, since verifying a JWT is the
costliest part of a request. An entry is found only from the exact credential material of the
operation's security schemes: every header, query parameter and cookie they name (the plan's
`credential_sources`), so a request whose key is missing or different never meets a principal
another request proved.
"""

from __future__ import annotations

import time
from typing import Any

from mock_server.auth.interfaces import AuthService
from mock_server.http.context import Context
from mock_server.http.exchange import Request
from mock_server.http.plan import CredentialSource, OperationPlan


class PrincipalCache:
    """Entries end with the token's own expiry, after a few seconds at most, and all at once
    whenever an auth flow runs (logout, session revocation, refresh rotation) or the mock is
    reset, so a revoked credential is refused at once."""

    TTL = 5.0
    MAX_ENTRIES = 10000

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def authenticate(self, request: Request, plan: OperationPlan, authenticator: AuthService) -> Any:
        material = credential_material(request, plan.credential_sources)
        # operations sharing one requirement list (the contract's global `security`) share entries
        key = (id(plan.security), material) if any(value is not None for value in material) else None
        now = time.time()
        hit = self._entries.get(key) if key is not None else None
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = authenticator.authenticate(request.headers, dict(request.query_pairs), plan.security)
        if principal is not None and key is not None:
            expires = (getattr(principal, "claims", None) or {}).get("exp")
            until = now + self.TTL
            if isinstance(expires, (int, float)):
                until = min(until, float(expires))
            if len(self._entries) > self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (until, principal)
        return principal

    def clear(self) -> None:
        self._entries.clear()


def credential_material(request: Request, sources: tuple[CredentialSource, ...]) -> tuple[Any, ...]:
    """Everything the named places hold: every value of a query parameter, the whole Cookie
    header for a cookie key (what the authenticator reads is a function of it), a header's value."""
    headers = request.headers
    material: list[Any] = []
    for source in sources:
        if source.where == "header":
            material.append(headers.get(source.name))
        elif source.where == "query":
            values = tuple(v for k, v in request.query_pairs if k == source.name)
            material.append(values or None)
        elif source.where == "cookie":
            material.append(headers.get("cookie"))
    return tuple(material)


def credentials(ctx: Context) -> None:
    try:
        ctx.principal = ctx.services.principals.authenticate(ctx.request, ctx.plan, ctx.services.authenticator)
    except Exception as error:  # AuthError, reported by the access step after the rate limit
        if not hasattr(error, "status"):
            raise
        ctx.auth_error = error
