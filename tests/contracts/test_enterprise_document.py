"""The `enterprise` contract against its source document ("Enterprise API" 2.3.0).

The tables below are transcribed from the document by hand, so anything the document shows
that goes missing from specs/enterprise/openapi.yaml, or any documented bound that drifts,
fails here rather than in the mock or the conformance suite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import pytest

from .contract_checks import (
    ROOT, assert_every_ref_is_local_and_resolves, assert_openapi_document_valid, at, example_cases,
    holder_examples, is_lower_camel_case, keyword_slips, load_document, nested_schema_examples,
    openapi_examples, openapi_validator, operation_by_id, operation_ids, operations, path_of,
    request_schema_pointer, resolve, response_schema_pointer, schema_errors,
)

SPEC = load_document(ROOT / "specs" / "enterprise" / "openapi.yaml")
BASE_PATH = "/v2"

# (method, path as the document writes it under the base URL, operationId)
DOCUMENTED_OPERATIONS = [
    ("post", "/v2/auth/login", "login"),
    ("post", "/v2/auth/refresh", "refreshToken"),
    ("post", "/v2/auth/logout", "logout"),
    ("post", "/v2/auth/api-keys", "createApiKey"),
    ("post", "/v2/data/{collection}", "createRecord"),
    ("get", "/v2/data/{collection}", "listRecords"),
    ("get", "/v2/data/{collection}/{id}", "getRecord"),
    ("put", "/v2/data/{collection}/{id}", "replaceRecord"),
    ("patch", "/v2/data/{collection}/{id}", "updateRecord"),
    ("delete", "/v2/data/{collection}/{id}", "deleteRecord"),
    ("post", "/v2/data/{collection}/batch", "batchCreateRecords"),
    ("post", "/v2/data/{collection}/batch-delete", "batchDeleteRecords"),
    ("post", "/v2/webhooks", "registerWebhook"),
]
PUBLIC_OPERATIONS = {"login", "refreshToken"}
WEBHOOK_EVENTS = ["record.created", "record.updated", "record.deleted"]

# Operation -> documented success status.
SUCCESS_STATUS = {
    "login": "200",
    "refreshToken": "200",
    "logout": "204",
    "createRecord": "201",
    "listRecords": "200",
    "deleteRecord": "204",
}

COMMON_ERROR_CODES = {
    "INVALID_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
}
LOGIN_ERROR_CODES = {
    "INVALID_REQUEST": "400",
    "INVALID_CREDENTIALS": "401",
    "ACCOUNT_LOCKED": "403",
    "MFA_REQUIRED": "403",
}

# Plan -> (requests/minute, requests/day; None = unlimited), from "Rate Limits".
PLANS = {"free": (60, 10_000), "pro": (300, 100_000), "enterprise": (1000, None)}

# The filter examples of "Filter Syntax", and expressions that break it.
FILTER_EXAMPLES = [
    "status:eq:active",
    "type:ne:draft",
    "price:gt:100",
    "count:gte:5",
    "age:lt:30",
    "score:lte:50",
    "status:in:active,pending",
    "name:contains:widget",
    "status:eq:active;price:gt:10;category:in:electronics,gadgets",
]
MALFORMED_FILTERS = [
    "",
    "status",
    "status:eq",
    "status:eq:",
    "status:like:active",
    "status:eq:active;",
    ";status:eq:active",
    ":eq:active",
    "status:EQ:active",
]

# The document's literal JSON examples that are complete JSON (those with `...` placeholders
# in place of objects are filled in inside the contract and checked with the other examples).
DOCUMENT_REQUESTS = [
    (
        "login",
        {
            "username": "john.doe",
            "password": "SecurePassword123!",
            "remember_me": True,
            "device_id": "mobile-ios-abc123",
        },
    ),
    (
        "createApiKey",
        {"name": "Production Server", "permissions": ["read:data", "write:data"], "expires_in_days": 365},
    ),
    (
        "createRecord",
        {
            "data": {"name": "Widget Pro", "price": 29.99, "category": "electronics", "in_stock": True},
            "metadata": {"tags": ["featured", "new"], "source": "import_batch_001"},
        },
    ),
    (
        "batchCreateRecords",
        {"records": [{"data": {"name": "Item 1"}}, {"data": {"name": "Item 2"}}, {"data": {"name": "Item 3"}}]},
    ),
    ("batchDeleteRecords", {"ids": ["rec_abc123", "rec_def456", "rec_ghi789"]}),
    (
        "registerWebhook",
        {
            "url": "https://your-server.com/webhook",
            "events": ["record.created", "record.updated", "record.deleted"],
            "collections": ["products", "orders"],
            "secret": "your_webhook_secret",
        },
    ),
]
DOCUMENT_RESPONSES = [
    (
        "login",
        "200",
        {
            "access_token": "eyJhbGciOiJIUzI1NiIs...",
            "refresh_token": "dGhpcyBpcyBhIHJlZnJl...",
            "token_type": "Bearer",
            "expires_in": 900,
            "user": {
                "id": "usr_abc123",
                "username": "john.doe",
                "email": "john@example.com",
                "roles": ["user", "editor"],
            },
        },
    ),
    (
        "createApiKey",
        "201",
        {
            "key_id": "key_xyz789",
            "api_key": "sk_live_abc123...",
            "name": "Production Server",
            "permissions": ["read:data", "write:data"],
            "expires_at": "2025-02-07T00:00:00Z",
        },
    ),
    (
        "createRecord",
        "201",
        {
            "id": "rec_abc123",
            "collection": "products",
            "data": {"name": "Widget Pro", "price": 29.99, "category": "electronics", "in_stock": True},
            "metadata": {"tags": ["featured", "new"], "source": "import_batch_001"},
            "created_at": "2024-02-07T10:30:00Z",
            "updated_at": "2024-02-07T10:30:00Z",
        },
    ),
    (
        "listRecords",
        "200",
        {
            "data": [{"id": "rec_abc123", "data": {}, "created_at": "2024-02-07T10:30:00Z"}],
            "pagination": {"total": 150, "limit": 20, "offset": 0, "has_more": True},
        },
    ),
    (
        "batchCreateRecords",
        "201",
        {"created": 3, "failed": 0, "records": []},
    ),
]


def located(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, operation) of an operation, by its id."""
    return (*path_of(SPEC, operation_id), operation_by_id(SPEC, operation_id))


