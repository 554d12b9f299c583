"""The `messaging` contracts against the document they were written from (seed 002).

The tables below are transcribed from the document, so that nothing it shows (an endpoint, a
WebSocket event, an example, a bound, an error code) can go missing from
`specs/messaging/openapi.yaml` or `specs/messaging/asyncapi.yaml` unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import partial
from typing import Any

import pytest

from .contract_checks import (
    ROOT, assert_asyncapi_document_valid, assert_every_ref_is_local_and_resolves,
    assert_openapi_document_valid, asyncapi_examples, asyncapi_operations, asyncapi_validator,
    error_responses, error_schema, example_cases, is_lower_camel_case, is_public, keyword_slips,
    load_document, message_keys, named_examples, openapi_examples, openapi_validator, operation_at,
    operation_ids, operations, resolve, schema_errors,
)
from .contract_checks import component as document_component

SPEC_DIR = ROOT / "specs" / "messaging"
OPENAPI = load_document(SPEC_DIR / "openapi.yaml")
ASYNCAPI = load_document(SPEC_DIR / "asyncapi.yaml")

# (method, path, operationId, public, statuses the contract must document, shown by the document)
OPERATIONS = [
    ("post", "/api/auth/login", "login", True, {"200", "401", "422", "429"}, True),
    ("post", "/api/auth/refresh", "refreshToken", True, {"200", "401", "422", "429"}, True),
    ("post", "/api/users", "createUser", True, {"201", "409", "422", "429"}, True),
    ("get", "/api/users/{user_id}", "getUser", False, {"200", "401", "404", "429"}, True),
    ("patch", "/api/users/{user_id}", "updateUser", False, {"200", "401", "403", "404", "422", "429"}, True),
    ("post", "/api/messages", "sendMessage", False, {"201", "401", "422", "429"}, True),
    ("get", "/api/messages", "listMessages", False, {"200", "401", "422", "429"}, True),
    ("post", "/api/groups", "createGroup", False, {"201", "401", "422", "429"}, True),
    ("post", "/api/webhooks", "createWebhook", False, {"201", "401", "422", "429"}, True),
    # filled in next to what the document shows, so groups and webhooks have a whole life
    ("get", "/api/groups", "listGroups", False, {"200", "401", "422", "429"}, False),
    ("get", "/api/groups/{group_id}", "getGroup", False, {"200", "401", "404", "429"}, False),
    ("patch", "/api/groups/{group_id}", "updateGroup", False, {"200", "401", "403", "404", "422", "429"}, False),
    ("delete", "/api/groups/{group_id}", "deleteGroup", False, {"204", "401", "403", "404", "429"}, False),
    ("get", "/api/webhooks", "listWebhooks", False, {"200", "401", "422", "429"}, False),
    ("get", "/api/webhooks/{webhook_id}", "getWebhook", False, {"200", "401", "404", "429"}, False),
    ("delete", "/api/webhooks/{webhook_id}", "deleteWebhook", False, {"204", "401", "404", "429"}, False),
]

# (action from the server's side or 'reply', frame type, fields of `data` the document shows, message key)
MESSAGES = [
    ("send", "message", {"id", "sender_id", "content", "type", "created_at"}, "MessageEvent"),
    ("send", "typing", {"user_id", "conversation_id", "is_typing"}, "TypingEvent"),
    ("send", "presence", {"user_id", "status", "last_seen"}, "PresenceEvent"),
    ("receive", "typing", {"conversation_id", "is_typing"}, "ClientTyping"),
    ("receive", "presence", {"status"}, "ClientPresence"),
    ("receive", "ping", set(), "Ping"),
    ("reply", "pong", set(), "Pong"),
]

# The document's examples, by the name the contract gives them, where it shows them verbatim.
VERBATIM_EXAMPLES = [
    ("post", "/api/auth/login", "request", "login",
     {"email": "user@example.com", "password": "secure_password"}),
    ("post", "/api/users", "request", "register",
     {"email": "user@example.com", "password": "secure_password", "username": "username",
      "display_name": "Display Name"}),
    ("post", "/api/users", "201", "registered",
     {"id": "123e4567-e89b-12d3-a456-426614174000", "email": "user@example.com",
      "username": "username", "display_name": "Display Name", "created_at": "2024-03-20T12:00:00Z"}),
    ("get", "/api/users/{user_id}", "200", "profile",
     {"id": "123e4567-e89b-12d3-a456-426614174000", "username": "username",
      "display_name": "Display Name", "status": "online", "last_seen": "2024-03-20T12:00:00Z",
      "profile": {"bio": "User bio", "avatar_url": "https://example.com/avatars/user.jpg",
                  "location": "City, Country"}}),
    ("patch", "/api/users/{user_id}", "request", "update",
     {"display_name": "New Display Name", "bio": "Updated bio", "location": "New City, Country"}),
    ("post", "/api/webhooks", "request", "register",
     {"url": "https://your-server.com/webhook", "events": ["message.created", "user.updated"],
      "secret": "webhook_secret"}),
]

# The document's examples where it wrote placeholders for ids: the fields that are not ids.
PLACEHOLDER_EXAMPLES = [
    ("post", "/api/auth/login", "200", "tokens", {"expires_in": 3600, "token_type": "Bearer"}),
    ("post", "/api/messages", "request", "send", {"content": "Hello, world!", "type": "text"}),
    ("post", "/api/messages", "201", "sent",
     {"content": "Hello, world!", "type": "text", "status": "sent", "created_at": "2024-03-20T12:00:00Z"}),
    ("get", "/api/messages", "200", "page", {"has_more": True}),
    ("post", "/api/groups", "request", "create",
     {"name": "Group Name", "description": "Group description",
      "settings": {"is_private": False, "allow_invites": True, "message_retention_days": 30}}),
    ("post", "/api/groups", "201", "created",
     {"name": "Group Name", "description": "Group description", "created_at": "2024-03-20T12:00:00Z",
      "settings": {"is_private": False, "allow_invites": True, "message_retention_days": 30}}),
]

# The document's error examples: (code, message, details).
DOCUMENT_ERRORS = [
    ("unauthorized", "Invalid or expired token", {"token_expired": True}),
    ("validation_error", "Invalid request data", {"field": "email", "reason": "Invalid email format"}),
    ("rate_limit_exceeded", "Too many requests", {"retry_after": 60}),
]

# The statuses every real API has, with the lower-case codes in the document's style.
FILLED_IN_CODES = {
    "400": "bad_request", "403": "forbidden", "404": "not_found", "405": "method_not_allowed",
    "409": "conflict", "413": "payload_too_large", "415": "unsupported_media_type",
    "500": "internal_error",
}

MESSAGE_ID = "5f0c1e2d-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
USER_ID = "123e4567-e89b-12d3-a456-426614174000"


operation = partial(operation_at, OPENAPI)
component = partial(document_component, OPENAPI)


def media_examples(method: str, path: str, where: str) -> dict[str, Any]:
    """The named examples of an operation's request body ('request') or of one response."""
    return named_examples(OPENAPI, operation(method, path), where)


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


