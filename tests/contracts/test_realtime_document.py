"""The `realtime` contracts against the document they were written from (seed 001).

The tables below are transcribed from the document (and, where it is silent, from the notes on
what the reference service sends), so that nothing the document shows can go missing from
`specs/realtime/openapi.yaml` or `specs/realtime/asyncapi.yaml` unnoticed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from .contract_checks import (
    ROOT, assert_asyncapi_document_valid, assert_every_ref_is_local_and_resolves,
    assert_openapi_document_valid, assert_operation_documented, asyncapi_examples,
    asyncapi_operations, asyncapi_validator, example_cases, keyword_slips, load_document,
    message_keys, openapi_examples, openapi_validator, operation_at, operations, resolve,
    schema_errors,
)

SPEC_DIR = ROOT / "specs" / "realtime"
OPENAPI = load_document(SPEC_DIR / "openapi.yaml")
ASYNCAPI = load_document(SPEC_DIR / "asyncapi.yaml")

# (method, path, operationId, public, statuses the contract must document)
OPERATIONS = [
    ("get", "/ws", "connectWebSocket", False, {"101", "401", "403", "426", "503"}),
    ("get", "/health", "getHealth", True, {"200", "503"}),
    ("get", "/metrics", "getMetrics", True, {"200"}),
    ("get", "/info", "getInfo", True, {"200"}),
    ("post", "/sessions", "createSession", True, {"200", "400", "401", "429"}),
    ("post", "/sessions/refresh", "refreshSession", True, {"200", "400", "401", "429"}),
    ("delete", "/sessions/{session_id}", "deleteSession", False, {"204", "401", "404", "429"}),
]

# (direction, frame type, fields of `data` the document or the notes show, channel message key)
MESSAGES = [
    ("client", "Subscribe", {"topics"}, "Subscribe"),
    ("client", "Unsubscribe", {"topics"}, "Unsubscribe"),
    ("client", "Broadcast", {"topic", "payload"}, "Broadcast"),
    ("client", "DirectMessage", {"target_user", "payload"}, "DirectMessage"),
    ("client", "Ping", {"timestamp"}, "ClientPing"),
    ("server", "Status", {"status", "details"}, "Welcome"),
    ("server", "Status", {"status"}, "Subscribed"),
    ("server", "Status", {"status"}, "Unsubscribed"),
    ("server", "Status", {"status", "details"}, "BinaryReceived"),
    ("server", "Ack", {"message_id"}, "Ack"),
    ("server", "Pong", {"timestamp"}, "Pong"),
    ("server", "Broadcast", {"topic", "payload"}, "BroadcastDelivery"),
    ("server", "DirectMessage", {"from_user", "payload"}, "DirectMessageDelivery"),
    ("server", "Ping", {"timestamp"}, "ServerPing"),
    ("server", "Error", {"code", "message"}, "Error"),
]

# client message key -> server message keys its reply may be
REPLIES = {
    "Subscribe": {"Subscribed", "Error"},
    "Unsubscribe": {"Unsubscribed", "Error"},
    "Broadcast": {"Ack", "Error"},
    "DirectMessage": {"Ack", "Error"},
    "ClientPing": {"Pong"},
    "BinaryFrame": {"BinaryReceived"},
}

# Status values and their examples' data as the notes record them.
STATUS_VALUES = {
    "Welcome": "connected",
    "Subscribed": "subscribed",
    "Unsubscribed": "unsubscribed",
    "BinaryReceived": "binary_received",
}

# Error codes the document's table lists.
DOCUMENT_ERROR_CODES = {
    "INVALID_TOKEN", "TOKEN_EXPIRED", "RATE_LIMITED", "SERVER_FULL", "INVALID_REQUEST",
    "INTERNAL_ERROR",
}


operation = partial(operation_at, OPENAPI)
operations_for = partial(asyncapi_operations, ASYNCAPI)


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


# --- HTTP: every operation the document shows ------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation_id", "public", "statuses"), OPERATIONS,
                         ids=[f"{m.upper()} {p}" for m, p, *_ in OPERATIONS])
def test_operation_is_in_the_contract(method: str, path: str, operation_id: str, public: bool,
                                      statuses: set[str]) -> None:
    assert_operation_documented(OPENAPI, method, path, operation_id, public, statuses)


def test_no_operation_beyond_the_table() -> None:
    contract = {(method, path) for method, path, _ in operations(OPENAPI)}
    assert contract == {(method, path) for method, path, *_ in OPERATIONS}


def test_every_error_response_uses_the_error_envelope() -> None:
    error_ref = "#/components/schemas/Error"
    for method, path, *_ in OPERATIONS:
        for status, response in operation(method, path)["responses"].items():
            if int(status) < 400 or (path, status) == ("/health", "503"):
                continue
            schema = resolve(OPENAPI, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (method, path, status)
    assert OPENAPI["x-apitwin"]["errors"]["schema"] == error_ref


def test_error_codes_are_the_documents() -> None:
    codes = set(OPENAPI["x-apitwin"]["errors"]["codes"].values())
    assert {"INVALID_TOKEN", "RATE_LIMITED", "SERVER_FULL", "INVALID_REQUEST",
            "INTERNAL_ERROR"} <= codes
    examples = {value["error"]["code"] for where, _, value in openapi_examples(OPENAPI)
                if isinstance(value, dict) and "error" in value}
    assert DOCUMENT_ERROR_CODES <= examples | {"ERROR_CODE"} | codes
    assert "TOKEN_EXPIRED" in examples


def test_too_many_requests_carries_retry_after_and_rate_limit_headers() -> None:
    headers = OPENAPI["components"]["responses"]["TooManyRequests"]["headers"]
    assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
            "X-RateLimit-Reset"} <= set(headers)


def test_handshake_accepts_the_three_token_ways() -> None:
    op = operation("get", "/ws")
    schemes = OPENAPI["components"]["securitySchemes"]
    used = {name for requirement in op["security"] for name in requirement}
    places = {(schemes[name]["type"], schemes[name].get("in"), schemes[name].get("name"))
              for name in used}
    assert places == {
        ("http", None, None),
        ("apiKey", "query", "token"),
        ("apiKey", "query", "access_token"),
        ("apiKey", "header", "Sec-WebSocket-Protocol"),
    }


def test_session_links_follow_create_to_refresh_and_delete() -> None:
    links = operation("post", "/sessions")["responses"]["200"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert targets == {"refreshSession", "deleteSession"}
    session = OPENAPI["components"]["schemas"]["Session"]["properties"]
    for link in links.values():
        for expression in [*link.get("parameters", {}).values(),
                           *link.get("requestBody", {}).values()]:
            assert expression.removeprefix("$response.body#/") in session


def test_auth_declarations() -> None:
    auth = OPENAPI["x-apitwin"]["auth"]
    assert operation("post", "/sessions")["x-apitwin-auth"] == "login"
    assert operation("post", "/sessions/refresh")["x-apitwin-auth"] == "refresh"
    assert operation("delete", "/sessions/{session_id}")["x-apitwin-auth"] == "revoke-session"
    # The document's only credentials and its expires_in.
    assert {"username": "user@example.com", "password": "secure_password", "id": "user_123",
            "roles": ["user", "subscriber"]}.items() <= auth["users"][0].items()
    assert auth["access_ttl"] == 3600
    assert auth["rotate_refresh"] is False
    assert OPENAPI["x-apitwin"]["port"] == 8081
    assert "http://localhost:8081" in {server["url"] for server in OPENAPI["servers"]}


# --- bounds and ids ---------------------------------------------------------------------------


def test_documented_limits_match_info_example() -> None:
    channel = ASYNCAPI["channels"]["ws"]
    info = operation("get", "/info")["responses"]["200"]["content"]["application/json"]
    config = info["examples"]["info"]["value"]["server"]["config"]
    assert channel["x-apitwin-heartbeat"] == {
        "interval_seconds": config["heartbeat_interval_secs"],
        "timeout_seconds": config["client_timeout_secs"],
    } == {"interval_seconds": 30, "timeout_seconds": 60}
    assert channel["x-apitwin-max-frame-size"] == config["max_frame_size"] == 65536
    assert channel["x-apitwin-max-connections"] == config["max_connections"] == 10000
    assert config["port"] == OPENAPI["x-apitwin"]["port"]


def test_what_the_document_leaves_open_is_marked_assumed() -> None:
    """The figures in `/info` and the frames of the protocol notes are the document's; the close
    code for an oversized frame, the role `/ws` requires and the answers it never shows are the
    contract's, marked so a faithful server is warned, never failed."""
    channel = ASYNCAPI["channels"]["ws"]
    assert set(channel["x-apitwin-assumed"]) == {"max-frame-size", "roles"}  # heartbeat, error frames: documented
    responses = OPENAPI["components"]["responses"]
    assert all(responses[name]["x-apitwin-assumed"] for name in ("NotFound", "UnsupportedMediaType", "UpgradeRequired"))
    assert "x-apitwin-assumed" not in responses["ServerFull"] and "x-apitwin-assumed" not in responses["Unauthorized"]
    assert all(OPENAPI["components"]["headers"][name]["x-apitwin-assumed"] for name in OPENAPI["components"]["headers"])


