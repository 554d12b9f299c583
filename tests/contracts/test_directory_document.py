"""The `directory` contracts against the document they were written from (seed 000).

The tables below are transcribed from "API Reference v2.1", so that nothing the document shows
(an endpoint, a parameter bound, an error code, a WebSocket frame, the GraphQL query) can go
missing from specs/directory/ unnoticed.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from graphql import build_schema, parse
from graphql import validate as validate_graphql

from .contract_checks import (
    ROOT, assert_asyncapi_document_valid, assert_every_ref_is_local_and_resolves,
    assert_openapi_document_valid, assert_operation_documented, asyncapi_examples,
    asyncapi_validator, declared_error_body, error_responses, error_schema, example_cases,
    is_lower_camel_case, is_public, keyword_slips, load_document, openapi_examples,
    openapi_validator, operation_by_id, operation_ids, operations, resolve, schema_errors,
)
from .contract_checks import is_valid as document_is_valid
from .contract_checks import named_example as document_example
from .contract_checks import parameter as document_parameter

SPEC_DIR = ROOT / "specs" / "directory"
OPENAPI = load_document(SPEC_DIR / "openapi.yaml")
ASYNCAPI = load_document(SPEC_DIR / "asyncapi.yaml")
GRAPHQL_SDL = (SPEC_DIR / "schema.graphql").read_text()

# --- what the document shows, transcribed ----------------------------------------------------

# (method, path, operationId, public, statuses the contract must document)
OPERATIONS = [
    ("post", "/oauth/token", "issueToken", True, {"200", "400", "401", "429", "503"}),
    ("get", "/api/v1/users", "listUsers", False, {"200", "401", "403", "422", "429", "503"}),
    ("post", "/graphql", "graphqlQuery", False, {"200", "400", "401", "429"}),
    ("get", "/graphql", "graphqlQueryGet", False, {"200", "400", "401", "429"}),
]

# The error-code table: status -> code.
ERROR_CODES = {
    "401": "INVALID_TOKEN",
    "403": "RATE_LIMITED",
    "422": "VALIDATION_ERROR",
    "429": "TOO_MANY_REQUESTS",
    "503": "MAINTENANCE_MODE",
}

# The list-users query parameters: name -> (type, default, maximum)
LIST_PARAMETERS = {
    "page": ("integer", 1, None),
    "per_page": ("integer", 10, 100),
    "fields": ("string", None, None),
    "sort": ("string", "created_at", None),
}

# The document's request line, `?page=2&per_page=20&fields=id,username,email&sort=-created_at`.
DOCUMENT_QUERY = {"page": 2, "per_page": 20, "fields": "id,username,email", "sort": "-created_at"}

DOCUMENT_LIST_RESPONSE = {
    "data": [{
        "id": "usr_123",
        "username": "johndoe",
        "email": "john@example.com",
        "created_at": "2024-03-20T08:00:00Z",
        "updated_at": "2024-03-20T09:30:00Z",
    }],
    "meta": {"current_page": 1, "total_pages": 5, "total_count": 42},
}

DOCUMENT_TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": "YOUR_CLIENT_ID",
    "client_secret": "YOUR_CLIENT_SECRET",
}

DOCUMENT_BEARER = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

# (direction, frame the document shows, channel message key)
MESSAGES = [
    ("client", {"type": "ping"}, "ping"),
]

DOCUMENT_GRAPHQL_QUERY = """
query GetUser($id: ID!) {
  user(id: $id) {
    id
    username
    posts(first: 5) {
      edges {
        node {
          title
          views
        }
      }
    }
  }
}
"""

# This document's shorthands: the shared helpers bound to it.
operation = partial(operation_by_id, OPENAPI)
parameter = partial(document_parameter, OPENAPI)
named_example = partial(document_example, OPENAPI)
is_valid = partial(document_is_valid, OPENAPI)


# --- the documents are valid -----------------------------------------------------------------


def test_openapi_is_valid() -> None:
    assert_openapi_document_valid(OPENAPI)


def test_asyncapi_is_valid() -> None:
    assert_asyncapi_document_valid(ASYNCAPI)


def test_graphql_schema_builds_and_takes_the_documents_query() -> None:
    schema = build_schema(GRAPHQL_SDL)
    assert validate_graphql(schema, parse(DOCUMENT_GRAPHQL_QUERY)) == []
    assert validate_graphql(schema, parse("{ user(id: 1) { nickname } }")) != []


def test_graphql_examples_are_the_documents_query_and_valid() -> None:
    schema = build_schema(GRAPHQL_SDL)
    media = operation("graphqlQuery")["requestBody"]["content"]["application/json"]
    request = resolve(OPENAPI, media["examples"]["getUser"])["value"]
    assert parse(request["query"]).to_dict() == parse(DOCUMENT_GRAPHQL_QUERY).to_dict()
    get_query = parameter("graphqlQueryGet", "query")["example"]
    for query in (request["query"], get_query):
        assert validate_graphql(schema, parse(query)) == []


def test_graphql_connection_types() -> None:
    schema = build_schema(GRAPHQL_SDL)
    posts = schema.type_map["User"].fields["posts"]
    assert set(posts.args) >= {"first", "after"}
    connection = schema.type_map["PostConnection"]
    assert {"edges", "pageInfo"} <= set(connection.fields)
    assert {"cursor", "node"} <= set(schema.type_map["PostEdge"].fields)
    assert {"title", "views"} <= set(schema.type_map["Post"].fields)
    assert {"hasNextPage", "endCursor"} <= set(schema.type_map["PageInfo"].fields)


def test_every_local_ref_resolves() -> None:
    for document in (OPENAPI, ASYNCAPI):
        assert_every_ref_is_local_and_resolves(document)


def test_schemas_use_only_schema_keywords() -> None:
    assert keyword_slips(OPENAPI, ASYNCAPI) == []


# --- every documented operation is in the contract ----------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation_id", "public", "statuses"), OPERATIONS,
                         ids=[f"{m.upper()} {p}" for m, p, *_ in OPERATIONS])
def test_operation_is_in_the_contract(method: str, path: str, operation_id: str, public: bool,
                                      statuses: set[str]) -> None:
    assert_operation_documented(OPENAPI, method, path, operation_id, public, statuses)


def test_no_operation_beyond_the_table() -> None:
    documented = {(m, p) for m, p, *_ in OPERATIONS}
    assert {(m, p) for m, p, _ in operations(OPENAPI)} == documented


def test_operation_ids_are_unique_lower_camel_case() -> None:
    ids = operation_ids(OPENAPI)
    assert len(ids) == len(set(ids))
    assert all(is_lower_camel_case(i) for i in ids)


def test_servers_include_production_and_the_mock() -> None:
    urls = [server["url"] for server in OPENAPI["servers"]]
    assert "https://api.example.com" in urls
    assert f"http://localhost:{OPENAPI['x-apitwin']['port']}" in urls
    assert OPENAPI["x-apitwin"]["port"] == 8001
    assert OPENAPI["x-apitwin"]["source"] == "000_7cf2ee08bb3c92b5.txt"


# --- parameters and bounds ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), LIST_PARAMETERS.items())
def test_list_parameter_as_documented(name: str, expected: tuple[str, Any, Any]) -> None:
    kind, default, maximum = expected
    schema = parameter("listUsers", name)["schema"]
    assert schema["type"] == kind
    assert schema.get("default") == default
    assert schema.get("maximum") == maximum


def test_documents_request_line_is_accepted() -> None:
    for name, value in DOCUMENT_QUERY.items():
        assert is_valid(parameter("listUsers", name)["schema"], value), name


@pytest.mark.parametrize(("name", "bad"), [
    ("per_page", 101), ("per_page", 0), ("page", 0),
    ("sort", "password"), ("sort", "--created_at"), ("fields", "id,,email"), ("fields", "password"),
])
def test_list_parameter_rejects(name: str, bad: Any) -> None:
    assert not is_valid(parameter("listUsers", name)["schema"], bad)


@pytest.mark.parametrize("good", ["created_at", "+created_at", "-created_at", "-username"])
def test_sort_syntax(good: str) -> None:
    assert is_valid(parameter("listUsers", "sort")["schema"], good)


def test_list_declarations_match_the_parameters() -> None:
    op = operation("listUsers")
    pagination = op["x-apitwin-pagination"]
    assert pagination["style"] == "page"
    assert pagination["params"] == {"page": "page", "per_page": "per_page"}
    assert pagination["items"] == "data"
    assert set(pagination["meta"]) == {f"meta.{key}" for key in DOCUMENT_LIST_RESPONSE["meta"]}
    assert op["x-apitwin-sort"]["param"] == "sort"
    assert op["x-apitwin-fields"] == "fields"


# --- bodies and responses -------------------------------------------------------------------


def test_documents_list_response_is_a_named_example_and_valid() -> None:
    assert named_example("listUsers", "200", "success") == DOCUMENT_LIST_RESPONSE
    schema = operation("listUsers")["responses"]["200"]["content"]["application/json"]["schema"]
    assert is_valid(schema, DOCUMENT_LIST_RESPONSE)


@pytest.mark.parametrize(("mutation", "why"), [
    (lambda body: body["data"][0].update(id="123"), "id not in usr_ style"),
    (lambda body: body["data"][0].update(email="not-an-email"), "email format"),
    (lambda body: body["data"][0].update(password="secret"), "undocumented field leaks"),
    (lambda body: body.pop("meta"), "meta missing"),
    (lambda body: body["meta"].pop("total_count"), "total_count missing"),
    (lambda body: body["meta"].update(current_page="1"), "page as string"),
])
def test_list_response_schema_catches(mutation: Any, why: str) -> None:
    body = json.loads(json.dumps(DOCUMENT_LIST_RESPONSE))
    mutation(body)
    schema = operation("listUsers")["responses"]["200"]["content"]["application/json"]["schema"]
    assert not is_valid(schema, body), why


def test_token_request_accepts_form_and_json() -> None:
    content = operation("issueToken")["requestBody"]["content"]
    assert set(content) == {"application/x-www-form-urlencoded", "application/json"}
    for media in content.values():
        assert resolve(OPENAPI, media["examples"]["clientCredentials"])["value"] == DOCUMENT_TOKEN_REQUEST
        assert is_valid(media["schema"], DOCUMENT_TOKEN_REQUEST)
        assert not is_valid(media["schema"], {**DOCUMENT_TOKEN_REQUEST, "grant_type": "password"})
        missing = {k: v for k, v in DOCUMENT_TOKEN_REQUEST.items() if k != "client_secret"}
        assert not is_valid(media["schema"], missing)


def test_token_response_carries_the_documents_bearer() -> None:
    assert named_example("issueToken", "200", "issued")["access_token"] == DOCUMENT_BEARER


def test_token_endpoint_errors_are_rfc6749() -> None:
    op = operation("issueToken")
    errors = [status for status in op["responses"] if int(status) >= 400]
    assert {"400", "401"} <= set(errors)
    for status in errors:
        schema = op["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/OAuthError"}, status
    assert op["x-apitwin-errors"]["schema"] == "#/components/schemas/OAuthError"


def test_security_schemes() -> None:
    schemes = OPENAPI["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"


def test_auth_declarations_use_the_documents_credentials() -> None:
    auth = OPENAPI["x-apitwin"]["auth"]
    assert {"client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}.items() <= \
        auth["clients"][0].items()
    assert operation("issueToken")["x-apitwin-auth"] == "client-credentials"
    assert any(t["token"] == DOCUMENT_BEARER for t in auth.get("static_tokens", []))


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), ERROR_CODES.items())
def test_error_code_table(status: str, code: str) -> None:
    assert OPENAPI["x-apitwin"]["errors"]["codes"][status] == code
    for method, path, op in operations(OPENAPI):
        if status not in op["responses"] or "x-apitwin-errors" in op:
            continue
        response = resolve(OPENAPI, op["responses"][status])
        schema = response["content"]["application/json"]["schema"]
        body = {"error": {"code": code, "message": "x"}}
        assert is_valid(schema, body), f"{method} {path} {status}"
        assert not is_valid(schema, {"error": {"code": "SOMETHING_ELSE", "message": "x"}})


def test_every_error_response_takes_the_declared_envelope() -> None:
    for method, path, op, status, response in error_responses(OPENAPI):
        schema = error_schema(response)
        body = declared_error_body(OPENAPI, op, status, {"message": "m", "details": {"field": "x"}})
        assert schema_errors(openapi_validator(OPENAPI, schema), body) == [], \
            f"{method} {path} {status}: {body}"
        assert not is_valid(schema, {"detail": "m"}), f"{method} {path} {status}"


def test_protected_operations_answer_401_and_429_everywhere() -> None:
    for method, path, op in operations(OPENAPI):
        assert "429" in op["responses"], f"{method} {path}"
        if not is_public(OPENAPI, op):
            assert "401" in op["responses"], f"{method} {path}"


def test_too_many_requests_carries_retry_after() -> None:
    response = OPENAPI["components"]["responses"]["TooManyRequests"]
    assert resolve(OPENAPI, response["headers"]["Retry-After"])["required"] is True
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(response["headers"])


# --- WebSocket ----------------------------------------------------------------------------------


def test_channel_address_and_servers() -> None:
    channel = ASYNCAPI["channels"]["ws"]
    assert channel["address"] == "/v1/ws"
    hosts = {(s["host"], s["protocol"]) for s in ASYNCAPI["servers"].values()}
    assert ("api.example.com", "wss") in hosts
    assert ("localhost:8001", "ws") in hosts
    assert channel["x-apitwin-heartbeat"]["interval_seconds"] == 30  # setInterval(..., 30000)
    assert "503" in channel["x-apitwin-handshake-errors"]


def test_what_the_document_leaves_open_is_marked_assumed() -> None:
    """No frame limit is declared (the document states none); the pong, the error frame, the
    idle timeout, the capacity, the error envelope, the GraphQL endpoint and the rate-limit
    headers are the contract's choices, marked so a faithful server is warned, never failed."""
    channel = ASYNCAPI["channels"]["ws"]
    assert "x-apitwin-max-frame-size" not in channel
    assert set(channel["x-apitwin-assumed"]) >= {"heartbeat", "max-connections", "error-message", "error-frame"}
    assert ASYNCAPI["components"]["messages"]["Pong"]["x-apitwin-assumed"]
    assert "x-apitwin-assumed" not in ASYNCAPI["components"]["messages"]["Ping"]  # the document's own frame
    schemas = OPENAPI["components"]["schemas"]
    assert isinstance(schemas["Error"]["x-apitwin-assumed"], str)
    assert all(OPENAPI["paths"]["/graphql"][method]["x-apitwin-assumed"] for method in ("get", "post"))
    assert all(OPENAPI["components"]["headers"][name]["x-apitwin-assumed"] for name in OPENAPI["components"]["headers"])
    per_page = next(p for p in OPENAPI["paths"]["/api/v1/users"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100 and "maximum" not in per_page["schema"]["x-apitwin-assumed"]  # documented


@pytest.mark.parametrize(("direction", "frame", "key"), MESSAGES, ids=[m[2] for m in MESSAGES])
def test_message_is_in_the_contract(direction: str, frame: dict[str, Any], key: str) -> None:
    message = resolve(ASYNCAPI, ASYNCAPI["channels"]["ws"]["messages"][key])
    assert asyncapi_validator(ASYNCAPI, message["payload"]).is_valid(frame)
    action = "receive" if direction == "client" else "send"
    carried = [op for op in ASYNCAPI["operations"].values()
               if op["action"] == action
               and {"$ref": f"#/channels/ws/messages/{key}"} in op["messages"]]
    assert carried, f"no {action} operation carries {key}"


def test_ping_is_answered_with_pong() -> None:
    ping = ASYNCAPI["operations"]["sendPing"]
    assert ping["reply"]["messages"] == [{"$ref": "#/channels/ws/messages/pong"}]
    pong = resolve(ASYNCAPI, ASYNCAPI["channels"]["ws"]["messages"]["pong"])
    assert not asyncapi_validator(ASYNCAPI, pong["payload"]).is_valid({"type": "ping"})


# --- every example is valid -----------------------------------------------------------------

@pytest.mark.parametrize(("where", "schema", "value"), example_cases(openapi_examples(OPENAPI)))
def test_openapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(openapi_validator(OPENAPI, schema), value) == [], where


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(asyncapi_examples(ASYNCAPI)))
def test_asyncapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(asyncapi_validator(ASYNCAPI, schema), value) == [], where


def test_every_json_media_type_has_an_example() -> None:
    for method, path, op in operations(OPENAPI):
        bodies = [resolve(OPENAPI, op.get("requestBody", {}))]
        bodies += [resolve(OPENAPI, r) for s, r in op["responses"].items() if s.startswith("2")]
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                assert media.get("examples"), f"{method} {path} {media_type}"
    for name, message in ASYNCAPI["components"]["messages"].items():
        assert message.get("examples"), name
