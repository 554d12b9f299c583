"""Each class of client mistake, for every API, answered in that API's own envelope (never 5xx)."""

from __future__ import annotations

import re

import httpx
import jsonschema
import pytest

from mock_server.contracts.bundle import resolve_target
from mock_server.contracts.loader import load_document
from mock_server.contracts.schemas import deref
from tests.mock.mockutil import BASE, login

#: per API: a JSON-body operation (method, path), and a method the path does not document
ENDPOINTS = {
    "accounts": {"json": ("POST", "/api/v1/auth/register"), "undocumented": ("PATCH", "/api/v1/users/")},
    "directory": {"json": ("POST", "/oauth/token"), "undocumented": ("PATCH", "/api/v1/users")},
    "messaging": {"json": ("POST", "/api/messages"), "undocumented": ("PUT", "/api/messages")},
    "enterprise": {"json": ("POST", "/data/products"), "undocumented": ("DELETE", "/data/products")},
    "realtime": {"json": ("POST", "/sessions"), "undocumented": ("POST", "/health")},
}
APIS = list(ENDPOINTS)


@pytest.fixture(scope="module")
def servers(mock_server):
    return {api: mock_server(api) for api in APIS}


def contract(api: str) -> dict:
    return load_document(resolve_target(api).openapi)


def assert_envelope(api: str, response: httpx.Response, method: str, path: str) -> None:
    """The body is valid against the documented response (or the API's declared error schema)."""
    document = contract(api)
    schema = None
    item = (document["paths"].get(template(document, path)) or {}).get(method.lower()) or {}
    documented = deref(item.get("responses", {}).get(str(response.status_code)), document) or {}
    media = (documented.get("content") or {}).get("application/json") or {}
    schema = media.get("schema")
    if schema is None:
        schema = {"$ref": document["x-apitwin"]["errors"]["schema"]}
    validator = jsonschema.Draft202012Validator({**schema, "components": document["components"]})
    validator.validate(response.json())


def template(document: dict, path: str) -> str:
    """The contract's path template a concrete path belongs to (fewest parameters first)."""
    candidates = [t for t in document["paths"] if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)), path)]
    return min(candidates, key=lambda t: t.count("{")) if candidates else path


def url(servers, api: str, path: str) -> str:
    return servers[api].url + BASE[api] + path


@pytest.mark.parametrize("api", APIS)
def test_unknown_path_is_404(servers, api):
    response = httpx.get(url(servers, api, "/no/such/path"))
    assert response.status_code == 404
    assert_envelope(api, response, "GET", "/no/such/path")


@pytest.mark.parametrize("api", APIS)
def test_wrong_method_is_405_with_allow(servers, api):
    method, path = ENDPOINTS[api]["undocumented"]
    response = httpx.request(method, url(servers, api, path))
    assert response.status_code == 405
    document = contract(api)
    documented = {m.upper() for m in document["paths"][template(document, path)] if m in ("get", "put", "post", "delete", "patch")}
    implied = {"HEAD"} if "GET" in documented else set()  # HEAD is answered wherever GET is
    assert set(response.headers["allow"].split(", ")) == documented | implied
    assert_envelope(api, response, method, path)


BAD_BODIES = {  # name: (body, content type, status, text the answer must mention)
    "wrong_content_type_is_415": (b"<a/>", "application/xml", 415, None),
    "malformed_json_is_400": (b'{"a": ', "application/json", 400, None),
    "json_that_is_not_utf8_is_400": (b'{"name": "\xff\xfe"}', "application/json", 400, "UTF-8"),
}


@pytest.mark.parametrize("case", BAD_BODIES)
@pytest.mark.parametrize("api", APIS)
def test_bad_body(servers, api, case):
    body, content_type, status, mentions = BAD_BODIES[case]
    method, path = ENDPOINTS[api]["json"]
    token = login(servers[api], api)
    response = httpx.request(method, url(servers, api, path), content=body, headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    assert response.status_code == status
    if mentions:
        assert mentions in response.text
    assert_envelope(api, response, method, path)


@pytest.mark.parametrize("api", APIS)
def test_huge_body_is_413(servers, api):
    method, path = ENDPOINTS[api]["json"]
    response = httpx.request(method, url(servers, api, path), content=b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_envelope(api, response, method, path)


@pytest.mark.parametrize("api", APIS)
def test_contract_violation_uses_the_declared_validation_status(servers, api):
    method, path = ENDPOINTS[api]["json"]
    token = login(servers[api], api)
    response = httpx.request(method, url(servers, api, path), json={"unexpected": [1, 2, 3]}, headers={"Authorization": f"Bearer {token}"})
    document = contract(api)
    own = document["paths"][template(document, path)][method.lower()].get("x-apitwin-errors") or {}
    declared = own.get("validation_status", document["x-apitwin"]["errors"].get("validation_status", 400))
    assert response.status_code == declared, response.text
    assert_envelope(api, response, method, path)
