"""`$ref` keys that are data: property names, example and default values, other tools' `x-`
extensions. They are never followed, and loading a contract never reaches for the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.contracts.loader import ContractError
from mock_server.contracts.refs import broken_refs, iter_refs, refuse_remote_refs, resolve_refs

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "x-tool": {"$ref": "https://example.invalid/tool.yaml"},
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "$ref": {"$ref": "#/components/schemas/Name"},
                    "default": {"type": "string", "default": {"$ref": "#/nowhere"}},
                },
                "example": {"$ref": "#/nowhere"},
                "examples": [{"$ref": "https://example.invalid/a"}],
                "const": {"$ref": "#/nowhere"},
                "enum": [{"$ref": "#/nowhere"}],
                "x-other-tool": {"$ref": "elsewhere.yaml#/x"},
                "x-apitwin-faker": {"$ref": "#/components/schemas/Name"},
            },
            "Name": {"type": "string"},
        },
        "examples": {"one": {"value": {"$ref": "#/nowhere"}}, "two": {"$ref": "#/components/examples/one"}},
    },
}


def test_only_structural_refs_are_found():
    found = sorted(ref for _, ref in iter_refs(DOCUMENT))
    assert found == ["#/components/examples/one", "#/components/schemas/Name", "#/components/schemas/Name"]


def test_no_data_ref_is_reported_broken():
    assert broken_refs(DOCUMENT, base=Path(".")) == []


def test_resolution_follows_a_property_named_ref_and_leaves_data_alone():
    resolved = resolve_refs(DOCUMENT, base=Path("."))
    thing = resolved["components"]["schemas"]["Thing"]
    assert thing["properties"]["$ref"] == {"type": "string"}
    assert thing["example"] == {"$ref": "#/nowhere"}
    assert thing["examples"] == [{"$ref": "https://example.invalid/a"}]
    assert thing["x-other-tool"] == {"$ref": "elsewhere.yaml#/x"}
    assert thing["properties"]["default"]["default"] == {"$ref": "#/nowhere"}
    assert resolved["components"]["examples"]["two"] == {"value": {"$ref": "#/nowhere"}}


def test_data_refs_to_urls_are_no_remote_refs():
    refuse_remote_refs(DOCUMENT, "contract.yaml")  # nothing raised: every URL above is data


def test_a_remote_ref_is_a_clear_error_naming_file_line_and_ref(tmp_path: Path):
    contract = tmp_path / "openapi.yaml"
    contract.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    Pet:\n      $ref: 'https://example.invalid/pet.yaml#/Pet'\n"
    )
    from mock_server.contracts.loader import load_document

    with pytest.raises(ContractError) as caught:
        refuse_remote_refs(load_document(contract), contract)
    message = str(caught.value)
    assert message.startswith(f"{contract}:6:")
    assert "https://example.invalid/pet.yaml#/Pet" in message and "not fetched" in message


def test_schemathesis_gets_data_refs_out_of_its_way_meaning_the_same():
    import jsonschema

    from conformance.http.datarefs import without_data_refs

    assert without_data_refs({"openapi": "3.1.0", "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {}}}}) is None
    document = {
        "openapi": "3.1.0",
        "x-tool": {"$ref": "https://example.invalid/x"},
        "components": {"schemas": {"S": {
            "type": "object",
            "properties": {
                "c": {"const": {"$ref": "a", "n": [1, {"$ref": "b"}]}},
                "e": {"enum": [{"$ref": "x"}, 2, None]},
                "d": {"type": "object", "default": {"$ref": "#/nowhere"}, "example": {"$ref": "#/nowhere"}},
                "$ref": {"type": "string", "examples": [{"$ref": "#/nowhere"}], "x-v": {"$ref": "#/nowhere"}},
            },
        }}},
    }
    view = without_data_refs(document)
    assert view is not None and document["x-tool"] == {"$ref": "https://example.invalid/x"}  # the original is untouched
    assert "x-tool" not in view
    rewritten = view["components"]["schemas"]["S"]
    assert "default" not in rewritten["properties"]["d"] and "example" not in rewritten["properties"]["d"]
    assert rewritten["properties"]["$ref"] == {"type": "string"}
    original = jsonschema.Draft202012Validator(document["components"]["schemas"]["S"])
    spelled = jsonschema.Draft202012Validator(rewritten)
    for instance in ({"c": {"$ref": "a", "n": [1, {"$ref": "b"}]}}, {"c": {"$ref": "a", "n": [1, {"$ref": "c"}]}},
                     {"c": {"$ref": "a"}}, {"e": {"$ref": "x"}}, {"e": 2}, {"e": None}, {"e": {"$ref": "y"}}, {"e": 3}):
        assert original.is_valid(instance) == spelled.is_valid(instance), instance