# --- every operation the document shows ------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation_id", "public", "statuses", "shown"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, *_ in OPERATIONS])
def test_operation_is_in_the_contract(method: str, path: str, operation_id: str, public: bool,
                                      statuses: set[str], shown: bool) -> None:
    op = operation(method, path)
    assert op["operationId"] == operation_id
    assert op.get("tags")
    assert is_public(OPENAPI, op) is public
    documented = set(op["responses"])
    assert statuses <= documented, statuses - documented
    if not public:
        assert "401" in documented
    if not shown:
        assert "filled in" in op["description"].lower(), "a filled-in operation says so"


def test_no_operation_beyond_the_table() -> None:
    listed = {(m, p) for m, p, *_ in OPERATIONS}
    assert {(m, p) for m, p, _ in operations(OPENAPI)} == listed


def test_paths_follow_the_documents_examples_not_v1() -> None:
    assert all(path.startswith("/api/") for path in OPENAPI["paths"])
    assert "/v1" in OPENAPI["info"]["description"], "the versioning choice is written down"
    urls = [server["url"] for server in OPENAPI["servers"]]
    assert "http://localhost:8002" in urls
    assert "https://api.example.com" in urls


def test_operation_ids_are_unique_lower_camel_case() -> None:
    ids = operation_ids(OPENAPI)
    assert len(ids) == len(set(ids))
    assert all(is_lower_camel_case(i) for i in ids)


# --- errors, rate limits, pagination ---------------------------------------------------------


