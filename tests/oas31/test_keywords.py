"""Each JSON Schema 2020-12 keyword OpenAPI 3.1 allows, on its own: the mock's request validator
accepts what it allows and refuses what it does not, and the data generator produces values
valid against it (checked with python-jsonschema, seed by seed, so a failure names its seed)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.datagen import DataGenerator
from mock_server.http.validation import SchemaCompiler
from tests.oas31.schemacheck import errors

SEEDS = range(25)

#: keyword -> (schema, extra component schemas, valid instances, invalid instances)
CASES: dict[str, tuple[dict, dict, list, list]] = {
    "if/then/else": (
        {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["a", "b"]}, "x": {"type": "integer"}, "y": {"type": "string"}},
         "if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}},
        {}, [{"kind": "a", "x": 1}, {"kind": "b", "y": "s"}], [{"kind": "a", "y": "s"}, {"kind": "b", "x": 1}],
    ),
    "if/then without else": (
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 20}},
         "if": {"properties": {"n": {"minimum": 10}}, "required": ["n"]}, "then": {"properties": {"n": {"multipleOf": 5}}}},
        {}, [{"n": 15}, {"n": 3}, {}], [{"n": 12}],
    ),
    "contains/minContains/maxContains": (
        {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 100}, "contains": {"minimum": 90},
         "minContains": 2, "maxContains": 3},
        {}, [[95, 91], [1, 99, 98, 2]], [[95], [91, 92, 93, 94], [1, 2]],
    ),
    "contains alone": (
        {"type": "array", "items": {"type": "string"}, "contains": {"const": "needle"}},
        {}, [["needle"], ["hay", "needle"]], [[], ["hay"]],
    ),
    "unevaluatedProperties": (
        {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}],
         "properties": {"b": {"type": "integer"}}, "unevaluatedProperties": False},
        {}, [{"a": "x"}, {"a": "x", "b": 1}], [{"a": "x", "c": 1}],
    ),
    "unevaluatedItems": (
        {"type": "array", "prefixItems": [{"type": "string"}], "unevaluatedItems": False, "minItems": 1},
        {}, [["x"]], [["x", 1]],
    ),
    "prefixItems with items false": (
        {"type": "array", "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180}, {"type": "boolean"}],
         "items": False, "minItems": 2},
        {}, [[1.5, True]], [[1.5], [1.5, True, 3], ["x", True]],
    ),
    "prefixItems then items": (
        {"type": "array", "prefixItems": [{"const": "head"}], "items": {"type": "integer"}, "minItems": 2},
        {}, [["head", 1, 2]], [["head", "x"], [1, 2]],
    ),
    "$dynamicRef": (
        {"$ref": "#/components/schemas/Node"},
        {"Node": {"$dynamicAnchor": "node", "type": "object", "required": ["v"], "additionalProperties": False,
                  "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "maxItems": 2, "items": {"$dynamicRef": "#node"}}}}},
        [{"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]}], [{"v": 1, "kids": [{"v": "2"}]}, {"v": 1, "kids": [{"w": 2}]}],
    ),
    "$anchor": (
        {"type": "object", "properties": {"id": {"$ref": "#ident"}}, "required": ["id"]},
        {"Ident": {"$anchor": "ident", "type": "string", "pattern": "^id-[0-9]{3}$"}},
        [{"id": "id-123"}], [{"id": "123"}],
    ),
    "$recursiveRef": (
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "up": {"$recursiveRef": "#"}}},
        {}, [{"name": "a", "up": 1}], [{"up": {}}],
    ),
    "dependentRequired": (
        {"type": "object", "properties": {"card": {"type": "string"}, "cvc": {"type": "string", "pattern": "^[0-9]{3}$"}},
         "dependentRequired": {"card": ["cvc"]}},
        {}, [{}, {"card": "x", "cvc": "123"}, {"cvc": "123"}], [{"card": "x"}],
    ),
    "dependentSchemas": (
        {"type": "object", "properties": {"gift": {"type": "boolean"}},
         "dependentSchemas": {"gift": {"properties": {"message": {"type": "string", "minLength": 1}}, "required": ["message"]}}},
        {}, [{}, {"gift": True, "message": "hi"}], [{"gift": True}, {"gift": False, "message": ""}],
    ),
    "const": (
        {"type": "object", "properties": {"v": {"const": 2}, "o": {"const": {"$ref": "#/not/a/ref"}}}, "required": ["v", "o"]},
        {}, [{"v": 2, "o": {"$ref": "#/not/a/ref"}}], [{"v": 3, "o": {"$ref": "#/not/a/ref"}}, {"v": 2, "o": {"$ref": "#/other"}}],
    ),
    "type arrays with null": (
        {"type": ["integer", "null", "string"], "minimum": 5, "maxLength": 2},
        {}, [None, 7, "ab"], [3, "abc", 1.5, True],
    ),
    "$defs": (
        {"$ref": "#/components/schemas/Holder/$defs/Code"},
        {"Holder": {"$defs": {"Code": {"type": "string", "enum": ["A1", "B2"], "examples": ["A1"]}}, "type": "object"}},
        ["A1"], ["C3", 1],
    ),
    "examples is data": (
        {"type": "object", "properties": {"n": {"type": "integer", "examples": [{"$ref": "#/nowhere"}, 3]}}, "required": ["n"],
         "x-vendor": {"$ref": "https://example.invalid/never.yaml"}},
        {}, [{"n": 1}], [{"n": "1"}],
    ),
    "patternProperties and propertyNames": (
        {"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "integer"}}, "propertyNames": {"pattern": "^x-"},
         "additionalProperties": False, "minProperties": 1},
        {}, [{"x-a": 1}], [{"y": 1}, {"x-a": "1"}],
    ),
    "not": (
        {"type": "string", "enum": ["red", "green", "blue"], "not": {"const": "green"}},
        {}, ["red"], ["green"],
    ),
}


def document_for(schema: dict, components: dict) -> dict[str, Any]:
    return {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"Subject": schema, **components}},
    }


@pytest.mark.parametrize("keyword", list(CASES))
def test_the_request_validator_reads_the_keyword(keyword: str) -> None:
    schema, components, valid, invalid = CASES[keyword]
    document = document_for(schema, components)
    compiler = SchemaCompiler(document)
    subject = document["components"]["schemas"]["Subject"]
    for instance in valid:
        assert compiler.problems(subject, instance, ["body"]) == [], instance
    for instance in invalid:
        assert compiler.problems(subject, instance, ["body"]), instance


@pytest.mark.parametrize("keyword", list(CASES))
def test_the_reference_validator_agrees_with_the_cases(keyword: str) -> None:
    """The cases themselves are right: python-jsonschema reads them the same way."""
    schema, components, valid, invalid = CASES[keyword]
    document = document_for(schema, components)
    for instance in valid:
        assert errors(document, "#/components/schemas/Subject", instance) == [], instance
    for instance in invalid:
        assert errors(document, "#/components/schemas/Subject", instance), instance


@pytest.mark.parametrize("mode", ["response", "request"])
@pytest.mark.parametrize("keyword", list(CASES))
def test_generated_values_are_valid(keyword: str, mode: str) -> None:
    schema, components, _, _ = CASES[keyword]
    document = document_for(schema, components)
    subject = document["components"]["schemas"]["Subject"]
    for seed in SEEDS:
        generator = DataGenerator(seed=seed)
        for value in (generator.value(subject, root=document, mode=mode), generator.value(subject, root=document, mode=mode)):
            assert errors(document, "#/components/schemas/Subject", value) == [], (seed, value)


def test_generation_covers_both_branches_and_is_deterministic() -> None:
    schema, components, _, _ = CASES["if/then/else"]
    document = document_for(schema, components)
    subject = document["components"]["schemas"]["Subject"]
    kinds = {DataGenerator(seed=seed).value(subject, root=document)["kind"] for seed in SEEDS}
    assert kinds == {"a", "b"}
    first = [DataGenerator(seed=3).value(subject, root=document) for _ in range(2)]
    assert first[0] == first[1]


def test_dynamic_ref_recursion_gives_nested_values() -> None:
    schema, components, _, _ = CASES["$dynamicRef"]
    document = document_for(schema, components)
    values = [DataGenerator(seed=seed).value(document["components"]["schemas"]["Subject"], root=document) for seed in SEEDS]
    assert any(isinstance(kid, dict) and isinstance(kid.get("v"), int) for value in values for kid in value.get("kids", []))


def test_a_type_array_error_names_every_type_concrete_first() -> None:
    document = document_for({"type": "object", "properties": {"n": {"type": ["null", "integer"]}}}, {})
    compiler = SchemaCompiler(document)
    (problem,) = compiler.problems(document["components"]["schemas"]["Subject"], {"n": "x"}, ["body"])
    assert problem == {"loc": ["body", "n"], "msg": "value is not a valid integer or null", "type": "type_error.integer"}


def test_content_encoding_base64_generates_base64() -> None:
    import base64

    document = document_for({"type": "string", "contentEncoding": "base64"}, {})
    for seed in SEEDS:
        value = DataGenerator(seed=seed).value(document["components"]["schemas"]["Subject"], root=document)
        assert base64.b64encode(base64.b64decode(value, validate=True)).decode() == value


def test_a_closed_all_of_part_keeps_other_parts_properties_out() -> None:
    """`allOf: [Closed, {properties: {extra}}]` with `additionalProperties: false` in Closed accepts
    no `extra`: generated values leave it out rather than break the closed part."""
    document = document_for(
        {"allOf": [{"$ref": "#/components/schemas/Closed"}, {"type": "object", "properties": {"extra": {"type": "string"}}}]},
        {"Closed": {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}},
    )
    subject = document["components"]["schemas"]["Subject"]
    for seed in SEEDS:
        value = DataGenerator(seed=seed).record(subject, root=document)
        assert "extra" not in value and errors(document, "#/components/schemas/Subject", value) == [], value
