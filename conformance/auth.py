"""Automatic authentication: log in the way the contract says, as a real client would.

The contract names its own auth operations (`x-apitwin-auth: login | refresh |
client-credentials`) and demo accounts (`x-apitwin.auth.users` / `clients`); given
credentials (flags or APITWIN_* variables) take precedence. The result is a set of request
headers (or query parameters, for query API keys) that the HTTP, WebSocket and GraphQL phases
all reuse. Failing to log in is not a crash: the run goes on unauthenticated and the login
failure is reported, since a broken login is itself a contract violation.
"""

from __future__ import annotations

import base64
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import requests

from conformance.contract import Contract, Operation
from conformance.http import transport as http_transport
from conformance.session.identity import Principal

RETRY_LOGIN_AFTER = 30.0
MAX_RATE_LIMIT_WAIT = 10.0
TOKEN_KEYS = ("access_token", "accessToken", "token", "jwt", "id_token")
REFRESH_KEYS = ("refresh_token", "refreshToken")


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    api_key: str | None = None
    basic: str | None = None  # USER:PASS for HTTP Basic on every request
    headers: tuple[str, ...] = ()  # 'Name: value' sent on every request

    def extra_headers(self) -> dict[str, str]:
        """The headers given as they are (`--header`), plus `--basic` as an Authorization header."""
        extra: dict[str, str] = {}
        if self.basic:
            extra["Authorization"] = "Basic " + base64.b64encode(self.basic.encode()).decode()
        for line in self.headers:
            name, _, value = line.partition(":")
            extra[name.strip()] = value.strip()
        return extra


class AuthFailed(Exception):
    """Logging in through the contract's own operation did not work."""


def find_key(data: Any, keys: tuple[str, ...], depth: int = 0) -> str | None:
    """The first string value under one of `keys`, searching nested objects breadth-first."""
    if not isinstance(data, dict) or depth > 3:
        return None
    for key in keys:
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    for value in data.values():
        found = find_key(value, keys, depth + 1)
        if found:
            return found
    return None


