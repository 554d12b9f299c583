"""Auth failures: one named catalogue, rendered with the codes and messages a contract declares.

Code never decides an error code by API: a failure has a name (`invalid_credentials`), a default
status and message, and the contract may override any of them under `x-apitwin.auth.errors`.
A failure without a declared code leaves `code` as None, so the mock's error renderer takes the
code its envelope declares for the status (`x-apitwin.errors.codes`, or an operation's own
`x-apitwin-errors`); a message falls back to `x-apitwin.errors.messages` for the status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuthError(Exception):
    """An auth failure the mock answers in the API's own error envelope."""

    status: int
    code: str | None
    message: str
    details: dict = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    failure: str = ""  # the catalogue name, for logs and tests

    def __str__(self) -> str:
        return f"{self.status} {self.code or ''} {self.message}".replace("  ", " ")


#: failure name -> (default status, default message, generic?). A generic failure is what its
#: status means anyway (a missing token is "401"), so the API's own message for that status
#: (`x-apitwin.errors.messages`) replaces the default; a specific one keeps its own message.
FAILURES: dict[str, tuple[int, str, bool]] = {
    "missing_token": (401, "Missing authentication credentials", True),
    "invalid_token": (401, "Invalid or expired token", True),
    "token_expired": (401, "Invalid or expired token", True),
    "token_revoked": (401, "Token has been revoked", True),
    "invalid_api_key": (401, "Invalid or expired API key", True),
    "invalid_credentials": (401, "Wrong username or password", False),
    "invalid_mfa_code": (401, "Invalid MFA code", False),
    "account_locked": (403, "Too many failed attempts", False),
    "mfa_required": (403, "MFA code is required but not provided", False),
    "invalid_refresh_token": (401, "Refresh token is invalid or has expired", False),
    "invalid_client": (401, "Client authentication failed", False),
    "unsupported_grant_type": (400, "Unsupported grant type", False),
    "invalid_request": (400, "Missing or malformed parameters", True),
    "missing_role": (403, "Not enough permissions", True),
    "missing_permission": (403, "Authenticated but lacking permission", True),
    "user_exists": (409, "A user with this username or email already exists", False),
    "session_not_found": (404, "Session not found", False),
    "not_session_owner": (403, "This session belongs to another user", True),
}

#: where a declaration for one failure is missing, the declaration of a related one applies
_RELATED = {
    "token_expired": "invalid_token",
    "token_revoked": "invalid_token",
    "missing_token": "invalid_token",
    "invalid_api_key": "invalid_token",
    "invalid_mfa_code": "invalid_credentials",
    "missing_role": "missing_permission",
    "not_session_owner": "missing_permission",
}


class Failures:
    """Builds `AuthError`s from the catalogue and the contract's declarations."""

    def __init__(self, declared: dict[str, Any] | None, messages: dict[Any, str] | None = None):
        self._declared = {str(k): v for k, v in (declared or {}).items() if isinstance(v, dict)}
        self._messages = {str(k): str(v) for k, v in (messages or {}).items()}

    def error(self, name: str, *, details: dict | None = None, status: int | None = None,
              headers: dict[str, str] | None = None, message: str | None = None) -> AuthError:
        """`message` says what exactly went wrong; a message the contract declares still wins."""
        default_status, default_message, generic = FAILURES[name]
        own = self._declared.get(name) or {}
        related = self._declared.get(_RELATED.get(name, ""), {})
        status = int(own.get("status") or status or default_status)
        code = own.get("code")
        if code is None and int(related.get("status") or 0) == status:
            code = related.get("code")
        message = own.get("message") or message or (self._messages.get(str(status)) if generic else None) or default_message
        return AuthError(status, code, message, dict(details or {}), dict(headers or {}), name)