def test_openapi_spec_validator_accepts_the_contract() -> None:
    assert_openapi_document_valid(SPEC)


def test_every_local_ref_resolves() -> None:
    assert_every_ref_is_local_and_resolves(SPEC)


def test_schemas_use_only_schema_keywords() -> None:
    assert keyword_slips(SPEC) == []


def test_info_and_servers_match_the_document() -> None:
    assert SPEC["info"]["title"] == "Enterprise API"
    assert SPEC["info"]["version"] == "2.3.0"
    urls = [server["url"] for server in SPEC["servers"]]
    assert "https://api.example.com/v2" in urls
    assert f"http://localhost:{SPEC['x-apitwin']['port']}{BASE_PATH}" in urls
    assert SPEC["x-apitwin"]["port"] == 8003
    assert SPEC["x-apitwin"]["source"] == "004_01dea41e2c42c28b.txt"


@pytest.mark.parametrize(("method", "documented_path", "operation_id"), DOCUMENTED_OPERATIONS)
def test_every_documented_operation_is_in_the_contract(
    method: str, documented_path: str, operation_id: str
) -> None:
    path = documented_path.removeprefix(BASE_PATH)
    assert path in SPEC["paths"], f"{documented_path} missing"
    operation = SPEC["paths"][path].get(method)
    assert operation is not None, f"{method.upper()} {documented_path} missing"
    assert operation["operationId"] == operation_id
    assert operation.get("tags")


def test_the_contract_has_nothing_the_document_lacks() -> None:
    documented = {(method, path.removeprefix(BASE_PATH)) for method, path, _ in DOCUMENTED_OPERATIONS}
    assert {(method, path) for method, path, _ in operations(SPEC)} == documented


def test_operation_ids_are_unique_lower_camel_case() -> None:
    ids = operation_ids(SPEC)
    assert len(ids) == len(set(ids))
    assert all(is_lower_camel_case(operation_id) for operation_id in ids)