def test_every_error_response_uses_the_error_envelope() -> None:
    for method, path, _, status, response in error_responses(OPENAPI):
        assert error_schema(response) == {"$ref": "#/components/schemas/Error"}, (method, path, status)


@pytest.mark.parametrize(("code", "message", "details"), DOCUMENT_ERRORS, ids=[c for c, *_ in DOCUMENT_ERRORS])
def test_documents_error_examples_are_in_the_contract(code: str, message: str, details: dict) -> None:
    body = {"error": {"code": code, "message": message, "details": details}}
    named = [resolve(OPENAPI, example)["value"]
             for response in OPENAPI["components"]["responses"].values()
             for example in response["content"]["application/json"]["examples"].values()]
    assert body in named
    assert component("Error").is_valid(body)
    frames = [example["payload"] for example in ASYNCAPI["components"]["messages"]["Error"]["examples"]]
    assert body in frames


def test_error_codes_are_lower_case_and_declared() -> None:
    declared = OPENAPI["x-apitwin"]["errors"]["codes"]
    assert declared["401"] == "unauthorized"
    assert declared["422"] == "validation_error"
    assert declared["429"] == "rate_limit_exceeded"
    for status, code in FILLED_IN_CODES.items():
        assert declared[status] == code
    enum = OPENAPI["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(declared.values()) <= set(enum)
    assert all(code == code.lower() for code in enum)
    assert not component("Error").is_valid({"error": {"code": "UNAUTHORIZED", "message": "x"}})
    assert not component("Error").is_valid({"detail": "Not authenticated"})
    assert OPENAPI["x-apitwin"]["errors"]["schema"] == "#/components/schemas/Error"
    assert OPENAPI["x-apitwin"]["errors"]["validation_status"] == 422


def test_rate_limits_are_the_documents() -> None:
    rules = {rule["name"]: rule for rule in OPENAPI["x-apitwin"]["rate_limits"]}
    assert rules["auth"]["limit"] == 5 and rules["auth"]["window"] == 60
    assert set(rules["auth"]["operations"]) == {"login", "refreshToken"}
    assert rules["api"]["limit"] == 100 and rules["api"]["window"] == 60
    assert "operations" not in rules["api"]
    assert ASYNCAPI["channels"]["ws"]["x-apitwin-connection-rate-limit"] == {"limit": 10, "window": 60}


def test_every_response_carries_rate_limit_headers_and_429_retry_after() -> None:
    rate_headers = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
    for method, path, op in operations(OPENAPI):
        assert "429" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            headers = set(resolve(OPENAPI, response).get("headers", {}))
            assert rate_headers <= headers, (method, path, status)
    too_many = OPENAPI["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]
    assert OPENAPI["components"]["headers"]["X-RateLimit-Reset"]["example"] == 1619123456


def test_item_paths_answer_404_and_bodies_422() -> None:
    for method, path, op in operations(OPENAPI):
        if "{" in path:
            assert "404" in op["responses"], (method, path)
        if "requestBody" in op:
            assert "422" in op["responses"] and "400" in op["responses"], (method, path)


LIST_OPERATIONS = [("/api/messages", "messages"), ("/api/groups", "groups"), ("/api/webhooks", "webhooks")]


@pytest.mark.parametrize(("path", "items"), LIST_OPERATIONS, ids=[p for p, _ in LIST_OPERATIONS])
def test_cursor_pagination(path: str, items: str) -> None:
    op = operation("get", path)
    params = {resolve(OPENAPI, p)["name"]: resolve(OPENAPI, p) for p in op["parameters"]}
    limit = params["limit"]["schema"]
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (50, 1, 100)
    assert params["before"]["schema"]["format"] == "uuid"
    assert params["after"]["schema"]["format"] == "uuid"
    declared = op["x-apitwin-pagination"]
    assert declared["style"] == "cursor"
    assert declared["params"] == {"limit": "limit", "before": "before", "after": "after"}
    assert declared["items"] == items
    assert declared["meta"] == {"has_more": "has_more", "next_cursor": "next_cursor"}
    headers = op["responses"]["200"]["headers"]
    for header in ("X-Pagination-Total", "X-Pagination-Pages", "X-Pagination-Current-Page", "X-Pagination-Per-Page"):
        assert header in headers and header in declared["headers"]
    validator = openapi_validator(OPENAPI, limit)
    assert validator.is_valid(100) and not validator.is_valid(101) and not validator.is_valid(0)


def test_message_filters_are_the_documents() -> None:
    op = operation("get", "/api/messages")
    params = {resolve(OPENAPI, p)["name"]: resolve(OPENAPI, p) for p in op["parameters"]}
    assert {"conversation_id", "limit", "before", "after", "status", "type", "from", "to"} == set(params)
    # the document's filter example: ?status=delivered&type=text&from=2024-03-01&to=2024-03-20
    for name, value in {"status": "delivered", "type": "text", "from": "2024-03-01", "to": "2024-03-20"}.items():
        assert openapi_validator(OPENAPI, params[name]["schema"]).is_valid(value), name
    assert openapi_validator(OPENAPI, params["from"]["schema"]).is_valid("2024-03-01T00:00:00Z")
    assert not openapi_validator(OPENAPI, params["from"]["schema"]).is_valid("yesterday")
    filters = op["x-apitwin-filters"]
    assert filters["from"] == {"field": "created_at", "op": "gte"}
    assert filters["to"] == {"field": "created_at", "op": "lte"}
    assert {"status", "type", "conversation_id"} <= set(filters)


# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "where", "name", "value"), VERBATIM_EXAMPLES,
                         ids=[f"{m} {p} {w} {n}" for m, p, w, n, _ in VERBATIM_EXAMPLES])
def test_documents_example_is_named_verbatim(method: str, path: str, where: str, name: str, value: Any) -> None:
    assert media_examples(method, path, where)[name] == value


@pytest.mark.parametrize(("method", "path", "where", "name", "fields"), PLACEHOLDER_EXAMPLES,
                         ids=[f"{m} {p} {w} {n}" for m, p, w, n, _ in PLACEHOLDER_EXAMPLES])
def test_documents_example_is_named_with_uuids_for_placeholders(method: str, path: str, where: str,
                                                                name: str, fields: dict[str, Any]) -> None:
    example = media_examples(method, path, where)[name]
    assert {key: example[key] for key in fields} == fields


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(openapi_examples(OPENAPI)))
def test_openapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(openapi_validator(OPENAPI, schema), value) == [], where


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(asyncapi_examples(ASYNCAPI)))
def test_asyncapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(asyncapi_validator(ASYNCAPI, schema), value) == [], where


