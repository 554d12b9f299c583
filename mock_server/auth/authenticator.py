"""`Authenticator`: checks credentials on every request and runs the auth flows.

Everything it does is declared by the contract: security schemes say where credentials travel,
`x-apitwin.auth` gives demo accounts, lifetimes, rotation, lockout and error codes, and each
auth operation's `x-apitwin-auth` names its flow (see `flows.py`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Callable

from mock_server.auth.apikeys import ApiKeys
from mock_server.auth.config import AuthConfig
from mock_server.auth.credentials import Credentials
from mock_server.auth.errors import AuthError, Failures
from mock_server.auth.flows import Flows
from mock_server.auth.lockout import Lockout
from mock_server.auth.principal import Principal
from mock_server.auth.requirements import first_met
from mock_server.auth.tokens import TokenProblem, TokenService
from mock_server.auth.wellformed import WellFormedAuth, api_key_value, describe, header_value


class Authenticator:
    def __init__(self, document: dict, store: Any, *, seed: int = 0, clock: Callable[[], float] = time.time,
                 generator: Any = None):
        self.document = document
        self.store = store
        self.config = AuthConfig.from_document(document)
        self.clock = clock
        title = str((document.get("info") or {}).get("title") or "apitwin")
        self.failures = Failures(self.config.errors, ((document.get("x-apitwin") or {}).get("errors") or {}).get("messages"))
        self.tokens = TokenService(store, seed=seed, issuer=title, clock=clock)
        self.credentials = Credentials(store)
        self.lockout = Lockout(self.config.lockout_attempts, self.config.lockout_seconds, clock=clock)
        self.api_keys = ApiKeys(store, self.config.api_keys, seed=seed, clock=clock)
        if generator is None:
            from mock_server.datagen import DataGenerator

            generator = DataGenerator(seed, stream="auth")  # never the ids the mock's own generator makes
        self.flows = Flows(self, generator)
        self.well_formed = None if self.config.issues_tokens else WellFormedAuth(self.config.schemes, self.failures, title)
        self.reset()

    @property
    def mode(self) -> str:
        """What is accepted, for the start-up table: ``issued tokens``, ``any well-formed ...``
        for a contract that declares schemes but not how tokens are issued, or ``-``."""
        if self.well_formed is None:
            return "issued tokens"
        return describe(self.config.schemes)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Seed the demo accounts (again): at start and after the store was reset."""
        self.lockout.clear()
        self.flows.seed_demo_users()

    # ------------------------------------------------------------------ checking requests
    def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str],
                     security: list[dict] | None) -> Principal | None:
        """The principal for an operation's security requirements, None for a public operation.

        Alternatives are tried in order; the first one whose credentials are present and valid
        wins. Present but bad credentials fail with their own reason (expired, revoked, ...).
        """
        if self.well_formed is not None:
            return self.well_formed.authenticate(headers, query, security)
        outcome = first_met(security, lambda requirement: self._satisfy(dict(requirement), headers, query), AuthError)
        if outcome.principal is not None:
            return outcome.principal
        if outcome.refusal is not None:
            raise outcome.refusal
        if outcome.optional:
            return None
        raise self.failures.error("missing_token", headers=self._challenge())

    def verify_token(self, token: str, scheme: Mapping[str, Any] | None = None) -> Principal:
        """The principal of an access token (or a declared static token); AuthError otherwise.
        Without issued tokens (no declarations), any token well formed for `scheme` (the one it
        came by, e.g. a JWT for ``bearerFormat: JWT``)."""
        if self.well_formed is not None:
            return self.well_formed.verify_token(token, scheme)
        for static in self.config.static_tokens:
            if token == static.get("token"):
                return self._static_principal(static)
        try:
            claims = self.tokens.decode(token)
        except TokenProblem as problem:
            details = {"token_expired": True} if problem.expired else {"reason": problem.reason}
            raise self.failures.error(problem.failure, details=details, headers=self._challenge()) from None
        if claims.get("typ") != "access":
            raise self.failures.error("invalid_token", details={"reason": "not an access token"}, headers=self._challenge())
        if claims.get("sid") and self.config.sessions_collection and \
                self.store.get(self.config.sessions_collection, claims["sid"]) is None:
            raise self.failures.error("token_revoked", details={"reason": "session ended"}, headers=self._challenge())
        return Principal(user_id=str(claims["sub"]), username=claims.get("username"), roles=list(claims.get("roles") or []),
                         token_id=claims["jti"], kind=str(claims.get("kind") or "user"),
                         permissions=claims.get("permissions"), plan=claims.get("plan"),
                         session_id=claims.get("sid"), claims=claims)

    def require_roles(self, principal: Principal | None, roles: list[str]) -> None:
        """Any one of `roles` admits the principal (403 otherwise, 401 without one)."""
        if not roles:
            return
        if principal is None:
            raise self.failures.error("missing_token", headers=self._challenge())
        if not set(roles) & set(principal.roles):
            raise self.failures.error("missing_role", details={"required_roles": list(roles)})

    def require_permissions(self, principal: Principal | None, permissions: list[str]) -> None:
        """Every one of `permissions` is needed by a restricted credential (an API key)."""
        if principal is None or principal.permissions is None or not permissions:
            return
        missing = [p for p in permissions if p not in principal.permissions]
        if missing:
            raise self.failures.error("missing_permission", details={"required": missing})

    def authorize(self, principal: Principal | None, operation: dict) -> None:
        """An operation's `x-apitwin-roles` and `x-apitwin-permissions`, checked together."""
        self.require_roles(principal, list(operation.get("x-apitwin-roles") or []))
        self.require_permissions(principal, list(operation.get("x-apitwin-permissions") or []))

    # ------------------------------------------------------------------ flows
    def perform(self, action: str, operation: dict, body: dict, principal: Principal | None,
                path_params: dict) -> tuple[int, dict | None, dict[str, str]]:
        """Run the flow `action` (an operation's `x-apitwin-auth`): status, body, headers."""
        return self.flows.perform(action, operation, body or {}, principal, path_params or {})

    # ------------------------------------------------------------------ internals
    def _satisfy(self, requirement: dict, headers: Mapping[str, str], query: Mapping[str, str]) -> Principal | None:
        """All schemes of one requirement must pass (they normally name one)."""
        principal = None
        for name in requirement:
            scheme = self.config.schemes.get(name)
            if not isinstance(scheme, dict):
                continue
            credential = _credential(scheme, headers, query)
            if credential is None:
                return None
            principal = self._principal_for(name, scheme, credential)
        return principal

    def _principal_for(self, name: str, scheme: dict, credential: str) -> Principal:
        if name == self.api_keys.scheme:
            entry = self.api_keys.lookup(credential)
            if entry is None:
                raise self.failures.error("invalid_api_key", headers=self._challenge())
            account = self.credentials.get(entry["owner"]) or {}
            return Principal(user_id=str(entry["owner"]), username=account.get("username"),
                             roles=list(account.get("roles") or []), token_id=entry["key_id"], kind="api_key",
                             permissions=list(entry.get("permissions") or []), plan=account.get("plan"))
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            return self.flows.basic_principal(credential)
        return self.verify_token(credential)

    def _static_principal(self, static: dict) -> Principal:
        account = self.credentials.get(static.get("user_id")) or {}
        return Principal(user_id=str(static.get("user_id")), username=account.get("username"),
                         roles=list(static.get("roles") or account.get("roles") or []), token_id=None,
                         kind="static", plan=account.get("plan"))

    def _challenge(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


def _credential(scheme: dict, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The raw credential a scheme carries, if the request has it."""
    kind = scheme.get("type")
    if kind in ("http", "oauth2", "openIdConnect"):
        value = header_value(headers, "authorization")
        if not value:
            return None
        expected = "basic" if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic" else "bearer"
        parts = value.split(None, 1)
        if len(parts) == 2 and parts[0].lower() == expected:
            return parts[1].strip()
        return value  # present but malformed: refused below as an invalid credential
    if kind == "apiKey":
        value = api_key_value(scheme, headers, query)
        prefix = scheme.get("x-apitwin-prefix")
        if value and prefix:
            # e.g. a WebSocket subprotocol list "access_token.<jwt>, chat"
            value = next((p.strip()[len(prefix):] for p in value.split(",") if p.strip().startswith(prefix)), None)
        return value or None
    return None