@pytest.mark.parametrize(("schema", "good", "bad"), [
    ("UserId", "user_123", "123"),
    ("SessionId", "sess_8f14e45fceea167a", "8f14e45f"),
    ("Jwt", "eyJhbGciOiJIUzI1NiIs...", "not-a-token"),
    ("SessionCreate", {"username": "user@example.com", "password": "secure_password"},
     {"username": "user@example.com"}),
    ("SessionRefresh", {"refresh_token": "eyJhbGciOiJIUzI1NiIs..."}, {}),
    ("Health", {"status": "healthy", "active_connections": 0, "max_connections": 10000,
                "uptime_seconds": 1}, {"status": "healthy", "active_connections": -1,
                                       "max_connections": 10000, "uptime_seconds": 1}),
    ("Error", {"error": {"code": "INVALID_TOKEN", "message": "x", "details": None}},
     {"detail": "x"}),
    ("AccessToken", {"access_token": "eyJx.y.z", "expires_in": 3600, "token_type": "Bearer"},
     {"access_token": "eyJx.y.z", "expires_in": 3600, "token_type": "bearer"}),
])
def test_http_schemas_bound_what_they_should(schema: str, good: Any, bad: Any) -> None:
    validator = openapi_validator(OPENAPI, {"$ref": f"#/components/schemas/{schema}"})
    assert validator.is_valid(good)
    assert not validator.is_valid(bad)


