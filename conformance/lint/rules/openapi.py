"""Rules for OpenAPI 3.0 and 3.1 documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.lint.contract import Contract
from conformance.lint.problems import Finding
from conformance.lint.rules.base import rule
from conformance.lint.schema_errors import issues, pointer_of
from conformance.lint.spec_validator import spec_errors
from mock_server.contracts.refs import broken_refs, pointer_join

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@rule("openapi-version", ["openapi"],
      "the `openapi` field names a supported version: 3.0.x or 3.1.x", gate=True)
def openapi_version(contract: Contract) -> Iterator[Finding]:
    document = contract.document
    value = document.get("openapi")
    if value is None:
        if "swagger" in document:
            yield Finding(f"Swagger {document['swagger']} is not supported; apitwin reads OpenAPI 3.0 "
                          "and 3.1 (convert the document first)", pointer="/swagger")
        elif "asyncapi" in document:
            yield Finding("this is an AsyncAPI document in an OpenAPI file's place", pointer="/asyncapi")
        else:
            yield Finding("no `openapi` field: not an OpenAPI document (expected e.g. `openapi: 3.1.0`)",
                          line=1, column=1)
        return
    if not isinstance(value, str):
        yield Finding(f"`openapi` must be a string such as '3.1.0', found {value!r}; quote it",
                      pointer="/openapi")
    elif contract.openapi_minor is None:
        yield Finding(f"unsupported OpenAPI version '{value}'; supported: 3.0.x and 3.1.x",
                      pointer="/openapi")


@rule("openapi-schema", ["openapi"],
      "the document is valid OpenAPI (openapi-spec-validator, for its own version, offline)")
def openapi_schema(contract: Contract) -> Iterator[Finding]:
    from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError

    found: list[tuple[Finding, bool]] = []  # (finding, vague: a oneOf/anyOf that names no cause)
    for item in spec_errors(contract.document, contract.path, contract.openapi_minor or "3.0"):
        if item.crashed:
            # A broken, remote or circular $ref, or a shape it cannot walk, stops the validator;
            # when the `ref` rule or the errors already reported explain it, the crash adds nothing.
            if not found and not broken_refs(contract.document, base=contract.path):
                crash = item.error
                found.append((Finding(
                    f"openapi-spec-validator stopped: {type(crash).__name__}: {_first_line(crash)}",
                    pointer=item.place.pointer if item.place else "",
                    file=item.place.file if item.place else None), False))
            break
        error = item.error
        if isinstance(error, DuplicateOperationIDError):
            continue  # `operation-id-unique` says this, with both places
        leaves = issues([error]) if hasattr(error, "validator") else []  # opens up anyOf/oneOf
        message = leaves[0].message if len(leaves) == 1 else _first_line(getattr(error, "message", error))
        vague = "matches none of the allowed forms" in message or "is not valid under any of the schemas" in message
        if item.place is not None:
            found.append((Finding(message, pointer=item.place.pointer, file=item.place.file), vague))
        else:
            path = [str(part) if not isinstance(part, int) else part for part in getattr(error, "path", ())]
            pointer = _locatable(contract.document, path, getattr(error, "instance", None))
            found.append((Finding(message, pointer=pointer), vague))
    yield from _precise(found)


def _precise(found: list[tuple[Finding, bool]]) -> Iterator[Finding]:
    """The findings without the vague ones that a precise one explains. The whole-document pass
    says "a parameter matches none of the allowed forms" where the schema check of the same run
    says which keyword inside it is wrong: one problem, told once, where it is."""
    for finding, vague in found:
        if vague and any(
            other is not finding and other.file == finding.file
            and _within(other.pointer or "", finding.pointer or "")
            for other, _ in found
        ):
            continue
        yield finding


def _within(pointer: str, container: str) -> bool:
    return pointer == container or pointer.startswith(container + "/")


def _first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def _locatable(document: dict[str, Any], path: list[Any], instance: Any) -> str:
    """The pointer of an error. openapi-spec-validator reports errors inside a Schema object
    relative to that schema; then the schema is found by searching for the instance."""
    if _exists(document, path) and (path or instance is document):
        return pointer_of("", path)
    for pointer in _pointers_ending_with(document, path, instance):
        return pointer
    return ""


_MISSING = object()


def _get(document: Any, path: list[Any]) -> Any:
    value = document
    for part in path:
        if isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return _MISSING
    return value


def _exists(document: Any, path: list[Any]) -> bool:
    return _get(document, path) is not _MISSING


def _value_at(document: Any, path: list[Any], expected: Any) -> bool:
    return _get(document, path) == expected


def _pointers_ending_with(value: Any, suffix: list[Any], expected: Any, pointer: str = "") -> Iterator[str]:
    if _value_at(value, suffix, expected):
        yield pointer_of(pointer, suffix)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _pointers_ending_with(item, suffix, expected, pointer_join(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pointers_ending_with(item, suffix, expected, pointer_join(pointer, index))


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`(pointer, operation)` for every operation in paths, webhooks and callbacks."""
    for section in ("paths", "webhooks"):
        items = document.get(section)
        if isinstance(items, dict):
            for key, path_item in items.items():
                yield from _path_item_operations(path_item, pointer_join(f"/{section}", key))
    components = document.get("components")
    if isinstance(components, dict) and isinstance(components.get("pathItems"), dict):
        for key, path_item in components["pathItems"].items():
            yield from _path_item_operations(path_item, pointer_join("/components/pathItems", key))


