"""What every contract test needs, whatever document it checks.

Each tests/contracts/test_<api>_document.py transcribes one source document (its operations,
messages, bounds and examples) and asserts that the contract in specs/<api>/ still shows all of
it. The means to do that are the same for every API (load a document, follow its `$ref`s,
validate a value with the dialect the document declares, walk its examples, render its declared
error envelope), so they live here once and a fix reaches every API at the same time. Every
function takes the document it works on: nothing here knows which API it is looking at.
"""

from __future__ import annotations

import json
import re
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
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# The URI a document is registered under while one of its schemas is validated; each validator
# gets its own registry, so one URI serves every document.
DOCUMENT_URI = "urn:apitwin:contract"

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


# --- reading a document -------------------------------------------------------------------------


def load_document(path: Path) -> dict[str, Any]:
    """The document as JSON sees it: YAML's integer keys (status codes) become strings, so a
    status is looked up the same way in `responses` and in `x-apitwin.errors.codes`."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s until a node that is not a reference (a KeyError names a dangling one)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def pointer_of(*parts: str) -> str:
    """A JSON pointer to `parts`, escaped so that paths such as `/api/users` stay one step."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def local_refs(node: Any) -> Iterator[str]:
    """Every `$ref` string anywhere under `node`."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from local_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from local_refs(value)


def assert_every_ref_is_local_and_resolves(document: dict[str, Any]) -> None:
    """Contracts are single files: a remote `$ref` or a dangling one breaks the mock at start-up."""
    for ref in local_refs(document):
        assert ref.startswith("#/"), ref
        resolve(document, {"$ref": ref})


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation under `paths`."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def webhook_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, 'webhook <name>', operation) for every operation under `webhooks`."""
    for name, item in document.get("webhooks", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, f"webhook {name}", operation


def operation_at(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation as the document shows it: by method and path, the way its tables list them."""
    return document["paths"][path][method]


def operation_by_id(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation by its id: the name links, x-apitwin rules and generated clients use."""
    for _, _, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return operation
    raise AssertionError(f"no operation {operation_id!r} in the contract")


def path_of(document: dict[str, Any], operation_id: str) -> tuple[str, str]:
    """(method, path) of an operation, for building pointers into it."""
    for method, path, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return method, path
    raise AssertionError(f"no operation {operation_id!r} in the contract")


def parameter(document: dict[str, Any], operation_id: str, name: str) -> dict[str, Any]:
    """An operation's parameter by name, whether declared on the operation or its path item."""
    operation = operation_by_id(document, operation_id)
    path_item = next(item for item in document["paths"].values() if operation in item.values())
    declared = path_item.get("parameters", []) + operation.get("parameters", [])
    return next(p for p in (resolve(document, p) for p in declared) if p["name"] == name)


def parameter_names(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """Names an operation takes, its path item's parameters included (what a link may fill)."""
    path_item = next(item for item in document["paths"].values() if operation in item.values())
    declared = path_item.get("parameters", []) + operation.get("parameters", [])
    return {resolve(document, p)["name"] for p in declared}


def media_object(document: dict[str, Any], operation: dict[str, Any], where: str,
          media_type: str = "application/json") -> dict[str, Any]:
    """The media type object of the request body (`where='request'`) or of one response."""
    holder = operation["requestBody"] if where == "request" else operation["responses"][where]
    return resolve(document, holder)["content"][media_type]


def named_examples(document: dict[str, Any], operation: dict[str, Any], where: str,
                   media_type: str = "application/json") -> dict[str, Any]:
    """The values of the named examples on a request body or a response, by name."""
    found = media_object(document, operation, where, media_type).get("examples", {})
    return {name: resolve(document, example)["value"] for name, example in found.items()}


def named_example(document: dict[str, Any], operation_id: str, where: str, name: str) -> Any:
    """One named example's value, where a transcribed document body is expected verbatim."""
    return named_examples(document, operation_by_id(document, operation_id), where)[name]


# --- validating values against the document's schemas ----------------------------------------


def anchored(node: Any, uri: str) -> Any:
    """A copy of a schema taken out of its document whose local refs still point into it."""
    if isinstance(node, dict):
        return {key: (uri + value if key == "$ref" and isinstance(value, str)
                      and value.startswith("#") else anchored(value, uri))
                for key, value in node.items()}
    if isinstance(node, list):
        return [anchored(value, uri) for value in node]
    return node


def _validator(document: dict[str, Any], schema: Any, specification: Any,
               cls: type[jsonschema.Validator]) -> jsonschema.Validator:
    resource = Resource.from_contents(document, default_specification=specification)
    registry = Registry().with_resource(DOCUMENT_URI, resource)
    return cls(anchored(schema, DOCUMENT_URI), registry=registry,
               format_checker=jsonschema.FormatChecker())


def openapi_validator(document: dict[str, Any], schema: Any) -> jsonschema.Validator:
    """OpenAPI 3.1's dialect (JSON Schema 2020-12), formats checked: a value that passes here
    is one a client generated from the contract would accept."""
    return _validator(document, schema, DRAFT202012, jsonschema.Draft202012Validator)


def asyncapi_validator(document: dict[str, Any], schema: Any) -> jsonschema.Validator:
    """AsyncAPI 3.0's default schema format (JSON Schema draft 7), formats checked."""
    return _validator(document, schema, DRAFT7, jsonschema.Draft7Validator)


def is_valid(document: dict[str, Any], schema: Any, value: Any) -> bool:
    """Whether a value passes a schema of an OpenAPI document (for bounds: good in, bad out)."""
    return openapi_validator(document, schema).is_valid(value)


def component(document: dict[str, Any], name: str) -> jsonschema.Validator:
    """A validator for one of the document's component schemas (OpenAPI or AsyncAPI)."""
    schema = {"$ref": f"#/components/schemas/{name}"}
    if "asyncapi" in document:
        return asyncapi_validator(document, schema)
    return openapi_validator(document, schema)


def at(document: dict[str, Any], pointer: str) -> jsonschema.Validator:
    """A validator for the schema found at a JSON pointer in an OpenAPI document."""
    return openapi_validator(document, {"$ref": "#" + pointer})


def schema_errors(validator: jsonschema.Validator, value: Any) -> list[str]:
    """Every complaint, with where it sits, so a failing example says what to fix."""
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)]


# --- the documents are valid by their own specifications ------------------------------------


def official_asyncapi_schema() -> dict[str, Any] | None:
    """The official AsyncAPI 3.0.0 JSON Schema, found where the project's lint finds it (npm's
    `@asyncapi/specs`, installed by `make install`); None when it is not installed."""
    try:
        from conformance.lint.asyncapi_schemas import SchemasMissing, schema_for
    except ImportError:
        return None
    try:
        return schema_for("3.0.0")
    except SchemasMissing:
        return None


def assert_openapi_document_valid(document: dict[str, Any]) -> None:
    """OpenAPI 3.1.0 as openapi-spec-validator reads it: what Connexion and Schemathesis load."""
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)


