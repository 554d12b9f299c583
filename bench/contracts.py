"""What the benchmark reads from a contract: where it is served and how a client logs in.

The benchmark drives every API the way a frontend would, from what the contract declares: the
login (or OAuth client-credentials) operation marked `x-apitwin-auth`, the demo credentials in
`x-apitwin.auth`, and the base path of the local server entry. Nothing here names an API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from mock_server.contracts.servers import server_path
from mock_server.contracts.bundle import resolve_target
from mock_server.contracts.loader import load_document

LOGIN_KINDS = ("login", "client-credentials")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "{host}")


class BenchSetupError(Exception):
    """The benchmark cannot prepare a measurement (no login operation, login refused...)."""


@dataclass(frozen=True)
class Contract:
    name: str
    openapi: Path
    asyncapi: Path | None
    document: dict[str, Any]

    @classmethod
    def load(cls, target: str) -> Contract:
        api = resolve_target(target)
        if api.openapi is None:
            raise BenchSetupError(f"{target}: no OpenAPI contract")
        return cls(api.name, api.openapi, api.asyncapi, load_document(api.openapi))

    @property
    def auth(self) -> dict[str, Any]:
        return (self.document.get("x-apitwin") or {}).get("auth") or {}

    def base_path(self) -> str:
        """The path of the local server entry (`http://localhost:8003/v2` -> `/v2`)."""
        servers = self.document.get("servers") or []
        local = [s for s in servers if urlsplit(str(s.get("url", ""))).hostname in LOCAL_HOSTS]
        for server in local or servers[:1]:
            return server_path(server)
        return ""


@dataclass(frozen=True)
class LoginRequest:
    path: str
    content_type: str
    body: dict[str, Any]

    def encoded(self) -> bytes:
        if self.content_type == "application/json":
            return json.dumps(self.body).encode()
        return urlencode(self.body).encode()


def login_request(contract: Contract) -> LoginRequest:
    """The request that logs the demo user (or demo OAuth client) in, built from declarations."""
    for path, item in (contract.document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method != "post" or not isinstance(operation, dict):
                continue
            kind = operation.get("x-apitwin-auth")
            if kind not in LOGIN_KINDS:
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            content_type = "application/json" if "application/json" in content else next(iter(content), "application/json")
            fields = _properties((content.get(content_type) or {}).get("schema") or {}, contract.document)
            body = _credentials(kind, contract.auth, fields)
            if body is not None:
                return LoginRequest(contract.base_path() + path, content_type, body)
    raise BenchSetupError(f"{contract.name}: no x-apitwin-auth login or client-credentials operation with usable demo credentials")


def _credentials(kind: str, auth: dict[str, Any], fields: set[str]) -> dict[str, Any] | None:
    if kind == "client-credentials":
        for client in auth.get("clients") or []:
            if client.get("client_id") and client.get("client_secret"):
                return {"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"]}
        return None
    for user in auth.get("users") or []:
        if not user.get("password") or user.get("mfa_code"):
            continue
        login_field = "username" if "username" in fields or not fields else "email"
        if user.get(login_field):
            return {login_field: user[login_field], "password": user["password"]}
    return None


def _properties(schema: dict[str, Any], document: dict[str, Any]) -> set[str]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return set(schema.get("properties") or {})


def token_from(body: Any) -> str | None:
    """The bearer token in a login answer: `access_token` (or `token`), at the top or nested."""
    if isinstance(body, dict):
        for key in ("access_token", "token"):
            if isinstance(body.get(key), str):
                return body[key]
        for value in body.values():
            found = token_from(value)
            if found:
                return found
    return None


def log_in(base_url: str, contract: Contract) -> str:
    """Log in through the contract's own login operation; the server must issue a token."""
    request = login_request(contract)
    response = httpx.post(base_url + request.path, content=request.encoded(), headers={"Content-Type": request.content_type}, timeout=30)
    token = token_from(response.json()) if response.headers.get("content-type", "").startswith("application/json") else None
    if response.status_code >= 300 or not token:
        raise BenchSetupError(f"{contract.name}: login at {request.path} answered {response.status_code}: {response.text[:200]}")
    return token


@dataclass(frozen=True)
class WebSocketEntry:
    address: str
    #: the query parameter a token may be passed in, if the contract declares one
    token_query: str | None


def websocket_entry(contract: Contract) -> WebSocketEntry:
    """The first channel of the AsyncAPI contract and how its handshake takes a token in the query."""
    if contract.asyncapi is None:
        raise BenchSetupError(f"{contract.name}: no AsyncAPI contract")
    document = load_document(contract.asyncapi)
    channels = document.get("channels") or {}
    if not channels:
        raise BenchSetupError(f"{contract.name}: the AsyncAPI contract has no channel")
    address = str(next(iter(channels.values())).get("address") or "/")
    schemes = ((document.get("components") or {}).get("securitySchemes") or {}).values()
    query = next((s.get("name") for s in schemes if isinstance(s, dict) and s.get("in") == "query" and s.get("name")), None)
    return WebSocketEntry(address, query)