class AuthSession:
    """Holds the current credentials for one API and renews them when they age out."""

    def __init__(self, contract: Contract, base_url: str, credentials: Credentials, *, timeout: float = 10.0, patient: bool = False) -> None:
        """`patient`: this is the run's own login, worth waiting for past the run's time budget
        (a second login a probe opens is not: that probe goes untested instead)."""
        self.contract = contract
        self.patient = patient
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.timeout = timeout
        self.token: str | None = credentials.token
        self.refresh_token: str | None = None
        self.obtained_at = time.monotonic()
        self.failure: str | None = None
        self.failed_at = 0.0
        self.principal = Principal()
        self.method: str = "given token" if credentials.token else "not logged in"
        self.issued: set[str] = {credentials.token} if credentials.token else set()
        self._lock = threading.Lock()

    # ---- what the contract offers ------------------------------------------------------
    def _operation(self, action: str) -> Operation | None:
        return next(self.contract.operations_with("auth", action), None)

    @property
    def ttl(self) -> float:
        return float(self.contract.auth.get("access_ttl") or 900)

    @property
    def api_key_scheme(self) -> dict | None:
        for scheme in self.contract.security_schemes().values():
            if scheme.get("type") == "apiKey":
                return scheme
        return None

    @property
    def bearer_header(self) -> str:
        for scheme in self.contract.security_schemes().values():
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and "token" in str(scheme.get("name", "")).lower():
                return str(scheme["name"])
        return "Authorization"

    # ---- public interface --------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        """Headers carrying valid credentials (logging in or refreshing first if needed)."""
        extra = self.credentials.extra_headers()
        if self.credentials.api_key and self.api_key_scheme and self.api_key_scheme.get("in") == "header":
            self.method = f"API key in the {self.api_key_scheme['name']} header"
            return {str(self.api_key_scheme["name"]): self.credentials.api_key, **extra}
        if self.bearer_header.lower() in {name.lower() for name in extra}:
            self.method = "headers given on the command line"
            return extra  # the user's own credentials: no login
        return {**self.token_headers(self.current_token()), **extra}

    def token_headers(self, token: str | None) -> dict[str, str]:
        if not token:
            return {}
        name = self.bearer_header
        return {name: f"Bearer {token}" if name == "Authorization" else token}

    def fresh_token(self) -> str | None:
        """A token from a login of its own, for an operation that ends the session it is sent
        with (logout, revocation): the shared login stays alive."""
        if self.credentials.token:
            return None
        try:
            token, _ = self._login()
        except AuthFailed:
            return None
        self.issued.add(token)
        return token

    def query(self) -> dict[str, str]:
        scheme = self.api_key_scheme
        if self.credentials.api_key and scheme and scheme.get("in") == "query":
            return {str(scheme["name"]): self.credentials.api_key}
        return {}

    def current_token(self) -> str | None:
        with self._lock:
            if self.credentials.token:
                return self.credentials.token
            now = time.monotonic()
            if self.token and now - self.obtained_at < self.ttl * 0.8:
                return self.token
            if self.failure and now - self.failed_at < RETRY_LOGIN_AFTER:
                return None  # a failed login is not retried on every request
            try:
                with http_transport.current().patient() if self.patient else nullcontext():
                    self._renew()
            except AuthFailed as exc:
                self.failure = str(exc)
                self.failed_at = time.monotonic()
                self.token = None
            return self.token

    def invalidate(self) -> None:
        with self._lock:
            if not self.credentials.token:
                self.token = None
                self.refresh_token = None
                self.failure = None  # a lost session is logged in again at once, not in 30 s

    # ---- flows -------------------------------------------------------------------------
    def _renew(self) -> None:
        if self.refresh_token and (refresh := self._operation("refresh")):
            try:
                self._take(self._send(refresh, {"refresh_token": self.refresh_token}))
                return
            except AuthFailed:
                pass
        if not self._operation("login") and not self._operation("client-credentials"):
            return  # nothing to log in through: the run goes on with what it was given
        token, data = self._login()
        self._take(data)

    def _login(self) -> tuple[str, dict]:
        """Log in through the contract's own operation; the token and the whole answer."""
        creds = self.credentials
        login = self._operation("login")
        client_flow = self._operation("client-credentials")
        data: dict | None = None
        if client_flow and (creds.client_id or not login):
            client = self._client()
            if client:
                data = self._send(client_flow, {"grant_type": "client_credentials", **client}, client=client)
        if data is None and login:
            user = self._user()
            if user:
                data = self._send(login, user)
        if data is None:
            if client_flow:
                raise AuthFailed("no client credentials to log in with (--client-id/--client-secret)")
            if login:
                raise AuthFailed("no user to log in as (--username/--password)")
            raise AuthFailed("the contract declares no login operation")
        token = find_key(data, TOKEN_KEYS)
        if not token:
            raise AuthFailed(f"no access token in the login answer: {str(data)[:200]}")
        return token, data

    def _user(self) -> dict[str, Any] | None:
        creds = self.credentials
        demo = (self.contract.auth.get("users") or [{}])[0]
        if creds.username:
            return {"username": creds.username, "email": creds.username, "password": creds.password or ""}
        if demo.get("password"):
            return {
                "username": demo.get("username") or demo.get("email"),
                "email": demo.get("email") or demo.get("username"),
                "password": demo["password"],
                "mfa_code": demo.get("mfa_code"),
            }
        return None

    def _client(self) -> dict[str, str] | None:
        creds = self.credentials
        if creds.client_id:
            return {"client_id": creds.client_id, "client_secret": creds.client_secret or ""}
        demo = (self.contract.auth.get("clients") or [{}])[0]
        if demo.get("client_id"):
            return {"client_id": demo["client_id"], "client_secret": demo.get("client_secret", "")}
        return None

    def _send(self, operation: Operation, values: dict[str, Any], *, client: dict[str, str] | None = None) -> dict:
        """Call an auth operation as its document shows: each documented media type in turn
        (see `login_encodings`), and for OAuth client credentials the secret in the body and
        then by HTTP Basic (RFC 6749 section 2.3.1)."""
        failures: list[str] = []
        for media_type, schema in login_encodings(self.contract, operation):
            payload = login_payload(self.contract.resolve(schema), values)
            ways: list[tuple[str, dict[str, str], dict[str, Any]]] = [("", {}, payload)]
            if client:
                basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
                bare = {key: value for key, value in payload.items() if key not in ("client_id", "client_secret")}
                ways.append((", client credentials by HTTP Basic", {"Authorization": f"Basic {basic}"}, bare))
            for note, headers, body in ways:
                try:
                    answer = self._post(operation, media_type, headers, body)
                except requests.RequestException as exc:
                    raise AuthFailed(f"{operation.id}: {exc}") from None
                if 200 <= answer.status_code < 300:
                    try:
                        data = answer.json()
                    except ValueError:
                        raise AuthFailed(f"{operation.id} answered {answer.status_code} without JSON") from None
                    who = next((str(body[key]) for key in ("username", "email", "client_id") if body.get(key)), None) or values.get("client_id") or "?"
                    self.method = f"{operation.label} ({operation.id}) as {who}, {media_type}{note}"
                    return data if isinstance(data, dict) else {}
                failures.append(f"{media_type}{note}: {answer.status_code} {answer.text[:120]}")
                if answer.status_code == 429:
                    break
        raise AuthFailed(f"{operation.id} ({operation.label}) refused the login: " + "; ".join(failures)[:400])

    def request(self, operation: Operation, values: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
        """One call of an auth operation as its document shows it (its first login encoding),
        whatever it answers: the behaviour probes read the answer themselves."""
        media_type, schema = login_encodings(self.contract, operation)[0]
        body = self.contract.resolve(operation.definition.get("requestBody") or {})
        payload = login_payload(self.contract.resolve(schema), values) if requestable(body, operation) else None
        return self._post(operation, media_type, headers or {}, payload)

    def _post(self, operation: Operation, media_type: str, headers: dict[str, str], body: dict[str, Any] | None) -> requests.Response:
        """One request (`body` None: none at all), waiting once for a short rate limit."""
        url = self.base_url + operation.path
        kwargs: dict[str, Any] = {} if body is None else {"json": body} if "json" in media_type else {"data": body}
        answer = http_transport.request(operation.method.upper(), url, headers=headers, timeout=self.timeout, **kwargs)
        wait = _retry_after(answer)
        if answer.status_code == 429 and wait is not None and wait <= MAX_RATE_LIMIT_WAIT:
            time.sleep(wait)  # the login is rate limited too: wait once, as a client would
            answer = http_transport.request(operation.method.upper(), url, headers=headers, timeout=self.timeout, **kwargs)
        return answer

    def _take(self, data: dict) -> None:
        token = find_key(data, TOKEN_KEYS)
        if not token:
            raise AuthFailed(f"no access token in the login answer: {str(data)[:200]}")
        self.token = token
        self.refresh_token = find_key(data, REFRESH_KEYS) or self.refresh_token
        self.obtained_at = time.monotonic()
        self.failure = None
        self.issued.add(token)
        self.principal.from_login(data, token)
        self.principal.learn(self._login_names(), "login credentials")

    def _login_names(self) -> set[str]:
        """The values the suite logged in with, and the demo account's own id when it is the one."""
        names = {str(value) for key, value in (self._user() or {}).items() if key in ("username", "email") and value}
        demo = (self.contract.auth.get("users") or [{}])[0]
        if not self.credentials.username and demo.get("id") is not None:
            names.add(str(demo["id"]))
        client = (self.contract.auth.get("clients") or [{}])[0]
        if not self.credentials.client_id and client.get("user_id") is not None:
            names.add(str(client["user_id"]))
        return names


FORM = "application/x-www-form-urlencoded"


def login_encodings(contract: Contract, operation: Operation) -> list[tuple[str, dict]]:
    """The media types to log in with, most faithful first: a form for an OAuth2 token request
    (RFC 6749 section 4.4.2: the body has `grant_type`), else those whose own examples the
    document shows, in the document's order; JSON when the operation documents no body."""
    body = contract.resolve(operation.definition.get("requestBody") or {})
    content = {kind: media for kind, media in (body.get("content") or {}).items() if isinstance(media, dict)}
    if not content:
        return [("application/json", {})]

    def rank(kind: str) -> int:
        media = content[kind]
        schema = contract.resolve(media.get("schema") or {})
        if kind == FORM and "grant_type" in (schema.get("properties") or {}):
            return 0
        return 1 if media.get("example") is not None or media.get("examples") else 2

    usable = [kind for kind in content if "json" in kind or kind == FORM]
    return [(kind, content[kind].get("schema") or {}) for kind in sorted(usable or list(content), key=rank)]


def login_payload(schema: dict, values: dict[str, Any]) -> dict[str, Any]:
    """The login values the request schema has fields for (all of them if it names none)."""
    properties = schema.get("properties") or {}
    if not properties:
        return {key: value for key, value in values.items() if value is not None}
    return {name: values[name] for name in properties if values.get(name) is not None}


def requestable(body: dict, operation: Operation) -> bool:
    """Whether the operation takes a body at all (a bare logout does not)."""
    return bool(body) or operation.method.lower() in ("post", "put", "patch")


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "")))
    except ValueError:
        return None
