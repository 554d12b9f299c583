"""The OpenAPI 3.0 view of 3.1 documents: each 3.1 feature, and what cannot be expressed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from mock_server.contracts.bundle import bundled_apis
from mock_server.contracts.downgrade import DowngradeError, downgrade
from mock_server.contracts.loader import load_document


def doc_with(schema: dict, **extra) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
                }
            }
        },
        "components": {"schemas": {"X": {"type": "string"}}},
        **extra,
    }


def view_schema(schema: dict) -> dict:
    view = downgrade(doc_with(schema))
    return view["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def test_version_becomes_30_and_view_is_valid_30():
    view = downgrade(doc_with({"type": ["string", "null"]}))
    assert view["openapi"].startswith("3.0.")
    validate(view)


def test_30_document_passes_through_untouched():
    document = doc_with({"type": "string", "nullable": True})
    document["openapi"] = "3.0.3"
    assert downgrade(document) is document


def test_original_is_not_modified():
    document = doc_with({"type": ["string", "null"], "const": "x"})
    before = copy.deepcopy(document)
    downgrade(document)
    assert document == before


def test_type_array_with_null_becomes_nullable():
    assert view_schema({"type": ["string", "null"], "maxLength": 3}) == {"type": "string", "nullable": True, "maxLength": 3}


def test_type_array_of_several_types_becomes_any_of():
    schema = view_schema({"type": ["string", "integer", "null"]})
    assert schema["anyOf"] == [{"type": "string"}, {"type": "integer"}]
    assert schema["nullable"] is True


def test_null_only_type():
    assert view_schema({"type": "null"}) == {"nullable": True, "enum": [None]}


def test_nullable_enum_gains_null():
    schema = view_schema({"type": ["string", "null"], "enum": ["a", "b"]})
    assert schema["enum"] == ["a", "b", None]


def test_any_of_with_null_branch_becomes_nullable():
    schema = view_schema({"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]})
    assert schema == {"anyOf": [{"$ref": "#/components/schemas/X"}], "nullable": True}


def test_const_becomes_single_enum():
    assert view_schema({"const": "fixed"}) == {"enum": ["fixed"]}


def test_schema_examples_become_example():
    assert view_schema({"type": "string", "examples": ["first", "second"]}) == {"type": "string", "example": "first"}


def test_numeric_exclusive_bounds_become_boolean_form():
    assert view_schema({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}) == {
        "type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 10, "exclusiveMaximum": True,
    }


def test_exclusive_bound_weaker_than_inclusive_one_is_dropped():
    assert view_schema({"type": "number", "minimum": 5, "exclusiveMinimum": 1}) == {"type": "number", "minimum": 5}


def test_ref_with_siblings_is_wrapped_in_all_of():
    schema = view_schema({"$ref": "#/components/schemas/X", "description": "why", "readOnly": True})
    assert schema == {"description": "why", "readOnly": True, "allOf": [{"$ref": "#/components/schemas/X"}]}


def test_plain_ref_stays():
    assert view_schema({"$ref": "#/components/schemas/X"}) == {"$ref": "#/components/schemas/X"}


def test_boolean_schemas():
    schema = view_schema({"type": "object", "properties": {"any": True, "none": False}, "additionalProperties": False})
    assert schema["properties"] == {"any": {}, "none": {"not": {}}}
    assert schema["additionalProperties"] is False


def test_content_encoding_base64_becomes_byte_format():
    assert view_schema({"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"}) == {"type": "string", "format": "byte"}


def test_annotations_are_dropped():
    assert view_schema({"$schema": "x", "$id": "y", "$comment": "z", "type": "string"}) == {"type": "string"}


def test_nested_schemas_are_converted():
    schema = view_schema(
        {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": ["string", "null"]}}},
         "additionalProperties": {"const": 1}, "oneOf": [{"type": "object", "properties": {"n": {"exclusiveMinimum": 2}}}]}
    )
    assert schema["properties"]["tags"]["items"] == {"type": "string", "nullable": True}
    assert schema["additionalProperties"] == {"enum": [1]}
    assert schema["oneOf"][0]["properties"]["n"] == {"minimum": 2, "exclusiveMinimum": True}


def test_top_level_webhooks_and_dialect_dropped():
    document = doc_with({"type": "string"}, webhooks={"ping": {"post": {"responses": {"200": {"description": "ok"}}}}},
                        jsonSchemaDialect="https://spec.openapis.org/oas/3.1/dialect/base")
    document["info"]["summary"] = "short"
    document["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
    view = downgrade(document)
    assert "webhooks" not in view and "jsonSchemaDialect" not in view
    assert "summary" not in view["info"] and view["info"]["license"] == {"name": "MIT"}
    validate(view)


def test_missing_paths_added():
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {}}
    assert downgrade(document)["paths"] == {}


def test_reference_objects_lose_their_siblings():
    document = doc_with({"type": "string"})
    document["paths"]["/things"]["get"]["parameters"] = [{"$ref": "#/components/parameters/P", "description": "3.1 allows this"}]
    document["components"] = {"parameters": {"P": {"name": "p", "in": "query", "schema": {"type": ["integer", "null"]}}}}
    view = downgrade(document)
    assert view["paths"]["/things"]["get"]["parameters"] == [{"$ref": "#/components/parameters/P"}]
    assert view["components"]["parameters"]["P"]["schema"] == {"type": "integer", "nullable": True}


def test_path_item_refs_to_components_are_inlined():
    document = doc_with({"type": "string"})
    document["paths"]["/other"] = {"$ref": "#/components/pathItems/Other"}
    document["components"] = {"pathItems": {"Other": {"get": {"operationId": "other", "responses": {"200": {"description": "ok"}}}}}}
    view = downgrade(document)
    assert view["paths"]["/other"]["get"]["operationId"] == "other"
    assert "pathItems" not in view["components"]


def test_parameters_headers_and_request_bodies_are_converted():
    document = doc_with({"type": "string"})
    operation = document["paths"]["/things"]["get"]
    operation["parameters"] = [{"name": "q", "in": "query", "schema": {"type": ["string", "null"]}}]
    operation["responses"]["200"]["headers"] = {"X-N": {"schema": {"const": 1}}}
    document["paths"]["/things"]["post"] = {
        "operationId": "makeThing",
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"examples": [1]}}}}}},
        "responses": {"201": {"description": "made"}},
    }
    view = downgrade(document)
    assert view["paths"]["/things"]["get"]["parameters"][0]["schema"] == {"type": "string", "nullable": True}
    assert view["paths"]["/things"]["get"]["responses"]["200"]["headers"]["X-N"]["schema"] == {"enum": [1]}
    body = view["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["a"] == {"example": 1}


@pytest.mark.parametrize("keyword, value", [
    ("prefixItems", [{"type": "string"}]),
    ("if", {"type": "string"}),
    ("then", {"required": ["a"]}),
    ("patternProperties", {"^x": {"type": "string"}}),
    ("propertyNames", {"maxLength": 3}),
    ("unevaluatedProperties", False),
    ("unevaluatedItems", False),
    ("$dynamicRef", "#meta"),
    ("$recursiveRef", "#"),
    ("dependentRequired", {"a": ["b"]}),
    ("dependentSchemas", {"a": {"required": ["b"]}}),
    ("contains", {"type": "string"}),
    ("minContains", 2),
])
def test_a_keyword_30_cannot_express_is_left_out_and_named(keyword, value):
    """A valid 3.1 contract is never refused: the view (docs for 3.0 tools) leaves out what 3.0
    cannot say and names it, while validation and generation read the contract itself."""
    schema = view_schema({"type": "object", "properties": {"inner": {"type": "string", keyword: value}}})
    assert schema["properties"]["inner"] == {"type": "string", "x-apitwin-omitted": [keyword]}


@pytest.mark.parametrize("keyword, value", [("$defs", {"Y": {"type": "string"}}), ("$dynamicAnchor", "node"), ("$comment", "c")])
def test_annotations_and_definitions_go_without_a_word(keyword, value):
    assert view_schema({"type": "string", keyword: value}) == {"type": "string"}


def test_a_keyword_whose_meaning_depends_on_a_left_out_one_goes_with_it():
    """`items: false` after `prefixItems` allows the prefix; alone it would allow only `[]`."""
    schema = view_schema({"type": "array", "prefixItems": [{"type": "number"}], "items": False})
    assert schema == {"type": "array", "items": {}, "x-apitwin-omitted": ["prefixItems", "items"]}
    schema = view_schema({"type": "object", "patternProperties": {"^a": {}}, "additionalProperties": False})
    assert schema == {"type": "object", "x-apitwin-omitted": ["patternProperties", "additionalProperties"]}


def test_every_2020_12_keyword_at_once_gives_a_valid_30_view():
    schema = {
        "type": "object", "$defs": {"S": {"type": "string"}},
        "properties": {
            "s": {"$ref": "#/paths/~1things/get/responses/200/content/application~1json/schema/$defs/S"},
            "n": {"$dynamicRef": "#node"}, "a": {"$ref": "#node"},
            "t": {"type": "array", "prefixItems": [{"const": 1}], "contains": {"const": 1}, "items": False},
        },
        "if": {"required": ["s"]}, "then": {"required": ["n"]}, "else": {"required": ["a"]},
        "dependentRequired": {"s": ["t"]}, "unevaluatedProperties": False,
    }
    view = downgrade(doc_with(schema))
    validate(view)
    inner = view["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert inner["s"] == {"x-apitwin-omitted": ["$ref"]}  # its target, under $defs, is left out
    assert inner["a"] == {"x-apitwin-omitted": ["$ref"]}  # an anchor is no 3.0 reference


def test_mutual_tls_is_left_out_with_the_requirements_naming_it():
    document = doc_with({"type": "string"}, components={"securitySchemes": {
        "mtls": {"type": "mutualTLS"}, "key": {"type": "apiKey", "in": "header", "name": "k"}}})
    document["security"] = [{"mtls": []}, {"key": []}]
    document["paths"]["/things"]["get"]["security"] = [{"mtls": [], "key": []}]
    view = downgrade(document)
    assert view["components"]["securitySchemes"] == {"key": {"type": "apiKey", "in": "header", "name": "k"}}
    assert view["security"] == [{"key": []}]
    assert view["paths"]["/things"]["get"]["security"] == []
    validate(view)


def test_an_operation_without_responses_gets_a_default_one():
    document = doc_with({"type": "string"})
    document["paths"]["/things"]["post"] = {"operationId": "makeThing"}
    view = downgrade(document)
    assert view["paths"]["/things"]["post"]["responses"] == {"default": {"description": "Not documented"}}
    validate(view)


def test_ref_keys_in_data_stay_as_they_are():
    """A `$ref` key in an example, a default, an enum or an extension is data: kept, not followed."""
    schema = {"type": "object", "example": {"$ref": "#/nowhere"}, "default": {"$ref": "https://example.invalid/x"},
              "x-ext": {"$ref": "other.yaml#/a"}, "properties": {"$ref": {"type": "string", "enum": [{"$ref": "#/x"}]}}}
    converted = view_schema(schema)
    assert converted["example"] == {"$ref": "#/nowhere"}
    assert converted["x-ext"] == {"$ref": "other.yaml#/a"}
    assert converted["properties"]["$ref"] == {"type": "string", "enum": [{"$ref": "#/x"}]}


def test_unknown_version_is_a_clear_error():
    with pytest.raises(DowngradeError, match="not 3.0 or 3.1"):
        downgrade({"swagger": "2.0", "info": {}, "paths": {}})


@pytest.mark.parametrize("api", [a for a in bundled_apis() if a.openapi], ids=lambda a: a.name)
def test_every_bundled_contract_has_a_valid_30_view(api):
    view = downgrade(load_document(api.openapi), source=str(api.openapi))
    validate(view)


_TESTS = Path(__file__).resolve().parents[1]
THREE_ONE_CONTRACTS = [_TESTS / "mock" / "contracts" / "jsonschema2020.yaml", *sorted((_TESTS / "corpus" / "oas31").glob("*.yaml"))]


@pytest.mark.parametrize("path", THREE_ONE_CONTRACTS, ids=lambda p: p.name)
def test_3_1_contracts_have_valid_30_views(path):
    validate(downgrade(load_document(path), source=str(path)))
