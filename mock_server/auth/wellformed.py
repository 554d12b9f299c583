"""Auth for a contract that declares security schemes but not how the mock should issue tokens.

A team that brings its own contract wants its frontend to talk to the mock on day one, before it
writes any ``x-apitwin.auth`` block. So without those declarations the mock checks what the
contract *does* state: which kind of credential travels where. Any credential of the declared
kind, well formed, in the declared place is accepted; a missing or malformed one is refused with
401 and a challenge (``WWW-Authenticate``) that names what was expected:

=====================  ===========================================  ===============================
scheme                 well formed                                  challenge
=====================  ===========================================  ===============================
apiKey (header,        a non-empty value without control            ``ApiKey realm="<title>",
query, cookie)         characters                                   in="header", name="api_key"``
http bearer            ``Bearer <token68>`` (``bearerFormat`` is a  ``Bearer realm="<title>"``
                       hint, not a rule: a JWT names its caller by
                       ``sub``, an opaque token is accepted too)
http basic             ``Basic <base64 of user:password>``          ``Basic realm="<title>"``
http <other>           ``<Scheme> <credentials>``                   ``<Scheme> realm="<title>"``
oauth2, openIdConnect  ``Bearer <token68>``                         ``Bearer realm="<title>"``
mutualTLS              cannot be seen over HTTP: always satisfied   -
=====================  ===========================================  ===============================

A malformed Bearer credential adds ``error="invalid_token"`` to its challenge (RFC 6750). The
principal a credential proves is derived from the credential alone (Basic's user name, a JWT's
``sub``, else a digest of the value), so the same credential is always the same caller.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from mock_server.auth.errors import Failures
from mock_server.auth.principal import Principal
from mock_server.auth.requirements import first_met
from mock_server.http import bounded_json

#: RFC 6750's b64token (RFC 7235's token68): what a Bearer token may be made of
TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_CREDENTIAL = 16384


class Malformed(Exception):
    """A credential is present in the scheme's place but is not of the scheme's kind."""

    def __init__(self, reason: str, scheme: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scheme = scheme


def place_of(scheme: Mapping[str, Any]) -> str:
    """Where and what a scheme's credential is, in a few words (for the start-up table)."""
    kind = scheme.get("type")
    if kind == "apiKey":
        return f"key in {scheme.get('in')} {scheme.get('name')}"
    if kind == "http":
        name = str(scheme.get("scheme") or "").lower()
        if name == "bearer":
            return "Bearer JWT" if _says_jwt(scheme) else "Bearer token"
        return "Basic user:password" if name == "basic" else f"{_auth_scheme(scheme)} credentials"
    if kind == "oauth2":
        return "OAuth2 Bearer token"
    if kind == "openIdConnect":
        return "OpenID Connect Bearer token"
    return str(kind)


def describe(schemes: Mapping[str, Any]) -> str:
    """``any well-formed:`` and one line per kind of credential a contract's schemes accept."""
    places = sorted({place_of(s) for s in schemes.values() if isinstance(s, Mapping) and s.get("type") != "mutualTLS"})
    return "\n".join(["any well-formed:", *places]) if places else "-"


class WellFormedAuth:
    """Checks an operation's security requirements for credentials of the right shape only."""

    def __init__(self, schemes: Mapping[str, Any], failures: Failures, realm: str) -> None:
        self.schemes = {name: s for name, s in schemes.items() if isinstance(s, Mapping)}
        self.failures = failures
        self.realm = realm

    def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str],
                     security: list[dict] | None) -> Principal | None:
        """Alternatives (the list) are tried in order and the first one met wins; every scheme of
        one requirement (AND) must be met. A present but malformed credential is reported over a
        missing one, since it says what the client got wrong."""
        outcome = first_met(security, lambda requirement: self._satisfy(requirement, headers, query), Malformed)
        if outcome.principal is not None:
            return outcome.principal
        names = [name for r in security or [] if isinstance(r, Mapping) for name in r]
        malformed = outcome.refusal
        if isinstance(malformed, Malformed):  # even where credentials are optional, as with issued ones
            reason = malformed.reason
            failure = "invalid_api_key" if self.schemes.get(malformed.scheme or "", {}).get("type") == "apiKey" else "invalid_token"
            raise self.failures.error(failure, message=reason, details={"reason": reason},
                                      headers=self.challenge(names, invalid=malformed.scheme, reason=reason))
        if outcome.optional:
            return None
        raise self.failures.error("missing_token", headers=self.challenge(names))

    def verify_token(self, token: str, scheme: Mapping[str, Any] | None = None) -> Principal:
        """A token found elsewhere (a WebSocket handshake): any well-formed one is accepted."""
        token = token.strip()
        if not token or len(token) > MAX_CREDENTIAL or _CONTROL.search(token):
            raise self.failures.error("invalid_token", message="Malformed token",
                                      headers={"WWW-Authenticate": self._bearer_challenge()})
        if scheme is not None and _says_jwt(scheme):
            return _bearer_principal(token)
        return _principal(token)

    # ------------------------------------------------------------------ one requirement (AND)
    def _satisfy(self, requirement: Mapping[str, Any], headers: Mapping[str, str],
                 query: Mapping[str, str]) -> Principal | None:
        principal: Principal | None = None
        for name in requirement:
            scheme = self.schemes.get(name)
            if scheme is None:
                return None  # a scheme the contract does not define can never be met
            if scheme.get("type") == "mutualTLS":
                continue
            raw = _raw(scheme, headers, query)
            if raw is None:
                return None
            try:
                principal = _check(scheme, raw)
            except Malformed as problem:
                raise Malformed(problem.reason, name) from None
        return principal or Principal(user_id="anonymous", username=None, roles=[], token_id=None, kind="well-formed")

    # ------------------------------------------------------------------ challenges
    def challenge(self, names: list[str], *, invalid: str | None = None, reason: str | None = None) -> dict[str, str]:
        """One ``WWW-Authenticate`` value holding a challenge per scheme the operation accepts."""
        challenges: list[str] = []
        for name in names:
            scheme = self.schemes.get(name)
            if scheme is None:
                continue
            error = (reason or "malformed credential") if name == invalid else None
            text = self._challenge_for(scheme, error)
            if text and text not in challenges:
                challenges.append(text)
        return {"WWW-Authenticate": ", ".join(challenges)} if challenges else {}

    def _challenge_for(self, scheme: Mapping[str, Any], error: str | None) -> str | None:
        kind = scheme.get("type")
        realm = f"realm={_quoted(self.realm)}"
        if kind == "apiKey":
            return f"ApiKey {realm}, in={_quoted(str(scheme.get('in')))}, name={_quoted(str(scheme.get('name')))}"
        if kind == "http" and str(scheme.get("scheme") or "").lower() not in ("bearer", ""):
            return f"{_auth_scheme(scheme)} {realm}"
        if kind in ("http", "oauth2", "openIdConnect"):
            return self._bearer_challenge(error)
        return None

    def _bearer_challenge(self, error: str | None = None) -> str:
        text = f"Bearer realm={_quoted(self.realm)}"
        if error:
            text += f', error="invalid_token", error_description={_quoted(error)}'
        return text