@pytest.mark.parametrize("operation_id,status", sorted(SUCCESS_STATUS.items()))
def test_documented_success_status(operation_id: str, status: str) -> None:
    _, _, operation = located(operation_id)
    assert status in operation["responses"]
    assert min(code for code in operation["responses"] if code.startswith("2")) == status


def test_security_schemes_bearer_jwt_and_api_key_header() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKeyAuth"]["type"] == "apiKey"
    assert (schemes["apiKeyAuth"]["in"], schemes["apiKeyAuth"]["name"]) == ("header", "X-API-Key")
    assert {"bearerAuth": []} in SPEC["security"] and {"apiKeyAuth": []} in SPEC["security"]


def test_public_and_protected_operations() -> None:
    for _, path, operation in operations(SPEC):
        security = operation.get("security", SPEC["security"])
        responses = operation["responses"]
        if operation["operationId"] in PUBLIC_OPERATIONS:
            assert security == [], path
        else:
            assert security and all(requirement for requirement in security), path
            assert resolve(SPEC, responses["401"])["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
    # Logging out and minting keys take a user token, not an API key.
    for operation_id in ("logout", "createApiKey"):
        assert located(operation_id)[2]["security"] == [{"bearerAuth": []}]


def test_auth_actions_are_declared() -> None:
    actions = {"login": "login", "refreshToken": "refresh", "logout": "logout", "createApiKey": "create-api-key"}
    for operation_id, action in actions.items():
        assert located(operation_id)[2]["x-apitwin-auth"] == action


def test_login_bounds_and_fields() -> None:
    schema = SPEC["components"]["schemas"]["LoginRequest"]
    props = schema["properties"]
    assert set(schema["required"]) == {"username", "password"}
    assert (props["username"]["minLength"], props["username"]["maxLength"]) == (3, 50)
    assert props["password"]["minLength"] == 12
    assert props["remember_me"]["type"] == "boolean"
    assert {"device_id", "mfa_code"} <= set(props)


def test_login_documents_its_error_codes() -> None:
    _, _, operation = located("login")
    for code, status in LOGIN_ERROR_CODES.items():
        examples = resolve(SPEC, operation["responses"][status])["content"]["application/json"]["examples"]
        codes = {resolve(SPEC, example)["value"]["error"]["code"] for example in examples.values()}
        assert code in codes, f"{code} not among the login {status} examples"


def test_token_lifetimes_and_rotation_are_declared() -> None:
    auth = SPEC["x-apitwin"]["auth"]
    assert auth["access_ttl"] == 15 * 60
    assert auth["refresh_ttl"] == 7 * 24 * 3600
    assert auth["remember_me_refresh_ttl"] == 30 * 24 * 3600
    assert auth["rotate_refresh"] is True
    token = SPEC["components"]["schemas"]["TokenResponse"]
    assert token["properties"]["token_type"]["const"] == "Bearer"
    assert set(token["required"]) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}


def test_demo_user_is_the_documents_example() -> None:
    users = {user["username"]: user for user in SPEC["x-apitwin"]["auth"]["users"]}
    demo = users["john.doe"]
    assert demo["password"] == "SecurePassword123!"
    assert (demo["id"], demo["email"], demo["roles"]) == ("usr_abc123", "john@example.com", ["user", "editor"])
    login_schema = at(SPEC, "/components/schemas/LoginRequest")
    for user in users.values():
        login_schema.validate({"username": user["username"], "password": user["password"]})
        assert user.get("plan") in PLANS


def test_list_query_parameters_have_documented_bounds() -> None:
    _, _, operation = located("listRecords")
    params = {p["name"]: p["schema"] for p in (resolve(SPEC, ref) for ref in operation["parameters"])}
    assert set(params) == {"filter", "sort", "order", "limit", "offset", "fields"}
    assert (params["limit"]["default"], params["limit"]["maximum"], params["limit"]["minimum"]) == (20, 100, 1)
    assert (params["offset"]["default"], params["offset"]["minimum"]) == (0, 0)
    assert params["order"]["enum"] == ["asc", "desc"] and params["order"]["default"] == "desc"
    assert params["sort"]["default"] == "created_at"
    assert operation["x-apitwin-sort"] == {"param": "sort", "order_param": "order", "default": "-created_at"}
    assert operation["x-apitwin-fields"] == "fields"
    assert operation["x-apitwin-filter"]["param"] == "filter"
    assert operation["x-apitwin-pagination"]["style"] == "offset"