def _path_item_operations(path_item: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(path_item, dict):
        return
    for method in HTTP_METHODS:
        operation = path_item.get(method)
        if not isinstance(operation, dict):
            continue
        operation_pointer = pointer_join(pointer, method)
        yield operation_pointer, operation
        callbacks = operation.get("callbacks")
        if isinstance(callbacks, dict):
            for name, callback in callbacks.items():
                if isinstance(callback, dict):
                    for expression, item in callback.items():
                        yield from _path_item_operations(
                            item, pointer_join(pointer_join(pointer_join(operation_pointer, "callbacks"), name), expression))


@rule("operation-id", ["openapi"],
      "every operation has an operationId (optional in OpenAPI, so a warning: tools name "
      "operations by it)", severity="warning")
def operation_id(contract: Contract) -> Iterator[Finding]:
    for pointer, operation in operations(contract.document):
        value = operation.get("operationId")
        method, where = _describe_operation(pointer)
        if value is None:
            yield Finding(f"operation {method} {where} has no operationId", pointer=pointer)
        elif isinstance(value, str) and not value.strip():  # not a string: `openapi-schema` says so
            yield Finding(f"operation {method} {where} has an empty operationId",
                          pointer=pointer_join(pointer, "operationId"))


@rule("operation-id-unique", ["openapi"], "no two operations share an operationId")
def operation_id_unique(contract: Contract) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for pointer, operation in operations(contract.document):
        value = operation.get("operationId")
        if not isinstance(value, str):
            continue
        if value in first:
            method, where = _describe_operation(first[value])
            yield Finding(f"operationId '{value}' is already used by {method} {where}",
                          pointer=pointer_join(pointer, "operationId"))
        else:
            first[value] = pointer


def _describe_operation(pointer: str) -> tuple[str, str]:
    from mock_server.contracts.loader import split_pointer

    parts = split_pointer(pointer)
    return parts[-1].upper(), parts[-2] if len(parts) >= 2 else pointer


@rule("link-operation", ["openapi"],
      "every link names an operation of this document (operationId) or a resolvable operationRef")
def link_operation(contract: Contract) -> Iterator[Finding]:
    from mock_server.contracts.loader import ContractError
    from mock_server.contracts.refs import follow

    document = contract.document
    known = {op.get("operationId") for _, op in operations(document) if isinstance(op.get("operationId"), str)}
    for pointer, link in _links(document):
        if "operationId" in link:
            target = link["operationId"]
            if target not in known:
                close = _close(str(target), known)
                yield Finding(f"link to operationId '{target}', which no operation has{close}",
                              pointer=pointer_join(pointer, "operationId"))
        elif "operationRef" in link:
            try:
                resolved = follow(document, {"$ref": link["operationRef"]}, base=contract.path)
            except ContractError as error:
                yield Finding(f"operationRef does not resolve: {error.cause}", pointer=pointer_join(pointer, "operationRef"))
                continue
            if not isinstance(resolved, dict) or "responses" not in resolved:
                yield Finding(f"operationRef '{link['operationRef']}' does not point at an operation",
                              pointer=pointer_join(pointer, "operationRef"))
        elif "$ref" not in link:
            yield Finding("a link needs an operationId or an operationRef", pointer=pointer)


def _links(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`(pointer, link)` for links on responses of every operation and in components."""
    for operation_pointer, operation in operations(document):
        responses = operation.get("responses")
        if not isinstance(responses, dict):
            continue
        for status, response in responses.items():
            links = response.get("links") if isinstance(response, dict) else None
            if isinstance(links, dict):
                base = pointer_join(pointer_join(pointer_join(operation_pointer, "responses"), status), "links")
                for name, link in links.items():
                    if isinstance(link, dict):
                        yield pointer_join(base, name), link
    components = document.get("components")
    if isinstance(components, dict):
        for section, prefix in (("links", "/components/links"),):
            items = components.get(section)
            if isinstance(items, dict):
                for name, link in items.items():
                    if isinstance(link, dict):
                        yield pointer_join(prefix, name), link
        responses = components.get("responses")
        if isinstance(responses, dict):
            for name, response in responses.items():
                links = response.get("links") if isinstance(response, dict) else None
                if isinstance(links, dict):
                    for link_name, link in links.items():
                        if isinstance(link, dict):
                            yield pointer_join(pointer_join(pointer_join("/components/responses", name), "links"), link_name), link


def _close(name: str, known: set[str]) -> str:
    import difflib

    matches = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{matches[0]}'?" if matches else ""