# ---------------------------------------------------------------------- reading and checking
def _raw(scheme: Mapping[str, Any], headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The credential's text where the scheme says it travels; None when it is absent (empty
    counts as absent: ``?api_key=`` carries no key)."""
    kind = scheme.get("type")
    if kind in ("http", "oauth2", "openIdConnect"):
        value = header_value(headers, "authorization")
    elif kind == "apiKey":
        value = api_key_value(scheme, headers, query)
    else:
        value = None
    return value if value and value.strip() else None


def api_key_value(scheme: Mapping[str, Any], headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """An apiKey scheme's value from its header, query parameter or cookie."""
    where, name = scheme.get("in"), str(scheme.get("name") or "")
    if where == "header":
        return header_value(headers, name.lower())
    if where == "query":
        return query.get(name)
    if where == "cookie":
        return cookie_value(header_value(headers, "cookie"), name)
    return None


def _check(scheme: Mapping[str, Any], raw: str) -> Principal:
    """The principal a well-formed credential proves; Malformed otherwise."""
    if len(raw) > MAX_CREDENTIAL:
        raise Malformed("credential too long")
    kind = scheme.get("type")
    if kind == "apiKey":
        if _CONTROL.search(raw):
            raise Malformed(f"API key {scheme.get('name')} holds control characters")
        return _principal(raw)
    wanted = _auth_scheme(scheme) if kind == "http" else "Bearer"
    given, _, credentials = raw.strip().partition(" ")
    credentials = credentials.strip()
    if given.lower() != wanted.lower() or not credentials:
        raise Malformed(f"expected Authorization: {wanted} <credentials>")
    if wanted.lower() == "basic":
        return _basic(credentials)
    if wanted.lower() == "bearer":
        if not TOKEN68.match(credentials):
            raise Malformed("the Bearer token has characters a token may not have (RFC 6750)")
        if _says_jwt(scheme):
            return _bearer_principal(credentials)
    return _principal(credentials)


def _bearer_principal(token: str) -> Principal:
    """The caller of a Bearer token whose scheme says ``bearerFormat: JWT``. OpenAPI calls
    ``bearerFormat`` a hint, "primarily for documentation purposes": a token that is a JWT names
    its caller by ``sub``, and any other well-formed token is accepted as the opaque token an
    authorization server may well issue."""
    try:
        claims = _jwt_claims(token)
    except Malformed:
        return _principal(token)
    return _principal(token, subject=claims.get("sub"), claims=claims)


def _basic(credentials: str) -> Principal:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise Malformed("Basic credentials are not base64 of user:password") from None
    user, colon, _ = decoded.partition(":")
    if not colon or not user or _CONTROL.search(decoded):
        raise Malformed("Basic credentials are not base64 of user:password")
    return _principal(credentials, subject=user, username=user)


def _jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a well-formed JWT (signature not checked: nothing declares the key)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_B64URL.match(p) for p in parts) or not parts[0] or not parts[1]:
        raise Malformed("the Bearer token is not a JWT (header.payload.signature, base64url)")
    try:
        header, payload = (bounded_json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise Malformed("the Bearer token is not a JWT: its header or payload is not JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Malformed("the Bearer token is not a JWT: its header or payload is not a JSON object")
    return payload


def _principal(credential: str, *, subject: Any = None, username: str | None = None,
               claims: dict | None = None) -> Principal:
    digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    user_id = str(subject) if isinstance(subject, (str, int)) and str(subject) else f"caller_{digest}"
    return Principal(user_id=user_id, username=username, roles=[], token_id=None, kind="well-formed",
                     claims=dict(claims or {}))


def _says_jwt(scheme: Mapping[str, Any]) -> bool:
    return str(scheme.get("bearerFormat") or "").strip().upper() == "JWT"


def _auth_scheme(scheme: Mapping[str, Any]) -> str:
    name = str(scheme.get("scheme") or "").strip()
    return {"bearer": "Bearer", "basic": "Basic", "digest": "Digest"}.get(name.lower(), name)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def cookie_value(raw: str | None, name: str) -> str | None:
    for part in (raw or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


__all__ = ["Malformed", "WellFormedAuth", "api_key_value", "describe", "header_value", "place_of"]
