"""Rules for AsyncAPI documents: checked against the official AsyncAPI JSON Schema."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import yaml

from conformance.lint import asyncapi_schemas
from conformance.lint.contract import Contract
from conformance.lint.problems import Finding
from conformance.lint.rules.base import rule
from conformance.lint.schema_errors import issues, pointer_of
from mock_server.contracts import yaml12
from mock_server.contracts.feeds import FeedDeclarationError, find_feeds


@rule("asyncapi-version", ["asyncapi"],
      "the `asyncapi` field names a version the official AsyncAPI JSON Schema package covers",
      gate=True)
def asyncapi_version(contract: Contract) -> Iterator[Finding]:
    document = contract.document
    value = document.get("asyncapi")
    if value is None:
        if "openapi" in document:
            yield Finding("this is an OpenAPI document in an AsyncAPI file's place", pointer="/openapi")
        else:
            yield Finding("no `asyncapi` field: not an AsyncAPI document (expected e.g. `asyncapi: 3.0.0`)",
                          line=1, column=1)
        return
    if not isinstance(value, str):
        yield Finding(f"`asyncapi` must be a string such as '3.0.0', found {value!r}; quote it",
                      pointer="/asyncapi")
        return
    try:
        versions = asyncapi_schemas.supported_versions()
    except asyncapi_schemas.SchemasMissing as missing:
        yield Finding(f"cannot check this file: {missing}", pointer="/asyncapi")
        return
    if value not in versions:
        yield Finding(f"unsupported AsyncAPI version '{value}'; the installed official schemas cover "
                      f"{', '.join(versions)}", pointer="/asyncapi")


@rule("asyncapi-schema", ["asyncapi"], "the document is valid against the official AsyncAPI JSON Schema")
def asyncapi_schema(contract: Contract) -> Iterator[Finding]:
    validator = _validator(contract.document["asyncapi"])
    for issue in issues(validator.iter_errors(contract.document)):
        yield Finding(issue.message, pointer=pointer_of("", issue.path))


@rule("asyncapi-feed", ["asyncapi"],
      "every `x-apitwin-feed` declaration can be followed (an interval of at least 0.01 s, a start and stop the channel has)")
def asyncapi_feed(contract: Contract) -> Iterator[Finding]:
    try:
        find_feeds(contract.document)
    except FeedDeclarationError as error:
        yield Finding(str(error), pointer=error.pointer)


@lru_cache(maxsize=4)
def _validator(version: str) -> Any:
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource

    schema = asyncapi_schemas.schema_for(version)
    if schema is None:  # asyncapi-version has already said so
        raise LookupError(version)
    cls = validator_for(schema)
    # The schema embeds its parts as resources with their own $id; crawling them once up front
    # keeps jsonschema from crawling the whole schema again on every $ref it follows.
    resource = Resource.from_contents(schema, default_specification=_specification(cls))
    registry = Registry().with_resource(schema.get("$id", ""), resource).crawl()
    return cls(schema, registry=registry)


def _specification(cls: Any) -> Any:
    from referencing.jsonschema import specification_with

    return specification_with(cls.META_SCHEMA["$schema"])


#: YAML 1.2 core schema plain scalars that are not strings (as the official parser reads them)
_NON_STRING_TAGS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
}


@rule("string-keys", ["asyncapi"],
      "every mapping key is a string (the official AsyncAPI parser refuses `503:`; write '503':)")
def string_keys(contract: Contract) -> Iterator[Finding]:
    if contract.path.suffix.lower() == ".json":
        return
    try:
        root = yaml12.compose(contract.text)
    except yaml.YAMLError:
        return  # `parse` has said so
    for key in _mapping_keys(root):
        kind = _NON_STRING_TAGS.get(key.tag)
        if kind is None:
            continue
        yield Finding(f"mapping key {key.value} is {kind}, not a string; quote it ('{key.value}')",
                      line=key.start_mark.line + 1, column=key.start_mark.column + 1)


def _mapping_keys(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and not key.style:  # plain, not quoted
                    yield key
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
