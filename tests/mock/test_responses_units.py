"""Response semantics piece by piece, without a server: documented response keys, content
negotiation, XML/CSV/text representations, static examples composed down a schema, the
documented status of an error and a small documented error body."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mock_server.contracts.operations import collect_operations, response_key
from mock_server.datagen.examples import compose
from mock_server.http.error_bodies import fitted
from mock_server.http.error_status import documented_error
from mock_server.http.errors import ErrorFormat, MockError, validation_error
from mock_server.http.examples import ExampleSource
from mock_server.datagen.generator import DataGenerator
from mock_server.http.negotiation import choose, parse_accept
from mock_server.http.representations import to_csv, to_xml
from mock_server.http.validation import SchemaCompiler


# -- documented response keys ---------------------------------------------------------------

@pytest.mark.parametrize(("responses", "status", "key"), [
    ({"200": {}, "default": {}}, 200, "200"),
    ({"200": {}, "default": {}}, 404, "default"),
    ({"2XX": {}, "4XX": {}}, 201, "2XX"),
    ({"2xx": {}}, 204, "2xx"),
    ({"404": {}, "4XX": {}, "default": {}}, 404, "404"),
    ({"404": {}, "4XX": {}, "default": {}}, 409, "4XX"),
    ({"5XX": {}}, 503, "5XX"),
    ({"200": {}}, 500, None),
])
def test_a_status_is_documented_by_itself_its_range_or_default(responses, status, key):
    assert response_key(responses, status) == key


def test_chaos_picks_from_range_and_default_keys_too():
    document = {"paths": {"/a": {"get": {"operationId": "a", "responses": {"2XX": {"description": "ok"}, "4XX": {"description": "no"}, "default": {"description": "?"}}}}}}
    operation = collect_operations(document)["a"]
    assert operation.documented_statuses() == [200, 400, 500]
    assert operation.success_status == 200 and operation.response_key(204) == "2XX"


@pytest.mark.parametrize(("responses", "method", "status"), [
    ({"401": {"description": "always"}}, "post", 401),          # only a failure is documented: that one
    ({"4XX": {"description": "no"}}, "get", 400),
    ({"404": {"description": "no"}, "default": {"description": "?"}}, "post", 201),  # default covers success
    ({}, "post", 201),
])
def test_an_operation_documenting_no_success_answers_what_it_documents(responses: dict, method: str, status: int) -> None:
    document = {"paths": {"/a": {method: {"operationId": "a", "responses": responses}}}}
    assert collect_operations(document)["a"].success_status == status


# -- negotiation ------------------------------------------------------------------------------

OFFERED = ["application/json", "application/xml", "text/csv", "text/plain"]


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, "application/json"),
    ("*/*", "application/json"),
    ("application/xml", "application/xml"),
    ("application/json;q=0.5, application/xml;q=0.8", "application/xml"),
    ("text/*;q=0.9, application/json;q=0.1", "text/csv"),
    ("text/*, text/plain;q=0", "text/csv"),
    ("text/plain, text/csv", "text/plain"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
    ("*/*;q=0.1, application/json;q=0", "application/xml"),
    ("image/png", None),
    ("application/json;q=0", None),
])
def test_accept_picks_among_the_documented_types(accept, chosen):
    assert choose(accept, OFFERED) == chosen


def test_plus_json_types_are_json_and_wildcards_documented_are_answered_concretely():
    assert choose(None, ["application/xml", "application/vnd.api+json"]) == "application/vnd.api+json"
    assert choose("image/png", ["image/*"]) == "image/png"
    assert choose("application/*", ["text/plain", "application/problem+json"]) == "application/problem+json"


def test_a_malformed_or_huge_accept_is_read_safely():
    assert choose("q=;;,", OFFERED) == "application/json"   # no media range in it: accepts anything
    assert choose("garbage, application/xml", OFFERED) == "application/xml"
    assert choose("application/xml;q=high", OFFERED) == "application/xml"
    assert len(parse_accept("a/b," * 10_000)) <= 64


# -- representations --------------------------------------------------------------------------

DOCUMENT = {
    "components": {"schemas": {
        "Pet": {
            "type": "object",
            "xml": {"name": "pet", "prefix": "p", "namespace": "urn:pets"},
            "properties": {
                "id": {"type": "integer", "xml": {"attribute": True}},
                "name": {"type": "string"},
                "colour": {"type": "string", "xml": {"name": "color"}},
                "tags": {"type": "array", "xml": {"name": "tagList", "wrapped": True}, "items": {"type": "string", "xml": {"name": "tag"}}},
                "photos": {"type": "array", "items": {"type": "string", "xml": {"name": "photo"}}},
                "aliases": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Named": {"type": "object", "properties": {"a": {"type": "string"}}},
    }},
}


def test_xml_follows_the_schema_xml_object():
    value = {"id": 7, "name": "Rex & Co", "colour": "brown", "tags": ["a", "b"], "photos": ["x.png"], "aliases": ["r1", "r2"]}
    text = to_xml(value, {"$ref": "#/components/schemas/Pet"}, DOCUMENT)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "{urn:pets}pet" and root.get("id") == "7"
    assert root.find("name").text == "Rex & Co" and root.find("color").text == "brown"
    assert [t.text for t in root.find("tagList").findall("tag")] == ["a", "b"]   # wrapped
    assert [p.text for p in root.findall("photo")] == ["x.png"]                   # not wrapped: items' name
    assert [a.text for a in root.findall("aliases")] == ["r1", "r2"]              # not wrapped: property name
    assert "xmlns:p=\"urn:pets\"" in text and "<p:pet" in text


def test_a_namespaced_attribute_declares_its_namespace():
    schema = {"type": "object", "xml": {"name": "doc"}, "properties": {
        "lang": {"type": "string", "xml": {"attribute": True, "prefix": "x", "namespace": "urn:x"}},
        "id": {"type": "string", "xml": {"attribute": True, "prefix": "x", "namespace": "urn:x"}},
    }}
    root = ET.fromstring(to_xml({"lang": "en", "id": "d1"}, schema, {}).split("\n", 1)[1])
    assert root.get("{urn:x}lang") == "en" and root.get("{urn:x}id") == "d1"


def test_xml_names_come_from_the_ref_when_no_xml_name_and_arrays_are_wrapped_at_the_root():
    text = to_xml([{"a": "1"}, {"a": "2"}], {"type": "array", "items": {"$ref": "#/components/schemas/Named"}}, DOCUMENT)
    root = ET.fromstring(text.split("\n", 1)[1])
    assert [child.tag for child in root] == ["Named", "Named"]
    assert ET.fromstring(to_xml({"9 bad key": 1}, {}, DOCUMENT).split("\n", 1)[1]).find("_9_bad_key").text == "1"


def test_xml_is_well_formed_whatever_the_text():
    text = to_xml({"a": "nul\x00 bell\x07 <b>&\ud800"}, {}, {})
    assert ET.fromstring(text.split("\n", 1)[1].encode("utf-8", "surrogatepass")).find("a").text == "nul\ufffd bell\ufffd <b>&\ufffd"


def test_csv_writes_a_header_and_one_row_per_object():
    schema = {"type": "array", "items": {"type": "object", "properties": {"id": {}, "name": {}, "price": {}}}}
    text = to_csv([{"name": "a, b", "id": 1}, {"id": 2, "name": "c", "price": 1.5, "extra": {"k": True}}], schema, {})
    assert text.splitlines() == ["id,name,price,extra", '1,"a, b",,', '2,c,1.5,"{""k"":true}"']


# -- static examples composed down the schema -------------------------------------------------

def _fill(schema, name):
    return f"<{name}>"


def test_examples_compose_down_properties_items_and_allof():
    document = {"components": {"schemas": {"Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "example": "b_1"}}}}}}
    schema = {"allOf": [
        {"$ref": "#/components/schemas/Base"},
        {"type": "object", "required": ["items", "name"], "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string", "example": "S"}, "qty": {"type": "integer", "default": 1}}}},
            "mode": {"type": "string", "default": "slow"},
            "name": {"type": "string"},
            "note": {"type": "string"},
        }},
    ]}
    found, value = compose(schema, document, _fill)
    assert found
    assert value == {"id": "b_1", "items": [{"sku": "S", "qty": 1}], "mode": "slow", "name": "<name>"}


def test_an_example_on_a_schema_wins_over_its_parts_and_3_1_examples_count():
    schema = {"type": "object", "example": {"a": 1}, "properties": {"a": {"type": "integer", "example": 2}}}
    assert compose(schema, {}, _fill) == (True, {"a": 1})
    assert compose({"type": "string", "examples": ["x", "y"]}, {}, _fill) == (True, "x")
    assert compose({"type": "string"}, {}, _fill) == (False, "<None>")


def test_required_only_composes_the_smallest_value():
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "array", "items": {"type": "string"}}, "b": {"type": "string", "example": "x"}}}
    assert compose(schema, {}, _fill, required_only=True) == (False, {"a": []})


def test_a_recursive_schema_composes_to_a_bounded_value():
    document = {"components": {"schemas": {"Node": {"type": "object", "required": ["child"], "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}}}
    found, value = compose({"$ref": "#/components/schemas/Node"}, document, lambda s, n: None)
    assert not found and isinstance(value, dict)


def test_static_answers_are_the_same_every_time():
    source = ExampleSource({}, 3, DataGenerator(3))
    schema = {"type": "object", "required": ["name", "email"], "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}}
    first = source.composed(schema, static=True)
    assert first == source.composed(schema, static=True)
    assert first[1]["email"].count("@") == 1


def test_small_error_values_stay_small():
    source = ExampleSource({}, 0, DataGenerator(0))
    schema = {"type": "object", "required": ["message", "trace"], "properties": {
        "message": {"type": "string", "x-faker": "paragraph", "minLength": 1},
        "trace": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}},
        "context": {"type": "object", "additionalProperties": True},
    }}
    value = source.small(schema)
    assert set(value) == {"message", "trace"} and value["trace"] == []
    assert 1 <= len(value["message"]) <= 40


# -- documented error statuses and bodies -----------------------------------------------------

def _status(error: MockError, responses: dict, errors: ErrorFormat | None = None) -> int:
    errors = errors or ErrorFormat(None)
    return errors.status_of(documented_error(error, responses, errors))


def test_validation_takes_the_documented_400_or_422():
    problem = [{"loc": ["body", "qty"], "msg": "too small"}]
    assert _status(validation_error(problem), {"201": {}, "422": {}}) == 422
    assert _status(validation_error(problem), {"201": {}, "400": {}, "422": {}}) == 400
    assert _status(validation_error(problem), {"201": {}, "400": {}, "422": {}}, ErrorFormat({"validation_status": 422})) == 422
    assert _status(validation_error(problem), {"201": {}, "4XX": {}}) == 400
    assert _status(validation_error(problem), {"201": {}, "default": {}}) == 400
    assert _status(validation_error(problem), {"201": {}}) == 400  # nothing documented fits


def test_a_broken_path_parameter_is_the_documented_404():
    problem = [{"loc": ["path", "id"], "msg": "not an integer"}]
    assert _status(validation_error(problem), {"200": {}, "404": {}}) == 404
    assert _status(validation_error(problem), {"200": {}, "400": {}, "404": {}}) == 400


def test_auth_failures_take_the_documented_401_or_403():
    challenge = {"WWW-Authenticate": "Bearer"}
    error = documented_error(MockError(401, headers=challenge), {"200": {}, "403": {}}, ErrorFormat(None))
    assert ErrorFormat(None).status_of(error) == 403 and "WWW-Authenticate" not in error.headers
    assert _status(MockError(401, headers=challenge), {"200": {}, "401": {}, "403": {}}) == 401
    assert _status(MockError(403), {"200": {}, "401": {}}) == 401
    assert _status(MockError(401), {"200": {}}) == 401
    assert _status(MockError(404), {"200": {}, "400": {}}) == 404


def test_a_malformed_body_takes_the_documented_422_where_400_is_not():
    assert _status(MockError(400, "Malformed JSON"), {"201": {}, "422": {}}) == 422
    assert _status(MockError(400, "Malformed JSON"), {"201": {}, "400": {}, "422": {}}) == 400


def test_the_failure_is_written_into_the_documented_error_fields():
    compiler = SchemaCompiler({})
    schema = {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "integer"}, "message": {"type": "string"},
        "error": {"type": "object", "properties": {"status": {"type": "string"}, "detail": {"type": "string"}}},
    }}
    _, facts = ErrorFormat(None).facts(MockError(404, "Pet 9 not found"))
    value = fitted({"code": 1, "message": "x", "error": {"status": "?"}}, schema, facts, {}, compiler.is_valid)
    assert value == {"code": 404, "message": "Pet 9 not found", "error": {"status": "404", "detail": "Pet 9 not found"}}


def test_an_error_never_echoes_a_huge_client_value():
    big = "x" * 200_000
    problems = [{"loc": ["body", "s"], "msg": f'"{big}" is longer than 5 characters', "type": "value_error.maxLength"}] * 50
    _, facts = ErrorFormat(None).facts(validation_error(problems))
    assert len(facts["errors"]) == 10
    assert facts["errors"][0]["msg"] == '"xxxxxxxxxxxxxxxxxxx\u2026" is longer than 5 characters'
    assert facts["message"].endswith("is longer than 5 characters") and len(facts["message"]) < 100
    _, facts = ErrorFormat(None).facts(MockError(404, "No record " + big))
    assert len(facts["message"]) <= 501
