"""The `example` rule: every example in a contract is valid against its own schema.

Examples are what the mock serves by name and what tests send, so one that breaks its schema
is a bug in the contract. Checked: OpenAPI `example`/`examples` on media types, parameters and
headers, and `example`/`examples` on schemas; AsyncAPI message examples (payload and headers)
and schema `examples`.

Schemas are read in the dialect of their document: OpenAPI 3.1 is JSON Schema 2020-12 with
OpenAPI's formats, OpenAPI 3.0 its own subset (`nullable`, boolean `exclusiveMinimum`, ...),
AsyncAPI Schema objects JSON Schema draft-07. `$ref`s inside a schema are followed through a
registry of the document (and the files it refers to), so recursive schemas need no copying.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.lint.contract import Contract
from conformance.lint.problems import Finding
from conformance.lint.rules.base import rule
from conformance.lint.schema_errors import issues, pointer_of
from mock_server.contracts.loader import ContractError, load_document
from mock_server.contracts.refs import follow, pointer_join

#: keywords holding one subschema, a list of them, or a map of them (2020-12, draft-07, OAS 3.0)
_ONE_SCHEMA = ("additionalProperties", "items", "not", "if", "then", "else", "contains",
               "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
               "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")

#: AsyncAPI schemaFormat values read as the AsyncAPI/JSON Schema dialect, by prefix
_JSON_SCHEMA_FORMATS = ("application/vnd.aai.asyncapi", "application/schema+json", "application/schema+yaml")
_OPENAPI_SCHEMA_FORMAT = "application/vnd.oai.openapi"


@dataclass(frozen=True)
class _Site:
    """One example and the schema it must satisfy."""

    label: str
    schema_pointer: str
    value: Any
    value_pointer: str  # where the value is written (for the line of a problem)
    exact: bool         # value_pointer is the value itself, so paths inside it can be located
    dialect: str        # oas31 | oas30 | draft7


@rule("example", ["openapi", "asyncapi"],
      "every example (media types, parameters, headers, schemas, AsyncAPI messages) is valid "
      "against its schema, in the document's schema dialect")
def example(contract: Contract) -> Iterator[Finding]:
    document = contract.document
    if contract.kind == "openapi":
        dialect = "oas31" if contract.openapi_minor == "3.1" else "oas30"
        sites = _OpenApiWalk(document, contract.path, dialect).sites()
    else:
        sites = _AsyncApiWalk(document, contract.path).sites()
    validators = _Validators(document, contract.path)
    for site in sites:
        yield from _check(site, validators)


def _check(site: _Site, validators: _Validators) -> Iterator[Finding]:
    validator = validators.for_pointer(site.schema_pointer, site.dialect)
    try:
        found = issues(validator.iter_errors(site.value))
    except Exception:  # noqa: BLE001
        # A schema jsonschema cannot apply (a broken $ref, `type: strin`, `properties: 5`):
        # the `ref` and `*-schema` rules say where it is broken; the example cannot be judged.
        return
    # One value that breaks several keywords (`null` against a non-nullable string enum) is one
    # problem: its messages are said together, once.
    by_path: dict[tuple[Any, ...], list[str]] = {}
    for issue in found:
        by_path.setdefault(tuple(issue.path), []).append(issue.message)
    for path, messages in by_path.items():
        inside = "/".join(str(part) for part in path)
        where = f" at /{inside}" if inside else ""
        pointer = pointer_of(site.value_pointer, path) if site.exact else site.value_pointer
        if site.dialect == "oas30" and _value_at(site.value, path) is None \
                and _nullable_beside_ref(validators, site.schema_pointer, path):
            yield Finding(f"{site.label} has null{where}, but `nullable: true` beside a `$ref` is "
                          "ignored in OpenAPI 3.0 (wrap the $ref in allOf: [...] to keep it)",
                          pointer=pointer, severity="warning")
            continue
        yield Finding(f"{site.label} does not match its schema{where}: {'; '.join(messages)}", pointer=pointer)


def _value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return ...  # not there: not a null
    return value


def _nullable_beside_ref(validators: _Validators, schema_pointer: str, path: tuple[Any, ...]) -> bool:
    """Is the schema of the value at `path` a `$ref` with `nullable: true` beside it? OpenAPI 3.0
    ignores a `$ref`'s siblings, so a null there breaks the schema as written; but the author's
    meaning is plain, and generated vendor contracts are full of it: a warning, not an error."""
    document, base = validators.document, validators.path
    try:
        node: Any = {"$ref": "#" + schema_pointer}
        for part in path:
            node = follow(document, node, base=base)
            if not isinstance(node, dict):
                return False
            node = node.get("items") if isinstance(part, int) else (node.get("properties") or {}).get(part)
    except ContractError:
        return False
    return isinstance(node, dict) and "$ref" in node and node.get("nullable") is True


class _Validators:
    """JSON Schema validators that see the whole document, so `$ref`s resolve where they point."""

    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.uri = path.resolve().as_uri()
        self.document, self.path = document, path
        self._registries: dict[str, Any] = {}

    def _registry(self, dialect: str) -> Any:
        if dialect not in self._registries:
            from referencing import Registry, Resource
            from referencing.exceptions import NoSuchResource
            from referencing.jsonschema import DRAFT4, DRAFT7, DRAFT202012

            specification = {"oas31": DRAFT202012, "oas30": DRAFT4, "draft7": DRAFT7}[dialect]

            def retrieve(uri: str) -> Any:
                if not uri.startswith("file:"):
                    raise NoSuchResource(ref=uri)  # never fetched: contracts are complete on disk
                from urllib.parse import unquote, urlparse

                try:
                    contents = load_document(Path(unquote(urlparse(uri).path)))
                except ContractError:
                    raise NoSuchResource(ref=uri) from None
                return Resource.from_contents(contents, default_specification=specification)

            resource = Resource.from_contents(self.document, default_specification=specification)
            # crawled once here: an uncrawled registry is crawled again on every lookup
            self._registries[dialect] = Registry(retrieve=retrieve).with_resource(self.uri, resource).crawl()
        return self._registries[dialect]

    def for_pointer(self, pointer: str, dialect: str) -> Any:
        from jsonschema import Draft7Validator
        from openapi_schema_validator import (
            OAS30Validator,
            OAS31Validator,
            oas30_format_checker,
            oas31_format_checker,
        )

        cls, formats = {
            "oas31": (OAS31Validator, oas31_format_checker),
            "oas30": (OAS30Validator, oas30_format_checker),
            "draft7": (Draft7Validator, Draft7Validator.FORMAT_CHECKER),
        }[dialect]
        return cls({"$ref": f"{self.uri}#{pointer}"}, registry=self._registry(dialect), format_checker=formats)


def _is_extension(key: str) -> bool:
    return key.startswith("x-")


class _SchemaExamples:
    """Examples written on schemas themselves, found by walking a schema's subschemas."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def walk(self, schema: Any, pointer: str) -> Iterator[_Site]:
        if not isinstance(schema, dict):
            return
        if "example" in schema:
            yield _Site("schema example", pointer, schema["example"], pointer_join(pointer, "example"),
                        True, self.dialect)
        examples = schema.get("examples")
        if self.dialect != "oas30" and isinstance(examples, list):
            for index, value in enumerate(examples):
                yield _Site(f"schema example #{index + 1}", pointer, value,
                            pointer_join(pointer_join(pointer, "examples"), index), True, self.dialect)
        for key in _ONE_SCHEMA:
            if isinstance(schema.get(key), dict):
                yield from self.walk(schema[key], pointer_join(pointer, key))
        for key in _SCHEMA_LISTS:
            if isinstance(schema.get(key), list):
                for index, item in enumerate(schema[key]):
                    yield from self.walk(item, pointer_join(pointer_join(pointer, key), index))
        for key in _SCHEMA_MAPS:
            if isinstance(schema.get(key), dict):
                for name, item in schema[key].items():
                    yield from self.walk(item, pointer_join(pointer_join(pointer, key), name))