def assert_asyncapi_document_valid(document: dict[str, Any]) -> None:
    """AsyncAPI 3.0.0 by the official JSON Schema; skipped (never passed) when it is missing."""
    assert document["asyncapi"] == "3.0.0"
    schema = official_asyncapi_schema()
    if schema is None:
        pytest.skip("the official AsyncAPI 3.0.0 JSON Schema is not installed (make install)")
    assert asyncapi_document_errors(document, schema) == []


def asyncapi_document_errors(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Where the document breaks the official schema (messages cut short: its `oneOf`s are long)."""
    return [f"{list(error.absolute_path)}: {error.message[:200]}"
            for error in jsonschema.Draft7Validator(schema).iter_errors(document)]


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


def keyword_slips(*documents: dict[str, Any]) -> list[str]:
    """Schema keys no validator reads: each is a constraint the author meant and nobody checks."""
    return [slip for document in documents
            for where, schema in all_schemas(document)
            for slip in schema_keyword_slips(schema, where)]


def is_lower_camel_case(name: str) -> bool:
    """The operationId convention every contract follows (listUsers, refreshToken, ...)."""
    return re.fullmatch(r"[a-z][a-zA-Z0-9]*", name) is not None


def operation_ids(document: dict[str, Any]) -> list[str]:
    """Every operationId, webhooks included: they share one namespace in a generated client."""
    return [operation["operationId"]
            for _, _, operation in (*operations(document), *webhook_operations(document))]


# --- security -------------------------------------------------------------------------------


def security_of(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """An operation's security requirements, the document's default when it declares none."""
    return operation.get("security", document.get("security", []))


def is_public(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    """Public means explicitly no requirement; anything else needs credentials."""
    return security_of(document, operation) == []


def assert_operation_documented(document: dict[str, Any], method: str, path: str,
                                operation_id: str, public: bool, statuses: set[str]) -> dict[str, Any]:
    """The row of a transcribed operation table: the operation is there, named, tagged, as
    public as the document says, and documents at least the statuses the document shows."""
    assert path in document["paths"], f"{path} missing"
    operation = document["paths"][path].get(method)
    assert operation is not None, f"{method.upper()} {path} missing"
    assert operation["operationId"] == operation_id
    assert operation.get("tags")
    assert is_public(document, operation) is public
    documented = set(operation["responses"])
    assert statuses <= documented, statuses - documented
    return operation


# --- examples -------------------------------------------------------------------------------


def _holder_examples(document: dict[str, Any], holder: dict[str, Any],
                     where: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """The `example` and named `examples` of a parameter, header or media type."""
    if "schema" not in holder:
        return
    if "example" in holder:
        yield where, holder["schema"], holder["example"]
    for name, example in holder.get("examples", {}).items():
        example = resolve(document, example)
        if "value" in example:
            yield f"{where} {name}", holder["schema"], example["value"]


def openapi_examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every (where, schema, example value) in an OpenAPI document: component schemas' own
    examples, component headers and parameters, and each operation's (webhooks too) parameters,
    request body and responses. Clients and the mock both serve these, so each must be valid."""
    components = document.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        ref = {"$ref": f"#/components/schemas/{name}"}
        for index, value in enumerate(schema.get("examples", [])):
            yield f"schemas/{name}/examples/{index}", ref, value
        if "example" in schema:
            yield f"schemas/{name}/example", ref, schema["example"]
    for kind in ("headers", "parameters"):
        for name, holder in components.get(kind, {}).items():
            yield from _holder_examples(document, resolve(document, holder), f"{kind}/{name}")
    for method, path, operation in (*operations(document), *webhook_operations(document)):
        for param in operation.get("parameters", []):
            param = resolve(document, param)
            # '?limit' for a query parameter, 'header token' or 'path user_id' for the others
            where = param.get("in")
            label = f"?{param['name']}" if where == "query" else f"{where} {param['name']}"
            yield from _holder_examples(document, param, f"{method} {path} {label}")
        bodies = [("request", resolve(document, operation.get("requestBody", {})))]
        bodies += [(status, resolve(document, response))
                   for status, response in operation["responses"].items()]
        for label, body in bodies:
            for name, header in body.get("headers", {}).items():
                if "$ref" not in header:  # a component header is checked once, above
                    yield from _holder_examples(document, header, f"{method} {path} {label} header {name}")
            for media_type, media_object in body.get("content", {}).items():
                yield from _holder_examples(document, media_object,
                                            f"{method} {path} {label} {media_type}")


def asyncapi_examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every (where, schema, example value) in an AsyncAPI document: message examples against
    their payload, component schemas' own examples against the schema."""
    components = document.get("components", {})
    for name, message in components.get("messages", {}).items():
        for example in message.get("examples", []):
            yield f"messages/{name}/{example.get('name')}", message["payload"], example["payload"]
    for name, schema in components.get("schemas", {}).items():
        for index, value in enumerate(schema.get("examples", [])):
            yield f"schemas/{name}/examples/{index}", {"$ref": f"#/components/schemas/{name}"}, value


def example_cases(examples: Iterator[tuple[str, Any, Any]]) -> list[Any]:
    """(where, schema, value) triples as pytest parameters named by where they sit."""
    return [pytest.param(where, schema, value, id=where) for where, schema, value in examples]


def nested_schema_examples(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(pointer, example) for every `examples` list on any schema inside components/schemas,
    properties included: an example on a property is shown in docs just like a top-level one."""

    def walk(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            is_schema = "type" in node or "$ref" in node or "enum" in node
            if isinstance(node.get("examples"), list) and is_schema:
                for value in node["examples"]:
                    yield pointer, value
            for key, value in node.items():
                yield from walk(value, pointer + pointer_of(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{pointer}/{index}")

    yield from walk(document.get("components", {}).get("schemas", {}), "/components/schemas")


def holder_examples(document: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, example value) for every `example`/named `examples` next to a
    `schema` anywhere under paths, webhooks and components, including holders no operation
    uses yet (components/responses, components/requestBodies): those get copied into clients."""

    def from_holder(holder: dict[str, Any], pointer: str) -> Iterator[tuple[str, str, Any]]:
        schema_at = pointer + "/schema"
        if "example" in holder:
            yield pointer + "/example", schema_at, holder["example"]
        for name, example in holder.get("examples", {}).items():
            example = resolve(document, example)
            if "value" in example:
                yield f"{pointer}/examples/{name}", schema_at, example["value"]

    def walk(node: Any, pointer: str) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, dict):
            if "schema" in node and ("examples" in node or "example" in node):
                yield from from_holder(node, pointer)
            for key, value in node.items():
                if key in {"examples", "example"}:
                    continue
                yield from walk(value, pointer + pointer_of(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{pointer}/{index}")

    for section in ("paths", "webhooks", "components"):
        yield from walk(document.get(section, {}), pointer_of(section))


def schema_pointer(document: dict[str, Any], pointer: str) -> str:
    """Where the schema at `pointer` really lives (follows a `$ref` on the schema object itself)."""
    node: Any = document
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return node["$ref"].removeprefix("#")
    return pointer


def request_schema_pointer(document: dict[str, Any], operation_id: str) -> str:
    """The pointer to an operation's JSON request body schema."""
    method, path = path_of(document, operation_id)
    return schema_pointer(document, pointer_of("paths", path, method, "requestBody", "content",
                                               "application/json", "schema"))


def response_schema_pointer(document: dict[str, Any], operation_id: str, status: str) -> str:
    """The pointer to an operation's JSON response schema, through a referenced response."""
    method, path = path_of(document, operation_id)
    response = operation_by_id(document, operation_id)["responses"][status]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#") + pointer_of("content", "application/json", "schema")
    else:
        pointer = pointer_of("paths", path, method, "responses", status, "content",
                             "application/json", "schema")
    return schema_pointer(document, pointer)


# --- the error envelope ---------------------------------------------------------------------


def render(template: Any, values: dict[str, Any]) -> Any:
    """The body an x-apitwin.errors template declares, with its placeholders filled (a string
    that is exactly one placeholder takes the value itself, object or list)."""
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


def declared_error_body(document: dict[str, Any], operation: dict[str, Any], status: str,
                        values: dict[str, Any]) -> Any:
    """What the mock renders for `status` on `operation`: the API's envelope (its validation
    form for the validation status), or the operation's own x-apitwin-errors laid over it."""
    errors = document["x-apitwin"]["errors"]
    override = operation.get("x-apitwin-errors", {})
    codes = {**errors["codes"], **override.get("codes", {})}
    template = override.get("body", errors["body"])
    if "validation_body" in errors and status == str(errors["validation_status"]) and not override:
        template = errors["validation_body"]
    return render(template, {**values, "code": codes.get(status)})


def error_responses(
    document: dict[str, Any],
) -> Iterator[tuple[str, str, dict[str, Any], str, dict[str, Any]]]:
    """(method, path, operation, status, response) for every 4xx/5xx an operation documents."""
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                yield method, path, operation, status, resolve(document, response)


def error_schema(response: dict[str, Any]) -> Any:
    """The JSON schema of an error response: every error answers in JSON, whatever the API."""
    return response["content"]["application/json"]["schema"]


# --- AsyncAPI operations --------------------------------------------------------------------


def asyncapi_operations(document: dict[str, Any], action: str) -> dict[str, dict[str, Any]]:
    """The AsyncAPI operations of one action ('send' or 'receive'), by name."""
    return {name: op for name, op in document["operations"].items() if op["action"] == action}


def message_keys(operation: dict[str, Any]) -> set[str]:
    """The message keys an operation (or a reply) names; none when it names no messages."""
    return {ref["$ref"].rsplit("/", 1)[-1] for ref in operation.get("messages", [])}
