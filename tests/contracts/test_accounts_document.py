"""The `accounts` contracts against the document they were written from (seed 003).

The tables below are transcribed from the FastAPI-style "API Reference" (partly in Russian), so
that nothing it shows (an endpoint, a body, an error body, a WebSocket message, the login its
examples send) can go missing from specs/accounts/ unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "specs" / "accounts"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
FORM = "application/x-www-form-urlencoded"


def load(name: str) -> dict[str, Any]:
    # A JSON round trip turns YAML's integer keys (status codes) into the strings JSON uses.
    return json.loads(json.dumps(yaml.safe_load((SPEC_DIR / name).read_text())))


OPENAPI = load("openapi.yaml")
ASYNCAPI = load("asyncapi.yaml")

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

# --- helpers ------------------------------------------------------------------------------------


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s until a node that is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def anchored(node: Any, uri: str) -> Any:
    """A copy of a schema taken out of its document whose local refs still point into it."""
    if isinstance(node, dict):
        return {key: (uri + value if key == "$ref" and isinstance(value, str)
                      and value.startswith("#") else anchored(value, uri))
                for key, value in node.items()}
    if isinstance(node, list):
        return [anchored(value, uri) for value in node]
    return node


def openapi_validator(schema: dict[str, Any]) -> jsonschema.Validator:
    resource = Resource.from_contents(OPENAPI, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:accounts-openapi", resource)
    return jsonschema.Draft202012Validator(anchored(schema, "urn:accounts-openapi"), registry=registry,
                                           format_checker=jsonschema.FormatChecker())


def asyncapi_validator(schema: dict[str, Any]) -> jsonschema.Validator:
    resource = Resource.from_contents(ASYNCAPI, default_specification=DRAFT7)
    registry = Registry().with_resource("urn:accounts-asyncapi", resource)
    return jsonschema.Draft7Validator(anchored(schema, "urn:accounts-asyncapi"), registry=registry,
                                      format_checker=jsonschema.FormatChecker())


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def operation(operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations() if op["operationId"] == operation_id)


def parameter(operation_id: str, name: str) -> dict[str, Any]:
    op = operation(operation_id)
    path_item = next(item for item in OPENAPI["paths"].values() if op in item.values())
    params = [resolve(OPENAPI, p) for p in path_item.get("parameters", []) + op.get("parameters", [])]
    return next(p for p in params if p["name"] == name)


def openapi_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every (where, schema, example value) pair in openapi.yaml."""
    for name, schema in OPENAPI["components"]["schemas"].items():
        for index, value in enumerate(schema.get("examples", [])):
            yield f"schemas/{name}/examples/{index}", {"$ref": f"#/components/schemas/{name}"}, value
    for method, path, op in operations():
        for param in op.get("parameters", []):
            param = resolve(OPENAPI, param)
            if "example" in param:
                yield f"{method} {path} ?{param['name']}", param["schema"], param["example"]
        bodies = [("request", resolve(OPENAPI, op.get("requestBody", {})))]
        bodies += [(status, resolve(OPENAPI, response)) for status, response in op["responses"].items()]
        for label, body in bodies:
            for media_type, media in body.get("content", {}).items():
                for example_name, example in media.get("examples", {}).items():
                    where = f"{method} {path} {label} {media_type} {example_name}"
                    yield where, media["schema"], resolve(OPENAPI, example)["value"]


def asyncapi_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for name, message in ASYNCAPI["components"]["messages"].items():
        for example in message.get("examples", []):
            yield f"messages/{name}/{example.get('name')}", message["payload"], example["payload"]
    for name, schema in ASYNCAPI["components"]["schemas"].items():
        for index, value in enumerate(schema.get("examples", [])):
            yield f"schemas/{name}/examples/{index}", {"$ref": f"#/components/schemas/{name}"}, value


