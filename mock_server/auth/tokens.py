"""Signed JWTs (HS256) with lifetimes, types, revocation by `jti` and refresh rotation.

The signing secret is derived from the seed, so a mock started with the same `--seed` (and a
`--state` file) accepts the tokens it issued before a restart, while every token still carries
a real expiry. The clock is injected so tests can move time instead of sleeping. Revoked token
ids are kept in the store (a private collection, each entry expiring with its token).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any, Callable

import jwt

from mock_server.http import bounded_json

REVOKED = "_revoked_tokens"
ALGORITHM = "HS256"


class TokenService:
    def __init__(self, store: Any, *, seed: int, issuer: str, clock: Callable[[], float] = time.time):
        self._store = store
        self._secret = hashlib.sha256(f"apitwin:{issuer}:{seed}".encode()).hexdigest()
        self._issuer = issuer
        self._clock = clock

    @staticmethod
    def new_id() -> str:
        """A fresh token id. Not seeded: with `--state`, ids must not repeat across restarts."""
        return secrets.token_hex(16)

    def issue(self, subject: str, *, typ: str, ttl: int, **claims: Any) -> tuple[str, dict]:
        """A signed token of type `typ` ("access" or "refresh") for `subject`, and its claims."""
        now = int(self._clock())
        payload = {"iss": self._issuer, "sub": str(subject), "typ": typ, "jti": self.new_id(),
                   "iat": now, "exp": now + int(ttl)}
        payload.update({k: v for k, v in claims.items() if v is not None})
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), payload

    def decode(self, token: str) -> dict:
        """The claims of a well-signed token; raises `TokenProblem` naming what is wrong."""
        _check_header(token)
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], issuer=self._issuer,
                                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub", "jti"]})
        except jwt.PyJWTError as exc:
            raise TokenProblem("invalid_token", str(exc)) from None
        except (UnicodeError, TypeError, ValueError):  # e.g. a lone surrogate PyJWT cannot encode
            raise TokenProblem("invalid_token", "malformed token") from None
        if int(claims["exp"]) <= self._clock():
            raise TokenProblem("token_expired", "token expired", expired=True)
        if self.is_revoked(claims["jti"]):
            raise TokenProblem("token_revoked", "token revoked")
        return claims

    def revoke(self, claims: dict) -> None:
        self._store.insert(REVOKED, {"id": claims["jti"], "exp": claims["exp"]}, expires_at=float(claims["exp"]))

    def is_revoked(self, jti: str) -> bool:
        return self._store.get(REVOKED, jti) is not None


def _check_header(token: str) -> None:
    """PyJWT parses a token's header before it checks the signature, with a parser that recurses
    once per nesting level: the header goes through the mock's bounded parser first."""
    header = token.split(".", 1)[0]
    try:
        bounded_json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError:  # binascii.Error and the parser's limits are ValueErrors too
        raise TokenProblem("invalid_token", "malformed token header") from None


class TokenProblem(Exception):
    """Why a token was refused: a failure name from the auth catalogue."""

    def __init__(self, failure: str, reason: str, *, expired: bool = False):
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.expired = expired
