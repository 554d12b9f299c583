"""Unit tests: request and response views (``readOnly``/``writeOnly``) and number-format ranges."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conformance.contract import Contract
from conformance.http.access_marks import with_visible_marks
from mock_server.contracts.directions import REQUEST, RESPONSE, carries, has_marks, view, without_hidden
from mock_server.contracts.number_formats import ranged
from mock_server.datagen.generator import DataGenerator
from mock_server.http.schema_resources import DirectedResources
from mock_server.http.validation import SchemaCompiler, _anchored

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {},
    "components": {"schemas": {
        "Id": {"type": "integer", "format": "int64", "readOnly": True},
        "Stored": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"},
                                                    "created_at": {"type": "string", "readOnly": True}}},
        "User": {
            "allOf": [
                {"$ref": "#/components/schemas/Stored"},
                {"type": "object", "required": ["id", "created_at", "name", "password"],
                 "properties": {"name": {"type": "string"},
                                "password": {"anyOf": [{"type": "string", "writeOnly": True}, {"type": "null"}]},
                                "age": {"type": "integer", "format": "int32"}}},
            ],
        },
        "Team": {"type": "object", "required": ["owner"],
                 "properties": {"owner": {"$ref": "#/components/schemas/User"},
                                "members": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}},
        # a property literally named `required` is a name, not the keyword
        "Odd": {"type": "object", "required": ["required"], "properties": {"required": {"type": "string", "readOnly": True}},
                "example": {"required": ["id"]}},
    }},
}
USER = {"$ref": "#/components/schemas/User"}
TEAM = {"$ref": "#/components/schemas/Team"}


def test_the_flag_is_found_behind_refs_all_of_and_nullable_unions() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert carries({"$ref": "#/components/schemas/Id"}, "readOnly", DOCUMENT)
    assert carries(schemas["User"]["allOf"][1]["properties"]["password"], "writeOnly", DOCUMENT)
    assert not carries(schemas["User"]["allOf"][1]["properties"]["name"], "readOnly", DOCUMENT)
    assert has_marks(DOCUMENT) and not has_marks({"type": "object", "example": {"readOnly": True}})


def test_views_drop_only_what_each_direction_hides_even_from_a_sibling_part() -> None:
    requested = view(DOCUMENT["components"], REQUEST, DOCUMENT)["schemas"]["User"]["allOf"][1]
    answered = view(DOCUMENT["components"], RESPONSE, DOCUMENT)["schemas"]["User"]["allOf"][1]
    assert requested["required"] == ["name", "password"]
    assert answered["required"] == ["id", "created_at", "name"]
    odd = view(DOCUMENT["components"], REQUEST, DOCUMENT)["schemas"]["Odd"]
    assert "required" not in odd and odd["example"] == {"required": ["id"]}


def test_a_view_without_changes_is_the_same_object() -> None:
    plain = {"schemas": {"A": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}}}
    assert view(plain, REQUEST, {"components": plain}) is plain
    assert ranged(plain) is plain


def test_the_compiler_checks_requests_and_answers_against_their_own_views() -> None:
    compiler = SchemaCompiler(DOCUMENT)
    assert compiler.problems(USER, {"name": "a", "password": "p"}, ["body"]) == []
    assert compiler.is_valid(USER, {"id": 1, "created_at": "x", "name": "a"})
    assert not compiler.is_valid(USER, {"name": "a", "password": "p"})  # an answer needs the id
    assert compiler.problems(USER, {"id": 1, "created_at": "x", "name": "a"}, ["body"])  # a request needs the password
    team = {"owner": {"name": "a", "password": "p"}, "members": [{"name": "b", "password": "q"}]}
    assert compiler.problems(TEAM, team, ["body"]) == []


def test_integer_formats_are_ranges_in_3_1_and_3_0() -> None:
    for version in ("3.1.0", "3.0.3"):
        compiler = SchemaCompiler({**DOCUMENT, "openapi": version})
        age = {"type": "integer", "format": "int32"}
        assert compiler.problems(age, 2**31 - 1, ["query", "age"]) == []
        assert compiler.problems(age, -(2**31), ["query", "age"]) == []
        assert compiler.problems(age, 2**31, ["query", "age"])
        assert compiler.problems({"type": "integer", "format": "int64"}, 2**63, ["body"])
        assert compiler.problems(USER, {"name": "a", "password": "p", "age": 2**31}, ["body"])
        # a declared bound tighter than the format stays; a looser one cannot widen it
        assert compiler.problems({"type": "integer", "format": "int32", "maximum": 5}, 6, ["body"])
        assert compiler.problems({"type": "integer", "format": "int32", "maximum": 2**40}, 2**31, ["body"])
        # float and double bound generation only (see contracts/number_formats.py)
        assert compiler.problems({"type": "number", "format": "float"}, 1e39, ["body"]) == []


def test_client_sent_read_only_values_are_dropped_at_every_level() -> None:
    sent = {"owner": {"id": 9, "name": "a", "password": "p"}, "members": [{"id": 3, "created_at": "x", "name": "b"}], "extra": 1}
    assert without_hidden(sent, TEAM, REQUEST, DOCUMENT) == {
        "owner": {"name": "a", "password": "p"}, "members": [{"name": "b"}], "extra": 1}


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_values_follow_the_direction_whatever_the_seed(seed: int) -> None:
    generator = DataGenerator(seed, optional_rate=1.0)
    answer = generator.value(USER, root=DOCUMENT)
    request = generator.value(USER, root=DOCUMENT, mode="request")
    assert "password" not in answer and {"id", "created_at", "name"} <= set(answer)
    assert "id" not in request and "created_at" not in request and "password" in request
    assert -(2**31) <= answer.get("age", 0) < 2**31 and -(2**63) <= answer["id"] < 2**63
    compiler = SchemaCompiler(DOCUMENT)
    assert compiler.is_valid(USER, answer) and compiler.problems(USER, request, ["body"]) == []


def test_generated_floats_stay_inside_single_precision() -> None:
    generator = DataGenerator(1)
    schema = {"type": "number", "format": "float", "minimum": -1e300, "maximum": 1e300}
    assert all(abs(generator.value(schema)) <= 3.4028234663852886e38 for _ in range(50))


def test_the_suite_builds_request_bodies_and_judges_answers_by_direction() -> None:
    contract = Contract(name="units", openapi_path=None, document=DOCUMENT)
    assert contract.schema_errors(USER, {"name": "a", "password": "p"}, REQUEST) == []
    assert contract.schema_errors(USER, {"name": "a", "password": "p"})  # as an answer: no id
    assert contract.schema_errors(USER, {"id": 1, "created_at": "x", "name": "a"}) == []


def test_an_inline_schema_in_the_paths_is_viewed_too() -> None:
    body = {"type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "integer", "readOnly": True}, "name": {"$ref": "#/components/schemas/Name"}}}
    document = {"openapi": "3.1.0", "components": {"schemas": {"Name": {"type": "string"}}},
                "paths": {"/things": {"post": {"requestBody": {"content": {"application/json": {"schema": body}}}}}}}
    compiler = SchemaCompiler(document)
    assert compiler.problems(body, {"name": "a"}, ["body"]) == []
    assert not compiler.is_valid(body, {"name": "a"})


def test_only_what_differs_is_registered_again() -> None:
    components = SchemaCompiler(DOCUMENT).components
    built = DirectedResources(DOCUMENT, components, "urn:t", (REQUEST, RESPONSE), _anchored)
    overlays = {uri: set(contents["components"]["schemas"]) for uri, contents in built.resources[1:]}
    # Stored and Id differ in no view; User does, and Team refers to it
    assert overlays == {"urn:t:request": {"User", "Team", "Odd"}, "urn:t:response": {"User", "Team"}}
    assert built.resolver(REQUEST)("#/components/schemas/Id") == "urn:t#/components/schemas/Id"
    assert built.resolver(REQUEST)("#/components/schemas/Team") == "urn:t:request#/components/schemas/Team"


def test_schemathesis_gets_the_flags_beside_the_required_that_names_them() -> None:
    document = {"openapi": "3.0.3", "paths": {}, "components": {"schemas": {
        "Stored": {"type": "object", "properties": {"id": {"type": "integer", "readOnly": True}}},
        "Secret": {"type": "object", "properties": {"password": {"type": "string", "writeOnly": True}}},
        "Account": {"allOf": [{"$ref": "#/components/schemas/Stored"}, {"$ref": "#/components/schemas/Secret"},
                              {"type": "object", "required": ["id", "name", "password"],
                               "properties": {"name": {"type": "string"}}}]},
        "Plain": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
    }}}
    shown = with_visible_marks(document)["components"]["schemas"]
    account = shown["Account"]
    assert account["required"] == ["id", "password"] and account["allOf"][2]["required"] == ["name"]
    assert account["properties"] == {"id": {"readOnly": True}, "password": {"writeOnly": True}}
    assert shown["Plain"] is document["components"]["schemas"]["Plain"]
    plain = {"openapi": "3.0.3", "components": {"schemas": {"Plain": shown["Plain"]}}}
    assert with_visible_marks(plain) is plain
    # the same instances are valid before and after, in either direction
    for direction in (REQUEST, RESPONSE):
        before, after = SchemaCompiler(document), SchemaCompiler(with_visible_marks(document))
        ref = {"$ref": "#/components/schemas/Account"}
        for value in ({"name": "a"}, {"id": 1, "name": "a"}, {"name": "a", "password": "p"}, {"id": 1, "name": "a", "password": "p"}):
            assert before.is_valid(ref, value, direction) == after.is_valid(ref, value, direction), (direction, value)