def test_every_component_header_has_an_example() -> None:
    for name, header in OPENAPI["components"]["headers"].items():
        assert "example" in header, name


def test_every_json_body_and_message_has_an_example() -> None:
    shown = {(m, p) for m, p, *_, documented in OPERATIONS if documented}
    for method, path, op in operations(OPENAPI):
        if "requestBody" in op:
            assert resolve(OPENAPI, op["requestBody"])["content"]["application/json"].get("examples"), (method, path)
        for status, response in op["responses"].items():
            content = resolve(OPENAPI, response).get("content", {})
            if (method, path) in shown or int(status) >= 400:
                for media in content.values():
                    assert media.get("examples"), (method, path, status)
    for name, message in ASYNCAPI["components"]["messages"].items():
        assert message.get("examples"), name


# --- schemas are tight enough to catch a backend's mistakes -----------------------------------


SCHEMA_CASES = [
    ("RegisteredUser", {"id": USER_ID, "email": "user@example.com", "username": "username",
                        "display_name": "Display Name", "created_at": "2024-03-20T12:00:00Z",
                        "password": "secure_password"}),  # a leaked password
    ("RegisteredUser", {"id": "42", "email": "user@example.com", "username": "username",
                        "display_name": "Display Name", "created_at": "2024-03-20T12:00:00Z"}),
    ("User", {"id": USER_ID, "username": "username", "display_name": "D", "status": "sleeping",
              "profile": {}}),
    ("Message", {"id": MESSAGE_ID, "sender_id": USER_ID, "content": "Hi", "type": "text",
                 "status": "sent"}),  # no created_at
    ("MessagePage", {"messages": [], "next_cursor": None}),  # no has_more
    ("MessageCreate", {"receiver_id": USER_ID}),  # no content
    ("MessageCreate", {"receiver_id": USER_ID, "content": ""}),
    ("MessageCreate", {"content": "to nobody"}),
    ("MessageCreate", {"receiver_id": USER_ID, "group_id": MESSAGE_ID, "content": "to both"}),
    ("RegisterRequest", {"email": "not-an-email", "password": "secure_password", "username": "username"}),
    ("RegisterRequest", {"email": "user@example.com", "password": "short", "username": "username"}),
    ("TokenPair", {"access_token": "opaque", "refresh_token": "r", "expires_in": 3600, "token_type": "Bearer"}),
    ("TokenPair", {"access_token": "a.b.c", "refresh_token": "r", "expires_in": 3600, "token_type": "bearer"}),
    ("GroupCreate", {"description": "no name"}),
    ("GroupSettings", {"message_retention_days": 0}),
    ("WebhookCreate", {"url": "https://your-server.com/webhook", "events": ["message.deleted"], "secret": "s"}),
    ("WebhookCreate", {"url": "https://your-server.com/webhook", "events": [], "secret": "s"}),
    ("Webhook", {"id": USER_ID, "url": "https://x.example/h", "events": ["user.updated"],
                 "created_at": "2024-03-20T12:00:00Z", "secret": "webhook_secret"}),  # a leaked secret
    ("Signature", "sha256=..."),
    ("UserUpdate", {}),
]