def named_example(operation_id: str, status: str, name: str) -> Any:
    response = resolve(OPENAPI, operation(operation_id)["responses"][status])
    return resolve(OPENAPI, response["content"]["application/json"]["examples"][name])["value"]


def is_valid(schema: dict[str, Any], value: Any) -> bool:
    return openapi_validator(schema).is_valid(value)


# --- the documents are valid -----------------------------------------------------------------


def test_openapi_is_valid() -> None:
    assert OPENAPI["openapi"] == "3.1.0"
    validate_openapi(OPENAPI)


def official_asyncapi_schema() -> dict[str, Any] | None:
    """The official AsyncAPI 3.0.0 JSON Schema, if a copy is installed in the project."""
    candidates = [ROOT / "node_modules/@asyncapi/specs/schemas/3.0.0-without-$id.json"]
    for package in ("conformance", "mock_server"):
        candidates += sorted((ROOT / package).rglob("*3.0.0*.json"))
    for candidate in candidates:
        if candidate.is_file():
            return json.loads(candidate.read_text())
    return None


def test_asyncapi_is_valid() -> None:
    assert ASYNCAPI["asyncapi"] == "3.0.0"
    schema = official_asyncapi_schema()
    if schema is None:
        pytest.skip("the official AsyncAPI 3.0.0 JSON Schema is not installed in the project")
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(ASYNCAPI)]
    assert errors == []


def test_every_local_ref_resolves() -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for document in (OPENAPI, ASYNCAPI):
        for ref in refs(document):
            assert ref.startswith("#/"), ref
            resolve(document, {"$ref": ref})


SCHEMA_KEYWORDS = {
    "$ref", "$id", "$schema", "$defs", "$comment", "type", "enum", "const", "format", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains",
    "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
    "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "default", "examples", "example", "description", "title", "readOnly", "writeOnly",
    "deprecated", "nullable", "discriminator", "externalDocs", "xml", "contentMediaType",
    "contentEncoding", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
}


