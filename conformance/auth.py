"""Automatic authentication: log in the way the contract says, as a real client would.

The contract names its own auth operations (`x-apitwin-auth: login | refresh |
client-credentials`) and demo accounts (`x-apitwin.auth.users` / `clients`); given
credentials (flags or APITWIN_* variables) take precedence. The result is a set of request
headers (or query parameters, for query API keys) that the HTTP, WebSocket and GraphQL phases
all reuse. Failing to log in is not a crash: the run goes on unauthenticated and the login
failure is reported, since a broken login is itself a contract violation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from conformance.contract import Contract, Operation
from conformance.http import transport as http_transport

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

    def __init__(self, contract: Contract, base_url: str, credentials: Credentials, *, timeout: float = 10.0) -> None:
        self.contract = contract
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.timeout = timeout
        self.token: str | None = credentials.token
        self.refresh_token: str | None = None
        self.obtained_at = time.monotonic()
        self.failure: str | None = None
        self.failed_at = 0.0
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
        if self.credentials.api_key and self.api_key_scheme and self.api_key_scheme.get("in") == "header":
            return {str(self.api_key_scheme["name"]): self.credentials.api_key}
        token = self.current_token()
        if not token:
            return {}
        name = self.bearer_header
        return {name: f"Bearer {token}" if name == "Authorization" else token}

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

    # ---- flows -------------------------------------------------------------------------
    def _renew(self) -> None:
        if self.refresh_token and (refresh := self._operation("refresh")):
            try:
                self._take(self._send(refresh, {"refresh_token": self.refresh_token}))
                return
            except AuthFailed:
                pass
        creds = self.credentials
        login = self._operation("login")
        client_flow = self._operation("client-credentials")
        if client_flow and (creds.client_id or not login):
            client = self._client()
            if client:
                self._take(self._send(client_flow, {"grant_type": "client_credentials", **client}))
                return
        if login:
            user = self._user()
            if user:
                self._take(self._send(login, user))
                return
        if client_flow:
            raise AuthFailed("no client credentials to log in with (--client-id/--client-secret)")
        if login:
            raise AuthFailed("no user to log in as (--username/--password)")

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

    def _send(self, operation: Operation, values: dict[str, Any]) -> dict:
        """Call an auth operation with a body built from its own request schema."""
        body = self.contract.resolve(operation.definition.get("requestBody") or {})
        content = body.get("content") or {"application/json": {}}
        media_type = next((kind for kind in content if "json" in kind), next(iter(content)))
        schema = self.contract.resolve((content.get(media_type) or {}).get("schema") or {})
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        payload = {
            name: values[name]
            for name in properties
            if values.get(name) is not None and (name in required or name in values)
        }
        if not properties:
            payload = {key: value for key, value in values.items() if value is not None}
        url = self.base_url + operation.path
        kwargs: dict[str, Any] = {"json": payload} if "json" in media_type else {"data": payload}
        try:
            answer = http_transport.request(operation.method.upper(), url, timeout=self.timeout, **kwargs)
            wait = _retry_after(answer)
            if answer.status_code == 429 and wait is not None and wait <= MAX_RATE_LIMIT_WAIT:
                time.sleep(wait)  # the login is rate limited too: wait once, as a client would
                answer = http_transport.request(operation.method.upper(), url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise AuthFailed(f"{operation.id}: {exc}") from None
        if not 200 <= answer.status_code < 300:
            raise AuthFailed(f"{operation.id} ({operation.label}) answered {answer.status_code}: {answer.text[:200]}")
        try:
            return answer.json()
        except ValueError:
            raise AuthFailed(f"{operation.id} answered {answer.status_code} without JSON") from None

    def _take(self, data: dict) -> None:
        token = find_key(data, TOKEN_KEYS)
        if not token:
            raise AuthFailed(f"no access token in the login answer: {str(data)[:200]}")
        self.token = token
        self.refresh_token = find_key(data, REFRESH_KEYS) or self.refresh_token
        self.obtained_at = time.monotonic()
        self.failure = None


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "")))
    except ValueError:
        return None