@pytest.mark.parametrize("expression", FILTER_EXAMPLES)
def test_filter_pattern_accepts_the_documented_examples(expression: str) -> None:
    pattern = SPEC["components"]["parameters"]["Filter"]["schema"]["pattern"]
    assert re.search(pattern, expression)


@pytest.mark.parametrize("expression", MALFORMED_FILTERS)
def test_filter_pattern_rejects_malformed_expressions(expression: str) -> None:
    pattern = SPEC["components"]["parameters"]["Filter"]["schema"]["pattern"]
    assert not re.search(pattern, expression)


def test_filter_pattern_names_every_documented_operator() -> None:
    pattern = SPEC["components"]["parameters"]["Filter"]["schema"]["pattern"]
    description = SPEC["components"]["parameters"]["Filter"]["description"]
    for operator in ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains"):
        assert re.search(pattern, f"field:{operator}:value")
        assert f"`{operator}`" in description


def test_pagination_object_is_the_documented_one() -> None:
    schemas = SPEC["components"]["schemas"]
    assert set(schemas["Pagination"]["required"]) == {"total", "limit", "offset", "has_more"}
    assert set(schemas["RecordList"]["required"]) == {"data", "pagination"}


def test_batch_limits() -> None:
    schemas = SPEC["components"]["schemas"]
    records = schemas["BatchCreateRequest"]["properties"]["records"]
    assert (records["minItems"], records["maxItems"]) == (1, 1000)
    assert schemas["BatchDeleteRequest"]["properties"]["ids"]["maxItems"] == 1000
    assert set(schemas["BatchCreateResponse"]["required"]) == {"created", "failed", "records"}


def test_record_body_fields_and_ttl() -> None:
    record_input = SPEC["components"]["schemas"]["RecordInput"]
    assert record_input["required"] == ["data"]
    assert {"data", "metadata", "ttl"} == set(record_input["properties"])
    assert record_input["properties"]["ttl"]["type"] == "integer"
    assert "required" not in SPEC["components"]["schemas"]["RecordPatch"]


@pytest.mark.parametrize(
    ("operation_id", "id_expression"),
    [("createRecord", "$response.body#/id"), ("batchCreateRecords", "$response.body#/records/0/id")],
)
def test_create_links_to_read_update_delete(operation_id: str, id_expression: str) -> None:
    _, _, operation = located(operation_id)
    links = operation["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert {"getRecord", "replaceRecord", "updateRecord", "deleteRecord"} <= targets
    for link in links.values():
        located(link["operationId"])
        assert link["parameters"]["id"] == id_expression
        assert link["parameters"]["collection"] == "$request.path.collection"


def test_item_operations_answer_404() -> None:
    for method in ("get", "put", "patch", "delete"):
        assert "404" in SPEC["paths"]["/data/{collection}/{id}"][method]["responses"]


def test_record_changes_emit_the_webhook_events() -> None:
    emitted = {
        "createRecord": ["record.created"],
        "batchCreateRecords": ["record.created"],
        "replaceRecord": ["record.updated"],
        "updateRecord": ["record.updated"],
        "deleteRecord": ["record.deleted"],
        "batchDeleteRecords": ["record.deleted"],
    }
    for operation_id, events in emitted.items():
        assert located(operation_id)[2]["x-apitwin-events"] == events


def test_webhooks_section_covers_every_event() -> None:
    assert sorted(SPEC["webhooks"]) == sorted(WEBHOOK_EVENTS)
    events = SPEC["components"]["schemas"]["EventName"]["enum"]
    assert events == WEBHOOK_EVENTS
    payload = at(SPEC, "/components/schemas/WebhookPayload")
    for event in WEBHOOK_EVENTS:
        body = SPEC["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/WebhookPayload"}
        values = [resolve(SPEC, example)["value"] for example in body["examples"].values()]
        assert [value["event"] for value in values] == [event]
    unsigned = {
        "event": "record.created",
        "timestamp": "2024-02-07T10:30:00Z",
        "data": {"collection": "products", "record_id": "rec_abc123", "changes": {}},
        "signature": "md5=abc",
    }
    assert not payload.is_valid(unsigned)


def test_webhook_registration_fields() -> None:
    request = SPEC["components"]["schemas"]["WebhookRequest"]
    assert {"url", "events", "collections", "secret"} == set(request["properties"])
    assert "secret" not in SPEC["components"]["schemas"]["Webhook"]["properties"]


def test_rate_limit_plans_and_headers() -> None:
    rules = {rule["plan"]: rule for rule in SPEC["x-apitwin"]["rate_limits"]}
    for plan, (per_minute, per_day) in PLANS.items():
        assert (rules[plan]["limit"], rules[plan]["window"], rules[plan]["daily"]) == (per_minute, 60, per_day)
    headers = SPEC["components"]["headers"]
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Plan"} <= set(headers)
    assert headers["X-RateLimit-Plan"]["schema"]["enum"] == list(PLANS)
    for method, path, operation in operations(SPEC):
        responses = operation["responses"]
        too_many = resolve(SPEC, responses["429"])
        assert "Retry-After" in too_many["headers"], f"{method} {path}"
        for status, response in responses.items():
            if status.startswith("2"):
                assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
                    resolve(SPEC, response)["headers"]
                ), f"{method} {path} {status}"