def schema_keyword_slips(schema: Any, where: str) -> Iterator[str]:
    """Keys in a schema that are no JSON Schema keyword (e.g. a YAML flow mapping split at a comma)."""
    if not isinstance(schema, dict):
        return
    for key in schema:
        if key not in SCHEMA_KEYWORDS and not key.startswith("x-"):
            yield f"{where}: {key!r}"
    for key in ("properties", "patternProperties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            yield from schema_keyword_slips(sub, f"{where}/{key}/{name}")
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        yield from schema_keyword_slips(schema.get(key), f"{where}/{key}")
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from schema_keyword_slips(sub, f"{where}/{key}/{index}")


def all_schemas(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every schema root: components/schemas and each `schema` or `payload` anywhere."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        yield f"components/schemas/{name}", schema

    def walk(node: Any, where: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("schema", "payload") and isinstance(value, dict):
                    yield f"{where}/{key}", value
                elif key not in ("schemas", "examples", "example"):
                    yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    yield from walk(document, "#")


def test_schemas_use_only_schema_keywords() -> None:
    slips = [slip for document in (OPENAPI, ASYNCAPI)
             for where, schema in all_schemas(document)
             for slip in schema_keyword_slips(schema, where)]
    assert slips == []


# --- every documented operation is in the contract ----------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation_id", "public", "statuses"), OPERATIONS,
                         ids=[f"{m.upper()} {p}" for m, p, *_ in OPERATIONS])
def test_operation_is_in_the_contract(method: str, path: str, operation_id: str, public: bool,
                                      statuses: set[str]) -> None:
    op = OPENAPI["paths"][path][method]
    assert op["operationId"] == operation_id
    assert op["tags"]
    security = op.get("security", OPENAPI.get("security"))
    assert (security == []) is public
    assert statuses <= set(op["responses"])


def test_no_operation_beyond_the_table() -> None:
    documented = {(m, p) for m, p, *_ in OPERATIONS}
    assert {(m, p) for m, p, _ in operations()} == documented


def test_operation_ids_are_unique_lower_camel_case() -> None:
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    assert all(i[0].islower() and "_" not in i for i in ids)


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
    assert is_valid(limit, 100) and not is_valid(limit, 101) and not is_valid(limit, 0)
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
            names = {resolve(OPENAPI, p)["name"] for p in target.get("parameters", [])}
            path_item = next(item for item in OPENAPI["paths"].values()
                             if target in item.values())
            names |= {resolve(OPENAPI, p)["name"] for p in path_item.get("parameters", [])}
            assert set(link["parameters"]) <= names


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
    for method, path, op in operations():
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            schema = resolve(OPENAPI, response)["content"]["application/json"]["schema"]
            expected = "ValidationError" if status == "422" else "Error"
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, f"{method} {path} {status}"


def render(template: Any, values: dict[str, Any]) -> Any:
    """The body an x-apitwin.errors template declares, with its placeholders filled."""
    if isinstance(template, str):
        for name, value in values.items():
            if template == "{" + name + "}":
                return value
        return template.format(**{k: v for k, v in values.items() if isinstance(v, str)})
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    return template


def test_every_error_response_takes_the_declared_envelope() -> None:
    errors = OPENAPI["x-apitwin"]["errors"]
    values = {"message": "m", "details": {}, "code": "C",
              "errors": [{"loc": ["query", "limit"], "msg": "m", "type": "less_than_equal"}]}
    for method, path, op in operations():
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            template = errors["validation_body"] if status == str(errors["validation_status"]) \
                else errors["body"]
            body = render(template, {**values, "code": errors["codes"].get(status)})
            schema = resolve(OPENAPI, response)["content"]["application/json"]["schema"]
            assert is_valid(schema, body), f"{method} {path} {status}: {body}"


def test_protected_operations_answer_401_and_every_one_429() -> None:
    for method, path, op in operations():
        assert "429" in op["responses"], f"{method} {path}"
        if op.get("security", OPENAPI["security"]) != []:
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
    api_operations = {op["operationId"] for _, path, op in operations() if path.startswith("/api/")}
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
    assert channel["x-apitwin-max-frame-size"] > 0
    assert "503" in channel["x-apitwin-handshake-errors"]


@pytest.mark.parametrize(("direction", "frame", "key"), MESSAGES, ids=[m[2] for m in MESSAGES])
def test_message_is_in_the_contract(direction: str, frame: dict[str, Any], key: str) -> None:
    message = resolve(ASYNCAPI, ASYNCAPI["channels"]["clientSocket"]["messages"][key])
    assert asyncapi_validator(message["payload"]).is_valid(frame)
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
    assert not asyncapi_validator(echo["payload"]).is_valid({"type": "echo", "message": "Hello!"})


# --- every example is valid -----------------------------------------------------------------


@pytest.mark.parametrize(("where", "schema", "value"), list(openapi_examples()),
                         ids=[where for where, _, _ in openapi_examples()])
def test_openapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    errors = [e.message for e in openapi_validator(schema).iter_errors(value)]
    assert errors == [], where


@pytest.mark.parametrize(("where", "schema", "value"), list(asyncapi_examples()),
                         ids=[where for where, _, _ in asyncapi_examples()])
def test_asyncapi_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    errors = [e.message for e in asyncapi_validator(schema).iter_errors(value)]
    assert errors == [], where


def test_every_json_media_type_has_an_example() -> None:
    for method, path, op in operations():
        bodies = [resolve(OPENAPI, op.get("requestBody", {}))]
        bodies += [resolve(OPENAPI, r) for s, r in op["responses"].items() if s.startswith("2")]
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                if media_type == "text/html" or path == "/openapi.json":
                    continue
                assert media.get("examples"), f"{method} {path} {media_type}"
    for name, message in ASYNCAPI["components"]["messages"].items():
        assert message.get("examples"), name
