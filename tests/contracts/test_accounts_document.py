"""The `accounts` contracts against the document they were written from (seed 003).

The tables below are transcribed from the FastAPI-style "API Reference" (partly in Russian), so
that nothing it shows (an endpoint, a body, an error body, a WebSocket message, the login its
examples send) can go missing from specs/accounts/ unnoticed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from .contract_checks import (
    ROOT, assert_asyncapi_document_valid, assert_every_ref_is_local_and_resolves,
    assert_openapi_document_valid, assert_operation_documented, asyncapi_examples,
    asyncapi_validator, declared_error_body, error_responses, error_schema, example_cases,
    is_lower_camel_case, is_public, keyword_slips, load_document, openapi_examples,
    openapi_validator, operation_by_id, operation_ids, operations, parameter_names, resolve,
    schema_errors,
)
from .contract_checks import is_valid as document_is_valid
from .contract_checks import named_example as document_example
from .contract_checks import parameter as document_parameter

SPEC_DIR = ROOT / "specs" / "accounts"
FORM = "application/x-www-form-urlencoded"
OPENAPI = load_document(SPEC_DIR / "openapi.yaml")
ASYNCAPI = load_document(SPEC_DIR / "asyncapi.yaml")

# --- what the document shows, transcribed ----------------------------------------------------

# (method, path, operationId, public, statuses the contract must document)
OPERATIONS = [
    ("post", "/api/v1/auth/login", "login", True, {"200", "401", "422", "429", "500"}),
    ("post", "/api/v1/auth/register", "register", True, {"200", "400", "422", "429", "500"}),
    ("get", "/api/v1/users/", "listUsers", False, {"200", "401", "422", "429", "500"}),
    ("get", "/api/v1/users/{user_id}", "getUser", False, {"200", "401", "404", "422", "429"}),
    ("put", "/api/v1/users/{user_id}", "updateUser", False,
     {"200", "400", "401", "403", "404", "422", "429"}),
    ("delete", "/api/v1/users/{user_id}", "deleteUser", False,
     {"200", "401", "403", "404", "422", "429"}),
    ("get", "/docs", "getSwaggerUi", True, {"200"}),
    ("get", "/redoc", "getRedoc", True, {"200"}),
    ("get", "/openapi.json", "getOpenApiDocument", True, {"200"}),
]

DOCUMENT_USER = {
    "id": 1,
    "email": "user@example.com",
    "username": "string",
    "full_name": "string",
    "is_active": True,
    "is_superuser": False,
    "created_at": "2024-02-11T00:00:00Z",
    "updated_at": "2024-02-11T00:00:00Z",
}

DOCUMENT_UPDATE = {
    "email": "newemail@example.com",
    "username": "newusername",
    "full_name": "New Name",
    "password": "newpassword",
}

DOCUMENT_REGISTER = {
    "email": "user@example.com",
    "username": "string",
    "password": "string",
    "full_name": "string",
}

# The credentials every example (Python, JavaScript, cURL) logs in with, form-encoded.
DOCUMENT_LOGIN = {"username": "user", "password": "password"}

# The error section: status -> body.
DOCUMENT_ERRORS = {
    "400": {"detail": "Invalid request parameters"},
    "401": {"detail": "Not authenticated"},
    "403": {"detail": "Not enough permissions"},
    "404": {"detail": "Resource not found"},
    "422": {"detail": [{"loc": ["body", "email"], "msg": "value is not a valid email address",
                        "type": "value_error.email"}]},
    "429": {"detail": "Too many requests"},
    "500": {"detail": "Internal server error"},
}

# (direction, frame the document shows, channel message key)
MESSAGES = [
    ("client", {"type": "chat", "message": "Hello!"}, "chat"),
    ("server", {"client_id": "user-123", "message": "Hello!", "type": "echo"}, "echo"),
    ("server", {"type": "message_type", "data": {}, "timestamp": "2024-02-11T00:00:00Z"}, "update"),
]

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


def test_server_and_port_as_documented() -> None:
    assert [server["url"] for server in OPENAPI["servers"]] == ["http://localhost:8000"]
    assert OPENAPI["x-apitwin"]["port"] == 8000
    assert OPENAPI["x-apitwin"]["source"] == "003_e3ea0330e40c2919.txt"


def test_docs_pages_are_html_and_declared() -> None:
    for operation_id, kind in (("getSwaggerUi", "swagger-ui"), ("getRedoc", "redoc")):
        op = operation(operation_id)
        assert op["x-apitwin-docs"] == kind
        assert set(op["responses"]["200"]["content"]) == {"text/html"}


# --- parameters and bounds ------------------------------------------------------------------


def test_skip_and_limit_as_documented() -> None:
    skip = parameter("listUsers", "skip")["schema"]
    limit = parameter("listUsers", "limit")["schema"]
    assert (skip["type"], skip["default"]) == ("integer", 0)
    assert (limit["type"], limit["default"]) == ("integer", 100)
    assert is_valid(skip, 0) and not is_valid(skip, -1)
    assert is_valid(limit, 100) and is_valid(limit, 101) and "maximum" not in limit  # no ceiling in the document
    assert not is_valid(limit, 0) and limit["x-apitwin-assumed"]["minimum"]
    pagination = operation("listUsers")["x-apitwin-pagination"]
    assert pagination == {"style": "offset", "params": {"offset": "skip", "limit": "limit"},
                          "items": ""}


def test_user_id_is_an_integer_path_parameter() -> None:
    for operation_id in ("getUser", "updateUser", "deleteUser"):
        schema = parameter(operation_id, "user_id")["schema"]
        assert is_valid(schema, DOCUMENT_USER["id"])
        assert not is_valid(schema, "user-123") and not is_valid(schema, 0)


# --- bodies and responses -------------------------------------------------------------------


def test_login_accepts_form_and_json() -> None:
    content = operation("login")["requestBody"]["content"]
    assert set(content) == {FORM, "application/json"}
    for media in content.values():
        assert resolve(OPENAPI, media["examples"]["documentExample"])["value"] == DOCUMENT_LOGIN
        assert is_valid(media["schema"], DOCUMENT_LOGIN)
        assert not is_valid(media["schema"], {"username": "user"})
    assert is_valid(content[FORM]["schema"], {**DOCUMENT_LOGIN, "grant_type": "password"})
    assert "form" in operation("login")["description"].lower()


def test_login_and_register_return_a_bearer_token() -> None:
    for operation_id in ("login", "register"):
        schema = operation(operation_id)["responses"]["200"]["content"]["application/json"]["schema"]
        token = named_example(operation_id, "200", "token")
        assert token["token_type"] == "bearer"
        assert is_valid(schema, token)
        assert not is_valid(schema, {**token, "token_type": "mac"})
        assert not is_valid(schema, {"token_type": "bearer"})


def test_register_body_as_documented() -> None:
    media = operation("register")["requestBody"]["content"]["application/json"]
    assert resolve(OPENAPI, media["examples"]["reference"])["value"] == DOCUMENT_REGISTER
    assert is_valid(media["schema"], DOCUMENT_REGISTER)
    for field in ("email", "username", "password"):
        assert not is_valid(media["schema"], {k: v for k, v in DOCUMENT_REGISTER.items() if k != field})
    assert not is_valid(media["schema"], {**DOCUMENT_REGISTER, "email": "not-an-email"})


def test_user_responses_are_the_documents() -> None:
    assert named_example("listUsers", "200", "documentExample") == [DOCUMENT_USER]
    assert named_example("getUser", "200", "documentExample") == DOCUMENT_USER
    updated = named_example("updateUser", "200", "documentExample")
    assert {k: updated[k] for k in ("email", "username", "full_name")} == \
        {k: DOCUMENT_UPDATE[k] for k in ("email", "username", "full_name")}
    assert named_example("deleteUser", "200", "deleted") == {"message": "User deleted successfully"}


@pytest.mark.parametrize(("mutation", "why"), [
    (lambda user: user.update(id="1"), "id as string"),
    (lambda user: user.update(hashed_password="$2b$12$abc"), "password hash leaks"),
    (lambda user: user.update(password="password"), "password leaks"),
    (lambda user: user.pop("is_active"), "is_active missing"),
    (lambda user: user.update(email="nope"), "email format"),
    (lambda user: user.update(created_at="yesterday"), "date-time format"),
])
def test_user_schema_catches(mutation: Any, why: str) -> None:
    user = dict(DOCUMENT_USER)
    mutation(user)
    assert not is_valid({"$ref": "#/components/schemas/User"}, user), why


def test_update_body_as_documented() -> None:
    media = operation("updateUser")["requestBody"]["content"]["application/json"]
    assert resolve(OPENAPI, media["examples"]["documentExample"])["value"] == DOCUMENT_UPDATE
    assert is_valid(media["schema"], DOCUMENT_UPDATE)
    assert is_valid(media["schema"], {"full_name": "Only This"})
    assert not is_valid(media["schema"], {"email": "not-an-email"})


def test_links_chain_read_update_delete() -> None:
    links = {
        operation_id: {link["operationId"] for link in
                       operation(operation_id)["responses"]["200"].get("links", {}).values()}
        for operation_id in ("listUsers", "getUser", "updateUser", "deleteUser")
    }
    assert "getUser" in links["listUsers"]
    assert {"updateUser", "deleteUser"} <= links["getUser"]
    assert "getUser" in links["updateUser"]
    assert "getUser" in links["deleteUser"]
    for operation_id in ("listUsers", "getUser", "updateUser", "deleteUser"):
        for link in operation(operation_id)["responses"]["200"].get("links", {}).values():
            target = operation(link["operationId"])
            assert set(link["parameters"]) <= parameter_names(OPENAPI, target)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "body"), DOCUMENT_ERRORS.items())
def test_documented_error_bodies(status: str, body: Any) -> None:
    response = resolve(OPENAPI, OPENAPI["components"]["responses"][{
        "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
        "422": "ValidationError", "429": "TooManyRequests", "500": "InternalError"}[status]])
    media = response["content"]["application/json"]
    assert resolve(OPENAPI, media["examples"]["documentExample"])["value"] == body
    assert is_valid(media["schema"], body)


def test_validation_error_is_the_fastapi_list_form() -> None:
    schema = {"$ref": "#/components/schemas/ValidationError"}
    assert not is_valid(schema, {"detail": "Invalid request parameters"})
    assert not is_valid(schema, {"detail": [{"loc": ["body"], "msg": "x"}]})
    assert not is_valid({"$ref": "#/components/schemas/Error"}, DOCUMENT_ERRORS["422"])
    errors = OPENAPI["x-apitwin"]["errors"]
    assert errors["validation_status"] == 422
    assert errors["validation_body"] == {"detail": "{errors}"}
    assert errors["body"] == {"detail": "{message}"}


def test_every_error_response_uses_a_fastapi_body() -> None:
    for method, path, _, status, response in error_responses(OPENAPI):
        expected = "ValidationError" if status == "422" else "Error"
        assert error_schema(response) == {"$ref": f"#/components/schemas/{expected}"}, \
            f"{method} {path} {status}"


def test_every_error_response_takes_the_declared_envelope() -> None:
    values = {"message": "m", "details": {},
              "errors": [{"loc": ["query", "limit"], "msg": "m", "type": "less_than_equal"}]}
    for method, path, op, status, response in error_responses(OPENAPI):
        body = declared_error_body(OPENAPI, op, status, values)
        assert is_valid(error_schema(response), body), f"{method} {path} {status}: {body}"


def test_protected_operations_answer_401_and_every_one_429() -> None:
    for method, path, op in operations(OPENAPI):
        assert "429" in op["responses"], f"{method} {path}"
        if not is_public(OPENAPI, op):
            assert "401" in op["responses"], f"{method} {path}"
        if "{" in path:
            assert "404" in op["responses"], f"{method} {path}"
        if "requestBody" in op:
            assert "422" in op["responses"], f"{method} {path}"


def test_too_many_requests_carries_retry_after() -> None:
    response = OPENAPI["components"]["responses"]["TooManyRequests"]
    assert resolve(OPENAPI, response["headers"]["Retry-After"])["required"] is True


def test_rate_limits_as_documented() -> None:
    api, general = OPENAPI["x-apitwin"]["rate_limits"]
    api_operations = {op["operationId"] for _, path, op in operations(OPENAPI) if path.startswith("/api/")}
    assert set(api["operations"]) == api_operations
    assert (api["limit"], api["window"], api["burst"]) == (10, 1, 20)
    assert (general["limit"], general["window"], general["burst"]) == (30, 1, 20)
    assert "operations" not in general


# --- auth ---------------------------------------------------------------------------------------


def test_auth_declarations_use_the_documents_credentials() -> None:
    users = OPENAPI["x-apitwin"]["auth"]["users"]
    assert {"username": "user", "password": "password"}.items() <= users[0].items()
    assert operation("login")["x-apitwin-auth"] == "login"
    assert operation("register")["x-apitwin-auth"] == "register"
    scheme = OPENAPI["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


# --- WebSocket ----------------------------------------------------------------------------------


def test_channel_address_as_documented() -> None:
    channel = ASYNCAPI["channels"]["clientSocket"]
    assert channel["address"] == "/api/v1/ws/{client_id}"
    assert "user-123" in channel["parameters"]["client_id"]["examples"]
    assert [(s["host"], s["protocol"]) for s in ASYNCAPI["servers"].values()] == [("localhost:8000", "ws")]
    assert "503" in channel["x-apitwin-handshake-errors"]


def test_what_the_document_leaves_open_is_marked_assumed() -> None:
    """The document states no frame limit (so none is declared: FastAPI has none), no heartbeat,
    capacity or error frame, and no event behind its "real-time updates": the contract's choices
    there are marked, so a faithful server is warned, never failed, on them."""
    channel = ASYNCAPI["channels"]["clientSocket"]
    assert "x-apitwin-max-frame-size" not in channel
    assert set(channel["x-apitwin-assumed"]) >= {"heartbeat", "max-connections", "handshake-errors", "error-message", "error-frame"}
    for name in ("pushUpdate", "sendError"):
        assert ASYNCAPI["operations"][name]["x-apitwin-assumed"]
    assert ASYNCAPI["components"]["messages"]["Error"]["x-apitwin-assumed"]
    assert "sendChat" in ASYNCAPI["operations"] and "x-apitwin-assumed" not in ASYNCAPI["operations"]["sendChat"]


@pytest.mark.parametrize(("direction", "frame", "key"), MESSAGES, ids=[m[2] for m in MESSAGES])
def test_message_is_in_the_contract(direction: str, frame: dict[str, Any], key: str) -> None:
    message = resolve(ASYNCAPI, ASYNCAPI["channels"]["clientSocket"]["messages"][key])
    assert asyncapi_validator(ASYNCAPI, message["payload"]).is_valid(frame)
    assert frame in [example["payload"] for example in message["examples"]]
    ref = {"$ref": f"#/channels/clientSocket/messages/{key}"}
    action = "receive" if direction == "client" else "send"
    carried = [op for op in ASYNCAPI["operations"].values()
               if (op["action"] == action and ref in op["messages"])
               or (direction == "server" and ref in op.get("reply", {}).get("messages", []))]
    assert carried, f"no operation carries {key} from the {direction}"


def test_chat_is_answered_with_echo() -> None:
    chat = ASYNCAPI["operations"]["sendChat"]
    assert chat["reply"]["messages"] == [{"$ref": "#/channels/clientSocket/messages/echo"}]
    echo = resolve(ASYNCAPI, ASYNCAPI["components"]["messages"]["Echo"])
    assert not asyncapi_validator(ASYNCAPI, echo["payload"]).is_valid({"type": "echo", "message": "Hello!"})


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
                if media_type == "text/html" or path == "/openapi.json":
                    continue
                assert media.get("examples"), f"{method} {path} {media_type}"
    for name, message in ASYNCAPI["components"]["messages"].items():
        assert message.get("examples"), name