@pytest.mark.parametrize(("key", "good", "bad"), [
    ("Subscribe", {"type": "Subscribe", "data": {"topics": ["a"]}},
     {"type": "Subscribe", "data": {"topics": []}}),
    ("Broadcast", {"type": "Broadcast", "data": {"topic": "t", "payload": None}},
     {"type": "Broadcast", "data": {"payload": 1}}),
    ("DirectMessage", {"type": "DirectMessage", "data": {"target_user": "u", "payload": 1}},
     {"type": "DirectMessage", "data": {"payload": 1}}),
    ("ClientPing", {"type": "Ping", "data": {"timestamp": 1}},
     {"type": "Ping", "data": {"timestamp": "now"}}),
    ("Welcome", {"type": "Status", "data": {"status": "connected", "details": {
        "connection_id": "3f1c2b7e-8d4a-4c1e-9b2f-5a6d7e8f9a0b", "server_time": 1,
        "protocol_version": "1.0"}}},
     {"type": "Status", "data": {"status": "connected", "details": {
         "connection_id": "42", "server_time": 1, "protocol_version": "1.0"}}}),
    ("DirectMessageDelivery", {"type": "DirectMessage", "data": {"from_user": "u", "payload": 1}},
     {"type": "DirectMessage", "data": {"target_user": "u", "payload": 1}}),
    ("Error", {"type": "Error", "data": {"code": 404, "message": "m"}},
     {"type": "Error", "data": {"code": "NOT_FOUND", "message": "m"}}),
    ("Error", {"type": "Error", "data": {"code": 400, "message": "m"}},
     {"type": "Error", "data": {"code": 200, "message": "m"}}),
])
def test_frame_schemas_bound_what_they_should(key: str, good: Any, bad: Any) -> None:
    validator = asyncapi_validator(ASYNCAPI, ASYNCAPI["components"]["messages"][key]["payload"])
    assert validator.is_valid(good)
    assert not validator.is_valid(bad)


# --- WebSocket: every message the document shows --------------------------------------------


@pytest.mark.parametrize(("direction", "frame_type", "fields", "key"), MESSAGES,
                         ids=[f"{d}-{k}" for d, _, _, k in MESSAGES])
def test_message_is_in_the_contract(direction: str, frame_type: str, fields: set[str],
                                    key: str) -> None:
    channel = ASYNCAPI["channels"]["ws"]
    message = resolve(ASYNCAPI, channel["messages"][key])
    assert message["name"] == frame_type
    payload = resolve(ASYNCAPI, message["payload"])
    assert payload["properties"]["type"]["const"] == frame_type
    assert fields <= set(payload["properties"]["data"]["properties"])
    assert message.get("examples"), key
    # The server receives what clients send (and their replies to its frames) and sends what
    # clients receive (on its own or as a reply).
    action, other = ("receive", "send") if direction == "client" else ("send", "receive")
    carried = set().union(*(message_keys(op) for op in operations_for(action).values()),
                          *(message_keys(op.get("reply", {}))
                            for op in operations_for(other).values()))
    assert key in carried