def test_common_error_codes_table() -> None:
    declared = SPEC["x-apitwin"]["errors"]
    assert declared["schema"] == "#/components/schemas/Error"
    assert declared["validation_status"] == 400
    for code, status in COMMON_ERROR_CODES.items():
        assert declared["codes"][str(status)] == code
    error = at(SPEC, "/components/schemas/Error")
    error.validate({"error": {"code": "NOT_FOUND", "message": "Record not found", "details": {}}})
    assert not error.is_valid({"detail": "Not Found"})
    assert not error.is_valid({"error": {"code": "not_found", "message": "x"}})
    for _, _, operation in operations(SPEC):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                schema = resolve(SPEC, response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_every_operation_documents_bad_requests_and_server_errors() -> None:
    for method, path, operation in operations(SPEC):
        statuses = set(operation["responses"])
        assert {"429", "500"} <= statuses, f"{method} {path}"
        if "requestBody" in operation or operation.get("parameters") or "{" in path:
            assert "400" in statuses, f"{method} {path}"


def test_ids_follow_the_documents_style() -> None:
    record_id = at(SPEC, "/components/schemas/RecordId")
    user_id = at(SPEC, "/components/schemas/UserId")
    assert record_id.is_valid("rec_abc123") and not record_id.is_valid("abc123")
    assert user_id.is_valid("usr_abc123") and not user_id.is_valid("rec_abc123")


@pytest.mark.parametrize(("operation_id", "body"), DOCUMENT_REQUESTS, ids=[o for o, _ in DOCUMENT_REQUESTS])
def test_document_request_examples_validate(
    operation_id: str, body: dict[str, Any]
) -> None:
    at(SPEC, request_schema_pointer(SPEC, operation_id)).validate(body)


@pytest.mark.parametrize(
    ("operation_id", "status", "body"), DOCUMENT_RESPONSES, ids=[f"{o}-{s}" for o, s, _ in DOCUMENT_RESPONSES]
)
def test_document_response_examples_validate(
    operation_id: str, status: str, body: dict[str, Any]
) -> None:
    at(SPEC, response_schema_pointer(SPEC, operation_id, status)).validate(body)


def test_documented_bounds_reject_out_of_range_bodies() -> None:
    login = at(SPEC, request_schema_pointer(SPEC, "login"))
    assert not login.is_valid({"username": "jd", "password": "SecurePassword123!"})
    assert not login.is_valid({"username": "j" * 51, "password": "SecurePassword123!"})
    assert not login.is_valid({"username": "john.doe", "password": "short"})
    batch = at(SPEC, request_schema_pointer(SPEC, "batchCreateRecords"))
    assert batch.is_valid({"records": [{"data": {}}] * 1000})
    assert not batch.is_valid({"records": [{"data": {}}] * 1001})
    create = at(SPEC, request_schema_pointer(SPEC, "createRecord"))
    assert not create.is_valid({"metadata": {"tags": ["x"]}})


def test_every_contract_example_validates_against_its_schema() -> None:
    found = list(holder_examples(SPEC))
    assert len(found) >= 25
    failures = []
    for where, pointer, value in found:
        errors = list(at(SPEC, pointer).iter_errors(value))
        failures += [f"{where}: {error.message}" for error in errors]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("where", "schema", "value"), example_cases(openapi_examples(SPEC)))
