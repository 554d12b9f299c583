"""`Principal`: who a request acts as, once its credentials have been checked."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Principal:
    user_id: str
    username: str | None
    roles: list[str]
    token_id: str | None
    kind: str                              # "user" (access token), "client", "api_key", "static"
    permissions: list[str] | None = None   # None: not restricted (a user's own token)
    plan: str | None = None                # rate-limit plan (x-apitwin.rate_limits `plan:`)
    session_id: str | None = None
    claims: dict = field(default_factory=dict)