@pytest.mark.parametrize(("schema", "bad"), SCHEMA_CASES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(SCHEMA_CASES)])
def test_schema_rejects_a_backend_mistake(schema: str, bad: Any) -> None:
    assert not component(schema).is_valid(bad)


def test_ids_are_uuids() -> None:
    id_schema = OPENAPI["components"]["schemas"]["Id"]
    assert id_schema == {**id_schema, "type": "string", "format": "uuid"}
    for name in ("UserId", "GroupId", "WebhookId"):
        assert OPENAPI["components"]["parameters"][name]["schema"]["format"] == "uuid"


# --- auth, links, webhooks -------------------------------------------------------------------


def test_auth_declarations_use_the_documents_credentials() -> None:
    declared = OPENAPI["x-apitwin"]
    assert declared["port"] == 8002
    assert declared["source"] == "002_e3d943e4ca91b507.txt"
    user = declared["auth"]["users"][0]
    assert (user["email"], user["password"]) == ("user@example.com", "secure_password")
    assert user["id"] == USER_ID and user["username"] == "username"
    assert declared["auth"]["access_ttl"] == 3600
    assert declared["auth"]["rotate_refresh"] is True
    actions = {op["operationId"]: op.get("x-apitwin-auth") for _, _, op in operations(OPENAPI)}
    assert (actions["login"], actions["refreshToken"], actions["createUser"]) == ("login", "refresh", "register")
    scheme = OPENAPI["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_events_are_declared_where_they_happen() -> None:
    assert operation("post", "/api/messages")["x-apitwin-events"] == ["message.created"]
    assert operation("patch", "/api/users/{user_id}")["x-apitwin-events"] == ["user.updated"]


LINKS = [
    ("post", "/api/users", "201", {"getUser", "updateUser"}),
    ("post", "/api/groups", "201", {"getGroup", "updateGroup", "deleteGroup"}),
    ("post", "/api/webhooks", "201", {"getWebhook", "deleteWebhook"}),
]


@pytest.mark.parametrize(("method", "path", "status", "targets"), LINKS, ids=[p for _, p, _, _ in LINKS])
def test_create_links_to_read_update_delete(method: str, path: str, status: str, targets: set[str]) -> None:
    links = operation(method, path)["responses"][status]["links"]
    assert {link["operationId"] for link in links.values()} >= targets
    by_id = {op["operationId"]: (p, op) for _, p, op in operations(OPENAPI)}
    for link in links.values():
        target_path, _ = by_id[link["operationId"]]
        for name, expression in link["parameters"].items():
            assert f"{{{name}}}" in target_path or name == "conversation_id"
            field = expression.removeprefix("$response.body#/")
            schema = resolve(OPENAPI, operation(method, path)["responses"][status]["content"]["application/json"]["schema"])
            assert field in schema["properties"], (link["operationId"], field)


WEBHOOK_EVENTS = [("messageCreated", "message.created", {"message_id", "sender_id", "content"}),
                  ("userUpdated", "user.updated", {"user_id"})]


@pytest.mark.parametrize(("key", "event", "fields"), WEBHOOK_EVENTS, ids=[e for _, e, _ in WEBHOOK_EVENTS])
def test_webhook_deliveries(key: str, event: str, fields: set[str]) -> None:
    delivery = OPENAPI["webhooks"][key]["post"]
    schema = resolve(OPENAPI, delivery["requestBody"]["content"]["application/json"]["schema"])
    assert schema["properties"]["event"] == {"const": event}
    assert {"event", "timestamp", "data", "signature"} <= set(schema["required"])
    assert fields <= set(schema["properties"]["data"]["required"])
    header = resolve(OPENAPI, delivery["parameters"][0])
    assert (header["in"], header["required"]) == ("header", True)
    signature = component("Signature")
    assert signature.is_valid("sha256=" + "0" * 64) and not signature.is_valid("sha1=" + "0" * 40)
    events = OPENAPI["components"]["schemas"]["WebhookEventName"]["enum"]
    assert event in events
    assert event in OPENAPI["x-apitwin"]["webhooks"]["events"]


@pytest.mark.parametrize(("key", "event", "fields"), WEBHOOK_EVENTS, ids=[e for _, e, _ in WEBHOOK_EVENTS])
def test_webhook_examples_are_signed_with_the_documents_secret(key: str, event: str, fields: set[str]) -> None:
    secret = media_examples("post", "/api/webhooks", "request")["register"]["secret"]
    media = OPENAPI["webhooks"][key]["post"]["requestBody"]["content"]["application/json"]
    for example in media["examples"].values():
        payload = dict(example["value"])
        signature = payload.pop("signature")
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_declaration() -> None:
    declared = OPENAPI["x-apitwin"]["webhooks"]
    assert declared["registration"] == "createWebhook"
    assert declared["signature"]["prefix"] == "sha256="
    assert declared["signature"]["algorithm"] == "hmac-sha256"
    assert declared["signature"]["secret_field"] in OPENAPI["components"]["schemas"]["WebhookCreate"]["properties"]


# --- WebSocket ------------------------------------------------------------------------------


def operations_for(action: str) -> list[dict[str, Any]]:
    """Operations of one action; 'reply' gives the replies of the operations that have one."""
    if action == "reply":
        return [op["reply"] for op in ASYNCAPI["operations"].values() if "reply" in op]
    return list(asyncapi_operations(ASYNCAPI, action).values())


def test_every_operation_and_reply_names_its_messages() -> None:
    for name, op in ASYNCAPI["operations"].items():
        assert op.get("messages"), name
        if "reply" in op:
            assert op["reply"].get("messages"), name


@pytest.mark.parametrize(("action", "frame_type", "fields", "key"), MESSAGES,
                         ids=[f"{a}-{t}-{k}" for a, t, _, k in MESSAGES])
def test_message_is_in_the_contract(action: str, frame_type: str, fields: set[str], key: str) -> None:
    assert any(key in message_keys(op) for op in operations_for(action)), (action, key)
    assert key in ASYNCAPI["channels"]["ws"]["messages"]
    payload = resolve(ASYNCAPI, ASYNCAPI["components"]["messages"][key]["payload"])
    assert payload["properties"]["type"] == {"const": frame_type}
    if fields:
        data = payload["properties"]["data"]
        assert fields <= set(data["properties"])
        assert set(data.get("required", [])) <= fields | {"id"}


def test_error_frames_are_the_documents_envelope() -> None:
    error = ASYNCAPI["components"]["messages"]["Error"]
    assert any("Error" in message_keys(op) for op in operations_for("send"))
    validator = asyncapi_validator(ASYNCAPI, error["payload"])
    assert validator.is_valid({"error": {"code": "validation_error", "message": "Invalid request data"}})
    assert not validator.is_valid({"type": "error", "message": "bad"})
    assert ASYNCAPI["channels"]["ws"]["x-apitwin-error-message"] == "Error"


def test_message_events_follow_the_http_side() -> None:
    send = ASYNCAPI["operations"]["sendMessageEvent"]
    assert send["x-apitwin-events"] == ["message.created"]
    assert OPENAPI["paths"]["/api/messages"]["post"]["x-apitwin-events"] == ["message.created"]
    message = OPENAPI["components"]["schemas"]["Message"]["properties"]
    assert set(send["x-apitwin-deliver"].values()) <= set(message)
    frame = ASYNCAPI["components"]["schemas"]["MessageEventFrame"]["properties"]["data"]["properties"]
    assert set(frame) <= set(message)


def test_typing_is_relayed_to_the_conversation() -> None:
    relay = ASYNCAPI["operations"]["onTyping"]["x-apitwin-effect"]["relay"]
    assert relay["conversation"] == "data.conversation_id"
    assert relay["message"] == "TypingEvent"
    presence = ASYNCAPI["operations"]["sendPresenceEvent"]
    assert set(presence["x-apitwin-trigger"]) == {"connect", "disconnect"}


def test_ping_is_answered_with_pong() -> None:
    op = ASYNCAPI["operations"]["onPing"]
    assert message_keys(op) == {"Ping"}
    assert {ref["$ref"].rsplit("/", 1)[-1] for ref in op["reply"]["messages"]} == {"Pong"}


def test_channel_address_token_and_limits() -> None:
    channel = ASYNCAPI["channels"]["ws"]
    assert channel["address"] == "/ws"
    assert channel["bindings"]["ws"]["query"]["required"] == ["token"]
    scheme = ASYNCAPI["components"]["securitySchemes"]["tokenQuery"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("httpApiKey", "query", "token")
    assert ASYNCAPI["servers"]["production"]["host"] == "api.example.com"
    assert ASYNCAPI["servers"]["production"]["protocol"] == "wss"
    assert ASYNCAPI["servers"]["local"]["host"] == "localhost:8002"
    assert channel["x-apitwin-heartbeat"] == {"interval_seconds": 30, "timeout_seconds": 60}
    assert "x-apitwin-max-frame-size" not in channel  # the document states no frame limit
    assert channel["x-apitwin-max-connections"] == 10000


def test_what_the_document_leaves_open_is_marked_assumed() -> None:
    """Statuses (the document gives none), filled-in operations, client frames and heartbeat,
    the error frame for invalid frames and invented bounds are marked, never failing a faithful
    server; the document's own events, pagination bound and rate limits are not."""
    channel = ASYNCAPI["channels"]["ws"]
    assert set(channel["x-apitwin-assumed"]) >= {"heartbeat", "max-connections", "error-message"}
    operations = ASYNCAPI["operations"]
    assert all(operations[name]["x-apitwin-assumed"] for name in ("onTyping", "onPresence", "onPing"))
    assert "x-apitwin-assumed" not in operations["sendMessageEvent"]
    ops = {op["operationId"]: op for item in OPENAPI["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert all(isinstance(ops[name].get("x-apitwin-assumed"), str) for name in ("listGroups", "getGroup", "deleteWebhook"))
    assert "x-apitwin-assumed" not in ops["sendMessage"] and ops["sendMessage"]["responses"]["201"]["x-apitwin-assumed"]
    limit = OPENAPI["components"]["parameters"]["Limit"]["schema"]
    assert limit["maximum"] == 100 and "maximum" not in limit["x-apitwin-assumed"]  # "max: 100" is the document's


@pytest.mark.parametrize(("status", "code"), [("401", "unauthorized"), ("429", "rate_limit_exceeded"),
                                              ("503", "service_unavailable")])
def test_handshake_refusals(status: str, code: str) -> None:
    schema = ASYNCAPI["channels"]["ws"]["x-apitwin-handshake-errors"][status]
    validator = asyncapi_validator(ASYNCAPI, schema)
    assert validator.is_valid({"error": {"code": code, "message": "refused"}})
    assert not validator.is_valid({"error": {"code": "forbidden", "message": "refused"}})


def test_frames_reject_a_servers_mistake() -> None:
    messages = ASYNCAPI["components"]["messages"]
    typing = asyncapi_validator(ASYNCAPI, messages["TypingEvent"]["payload"])
    assert not typing.is_valid({"type": "typing", "data": {"conversation_id": MESSAGE_ID, "is_typing": True}})
    assert not typing.is_valid({"type": "typing", "data": {"user_id": USER_ID, "conversation_id": MESSAGE_ID,
                                                            "is_typing": "yes"}})
    presence = asyncapi_validator(ASYNCAPI, messages["PresenceEvent"]["payload"])
    assert not presence.is_valid({"type": "presence", "data": {"user_id": USER_ID, "status": "here",
                                                                "last_seen": "2024-03-20T12:00:00Z"}})
    message = asyncapi_validator(ASYNCAPI, messages["MessageEvent"]["payload"])
    assert not message.is_valid({"type": "message", "data": {"id": "message_id", "sender_id": USER_ID,
                                                              "content": "x", "type": "text",
                                                              "created_at": "2024-03-20T12:00:00Z"}})