@pytest.mark.parametrize(("key", "status"), sorted(STATUS_VALUES.items()))
def test_status_messages_carry_their_status(key: str, status: str) -> None:
    payload = resolve(ASYNCAPI, ASYNCAPI["components"]["messages"][key]["payload"])
    assert payload["properties"]["data"]["properties"]["status"]["const"] == status


@pytest.mark.parametrize(("request_key", "reply_keys"), sorted(REPLIES.items()))
def test_request_has_its_reply(request_key: str, reply_keys: set[str]) -> None:
    matching = [op for op in operations_for("receive").values()
                if request_key in message_keys(op)]
    assert len(matching) == 1
    reply = matching[0]["reply"]
    assert reply["channel"] == {"$ref": "#/channels/ws"}
    assert message_keys(reply) == reply_keys


def test_what_client_frames_cause() -> None:
    """Fan-out to other subscribers, delivery with from_user, 404 when not connected."""
    effects = {key: op.get("x-apitwin-effect", {}) for op in operations_for("receive").values()
               for key in message_keys(op)}
    assert effects["Subscribe"] == {"subscribe": "data.topics"}
    assert effects["Unsubscribe"] == {"unsubscribe": "data.topics"}
    fanout = effects["Broadcast"]["fanout"]
    assert (fanout["topic"], fanout["message"], fanout["include_sender"]) == (
        "data.topic", "BroadcastDelivery", False)
    deliver = effects["DirectMessage"]["deliver"]
    assert (deliver["user"], deliver["message"], deliver["sender"]) == (
        "data.target_user", "DirectMessageDelivery", "data.from_user")
    assert deliver["not_connected"]["code"] == 404
    assert effects["ClientPing"] == {"reply_copy": {"data.timestamp": "data.timestamp"}}
    triggers = {op.get("x-apitwin-trigger"): message_keys(op)
                for op in operations_for("send").values()}
    assert triggers["connect"] == {"Welcome"}
    assert triggers["heartbeat"] == {"ServerPing"}
    assert triggers["invalid-frame"] == {"Error"}


def test_server_heartbeat_ping_expects_a_pong() -> None:
    (heartbeat,) = [op for op in operations_for("send").values()
                    if "ServerPing" in message_keys(op)]
    assert message_keys(heartbeat["reply"]) == {"ClientPong"}


def test_channel_address_and_the_three_token_ways() -> None:
    channel = ASYNCAPI["channels"]["ws"]
    assert channel["address"] == "/ws"
    binding = channel["bindings"]["ws"]
    assert {"token", "access_token"} <= set(binding["query"]["properties"])
    assert {"Authorization", "Sec-WebSocket-Protocol"} <= set(binding["headers"]["properties"])
    schemes = [resolve(ASYNCAPI, ref) for ref in ASYNCAPI["servers"]["local"]["security"]]
    places = {(s["type"], s.get("in"), s.get("name")) for s in schemes}
    assert places == {
        ("httpApiKey", "query", "token"),
        ("httpApiKey", "query", "access_token"),
        ("http", None, None),
        ("httpApiKey", "header", "Sec-WebSocket-Protocol"),
    }
    assert ASYNCAPI["servers"]["local"]["host"] == "localhost:8081"


@pytest.mark.parametrize(("status", "code"), [("401", "INVALID_TOKEN"), ("403", "FORBIDDEN"),
                                              ("503", "SERVER_FULL")])
def test_handshake_refusals(status: str, code: str) -> None:
    schema = ASYNCAPI["channels"]["ws"]["x-apitwin-handshake-errors"][status]
    validator = asyncapi_validator(ASYNCAPI, schema)
    assert validator.is_valid({"error": {"code": code, "message": "m", "details": None}})
    assert not validator.is_valid({"error": {"code": "NOPE", "message": "m"}})
    assert status in operation("get", "/ws")["responses"]


# --- every example validates ------------------------------------------------------------------


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(openapi_examples(OPENAPI)))
def test_openapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(openapi_validator(OPENAPI, schema), value) == [], where


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(asyncapi_examples(ASYNCAPI)))
def test_asyncapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(asyncapi_validator(ASYNCAPI, schema), value) == [], where


def test_every_message_and_media_type_has_an_example() -> None:
    assert all(message.get("examples") for message in ASYNCAPI["components"]["messages"].values())
    documented = {where.split(" ")[1] for where, _, _ in openapi_examples(OPENAPI) if " " in where}
    assert documented >= {path for _, path, *_ in OPERATIONS if path != "/ws"}