def test_openapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert schema_errors(openapi_validator(SPEC, schema), value) == [], where


def test_every_request_body_and_success_response_has_a_named_example() -> None:
    for method, path, operation in operations(SPEC):
        if "requestBody" in operation:
            assert operation["requestBody"]["content"]["application/json"]["examples"], f"{method} {path}"
        for status, response in operation["responses"].items():
            content = resolve(SPEC, response).get("content")
            if content:
                assert content["application/json"].get("examples"), f"{method} {path} {status}"


def test_schema_level_examples_validate() -> None:
    found = list(nested_schema_examples(SPEC))
    assert found
    for pointer, value in found:
        assert at(SPEC, pointer).is_valid(value), f"{pointer}: {value!r}"


def test_api_key_permissions_guard_reads_and_writes() -> None:
    for method, path, operation in operations(SPEC):
        if path.startswith("/data"):
            expected = ["read:data"] if method == "get" else ["write:data"]
            assert operation["x-apitwin-permissions"] == expected, f"{method} {path}"
            assert "403" in operation["responses"], f"{method} {path}"


def test_auth_failures_map_to_the_documented_codes() -> None:
    errors = SPEC["x-apitwin"]["auth"]["errors"]
    declared = {(entry["status"], entry["code"]) for entry in errors.values()}
    for code, status in LOGIN_ERROR_CODES.items():
        if code != "INVALID_REQUEST":
            assert (int(status), code) in declared
    assert (401, "UNAUTHORIZED") in declared and (403, "FORBIDDEN") in declared


def test_webhook_example_signatures_follow_the_documented_algorithm() -> None:
    """Receivers verify with the registration's secret; the examples use the document's own."""
    declared = SPEC["x-apitwin"]["webhooks"]["signature"]
    assert (declared["algorithm"], declared["prefix"], declared["field"]) == ("hmac-sha256", "sha256=", "signature")
    secret = "your_webhook_secret"  # the document's webhook registration example
    for event in WEBHOOK_EVENTS:
        operation = SPEC["webhooks"][event]["post"]
        headers = {resolve(SPEC, parameter)["name"] for parameter in operation["parameters"]}
        assert declared["header"] in headers
        for example in operation["requestBody"]["content"]["application/json"]["examples"].values():
            payload = resolve(SPEC, example)["value"]
            unsigned = {key: value for key, value in payload.items() if key != "signature"}
            message = json.dumps(unsigned, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
            digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
            assert payload["signature"] == "sha256=" + digest, event


def test_what_the_document_leaves_open_is_marked_assumed() -> None:
    """Bounds and forms the document states stay plain (username 3-50, password 12+, limit 100,
    1000 per batch); the ones it never gives, statuses it does not show and the read of one
    record it never documents are marked, so a faithful server is warned, never failed."""
    ops = {op["operationId"]: op for item in SPEC["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert isinstance(ops["getRecord"]["x-apitwin-assumed"], str)
    assert ops["createApiKey"]["responses"]["201"]["x-apitwin-assumed"]
    assert "x-apitwin-assumed" not in ops["createRecord"]["responses"]["201"]  # "Success (201 Created)"
    params = SPEC["components"]["parameters"]
    limit = next(p for p in params.values() if p.get("name") == "limit")["schema"]
    assert limit["maximum"] == 100 and set(limit["x-apitwin-assumed"]) == {"minimum"}
    login = SPEC["components"]["schemas"]["LoginRequest"]["properties"]
    assert "x-apitwin-assumed" not in login["username"] and "x-apitwin-assumed" not in login["password"]