class _OpenApiWalk:
    def __init__(self, document: dict[str, Any], path: Path, dialect: str) -> None:
        self.document, self.path, self.dialect = document, path, dialect
        self.schemas = _SchemaExamples(dialect)

    def sites(self) -> Iterator[_Site]:
        components = self.document.get("components")
        if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
            for name, schema in components["schemas"].items():
                yield from self.schemas.walk(schema, pointer_join("/components/schemas", name))
        yield from self._walk(self.document, "", None)

    def _walk(self, value: Any, pointer: str, media_type: str | None) -> Iterator[_Site]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._walk(item, pointer_join(pointer, index), None)
            return
        if not isinstance(value, dict):
            return
        if isinstance(value.get("schema"), dict):
            yield from self._holder_examples(value, pointer, media_type)
            yield from self.schemas.walk(value["schema"], pointer_join(pointer, "schema"))
        for key, item in value.items():
            if _is_extension(key) or key in ("schema", "example", "examples"):
                continue
            if key == "schemas" and pointer == "/components":
                continue  # walked as schemas
            child_media = key if pointer.endswith("/content") else None
            yield from self._walk(item, pointer_join(pointer, key), child_media)

    def _holder_examples(self, holder: dict[str, Any], pointer: str, media_type: str | None) -> Iterator[_Site]:
        """Examples of a media type, parameter or header object, against its `schema`."""
        schema_pointer = pointer_join(pointer, "schema")
        if "example" in holder and _checkable(media_type, holder["example"]):
            yield _Site("example", schema_pointer, holder["example"], pointer_join(pointer, "example"),
                        True, self.dialect)
        examples = holder.get("examples")
        if not isinstance(examples, dict):
            return
        for name, item in examples.items():
            item_pointer = pointer_join(pointer_join(pointer, "examples"), name)
            exact = not (isinstance(item, dict) and "$ref" in item)
            try:
                resolved = follow(self.document, item, base=self.path)
            except ContractError:
                continue  # the `ref` rule reports it
            if not isinstance(resolved, dict) or "value" not in resolved:
                continue  # externalValue: not fetched
            if not _checkable(media_type, resolved["value"]):
                continue
            value_pointer = pointer_join(item_pointer, "value") if exact else item_pointer
            yield _Site(f"example '{name}'", schema_pointer, resolved["value"], value_pointer, exact, self.dialect)


def _checkable(media_type: str | None, value: Any) -> bool:
    """Can an example of this media type be compared with a JSON Schema? JSON always; form
    bodies when written as an object (not already encoded); text when plain; others not."""
    if media_type is None:
        return True
    essence = media_type.split(";")[0].strip().lower()
    if essence in ("application/json", "*/*", "application/*") or essence.endswith("+json"):
        return True
    if essence in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return isinstance(value, dict)
    return essence.startswith("text/")


class _AsyncApiWalk:
    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.document, self.path = document, path

    def sites(self) -> Iterator[_Site]:
        components = self.document.get("components")
        if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
            for name, schema in components["schemas"].items():
                yield from self._schema_sites(schema, pointer_join("/components/schemas", name), None)
        yield from self._walk(self.document, "")

    def _walk(self, value: Any, pointer: str) -> Iterator[_Site]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._walk(item, pointer_join(pointer, index))
            return
        if not isinstance(value, dict):
            return
        if "payload" in value or "headers" in value:
            yield from self._message_sites(value, pointer)
        for key, item in value.items():
            if _is_extension(key) or key in ("payload", "headers", "examples", "schemas"):
                continue
            yield from self._walk(item, pointer_join(pointer, key))

    def _message_sites(self, message: dict[str, Any], pointer: str) -> Iterator[_Site]:
        targets = {}
        for part in ("payload", "headers"):
            if part in message:
                located = self._schema_location(message[part], pointer_join(pointer, part),
                                                message.get("schemaFormat"))
                if located is not None:
                    targets[part] = located
                    yield from self._schema_sites(message[part], pointer_join(pointer, part),
                                                  message.get("schemaFormat"))
        examples = message.get("examples")
        if not isinstance(examples, list):
            return
        for index, item in enumerate(examples):
            if not isinstance(item, dict):
                continue
            name = item.get("name") or f"#{index + 1}"
            item_pointer = pointer_join(pointer_join(pointer, "examples"), index)
            for part in ("payload", "headers"):
                if part in item and part in targets:
                    schema_pointer, dialect = targets[part]
                    yield _Site(f"message example '{name}' {part}", schema_pointer, item[part],
                                pointer_join(item_pointer, part), True, dialect)

    def _schema_location(self, schema: Any, pointer: str, schema_format: Any) -> tuple[str, str] | None:
        """(pointer of the JSON Schema, dialect), None for formats that are not JSON Schema."""
        if isinstance(schema, dict) and "schemaFormat" in schema and "schema" in schema:
            schema_format, pointer = schema["schemaFormat"], pointer_join(pointer, "schema")
        if schema_format is None or not isinstance(schema_format, str):
            return pointer, "draft7"
        if schema_format.startswith(_JSON_SCHEMA_FORMATS):
            return pointer, "draft7"
        if schema_format.startswith(_OPENAPI_SCHEMA_FORMAT):
            return pointer, "oas30"
        return None  # Avro, RAML, Protobuf: not checked here

    def _schema_sites(self, schema: Any, pointer: str, schema_format: Any) -> Iterator[_Site]:
        located = self._schema_location(schema, pointer, schema_format)
        if located is None:
            return
        schema_pointer, dialect = located
        node = schema["schema"] if schema_pointer != pointer else schema
        yield from _SchemaExamples(dialect).walk(node, schema_pointer)
