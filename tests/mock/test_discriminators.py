"""OpenAPI's `discriminator`: the value of its property names the schema an instance is of.

Unit tests read `express_discriminators` (the one place the rule is written in JSON Schema) with
an independent 2020-12 validator; the server tests start `apitwin mock` on a contract that uses
a discriminator in the three ways OpenAPI allows (a `oneOf` with a mapping, a `oneOf` of schemas
inheriting one through `allOf`, a base schema used directly) and check that generated answers
are of the schema their tag names, and that a body with a wrong or missing tag is refused in the
API's error format while a right one is accepted.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server.contracts.discriminators import express_discriminators
from mock_server.contracts.loader import load_document
from mock_server.datagen import DataGenerator
from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "contracts" / "discriminators.yaml"
URI = "urn:test:contract"


def validator(document: dict[str, Any], schema: Any) -> Draft202012Validator:
    contents = {**document, "x-under-test": schema}
    registry = Registry().with_resource(URI, Resource.from_contents(contents, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": URI + "#/x-under-test"}, registry=registry)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def document_with(schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": schemas}}


SHAPES = {  # two schemas every tagged object matches, told apart only by their tag
    "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}}},
    "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}}},
}


# -- the rewrite ------------------------------------------------------------------------------------


def test_a_mapped_oneof_picks_the_branch_its_value_names() -> None:
    pet = {"oneOf": [ref("Cat"), ref("Dog")], "discriminator": {"propertyName": "kind", "mapping": {
        "cat": "#/components/schemas/Cat", "kitten": "#/components/schemas/Cat", "dog": "Dog"}}}
    written = document_with({**copy.deepcopy(SHAPES), "Pet": pet})
    assert not validator(written, ref("Pet")).is_valid({"kind": "cat"})  # JSON Schema alone: both branches
    expressed = express_discriminators(written)
    assert written["components"]["schemas"]["Pet"] == pet, "the input document is left as written"
    check = validator(expressed, ref("Pet"))
    for good in ({"kind": "cat", "lives": 3}, {"kind": "kitten"}, {"kind": "dog", "barks": True}):
        assert check.is_valid(good), good
    for bad in ({"kind": "Cat"}, {"kind": "hamster"}, {"lives": 3}, {"kind": "cat", "lives": "nine"}, {"kind": "dog", "barks": "no"}):
        assert not check.is_valid(bad), bad
    # a wrong or missing tag is said on the tag itself
    assert {e.validator for e in check.iter_errors({"kind": "hamster"}) if list(e.path) == ["kind"]} == {"enum"}
    assert any(e.validator == "required" for e in check.iter_errors({"lives": 3}))


def test_without_a_mapping_the_schema_names_are_the_values() -> None:
    pet = {"anyOf": [ref("Cat"), ref("Dog")], "discriminator": {"propertyName": "kind"}}
    expressed = express_discriminators(document_with({**copy.deepcopy(SHAPES), "Pet": pet}))
    check = validator(expressed, ref("Pet"))
    assert check.is_valid({"kind": "Cat"}) and check.is_valid({"kind": "Dog"})
    assert not check.is_valid({"kind": "cat"}) and not check.is_valid({"kind": "Dog", "barks": 1})


def test_schemas_inheriting_a_discriminator_through_allof_are_told_apart() -> None:
    schemas = {
        "Pet": {"type": "object", "required": ["petType"], "properties": {"petType": {"type": "string"}},
                "discriminator": {"propertyName": "petType"}},
        "Cat": {"allOf": [ref("Pet"), {"properties": {"hunts": {"type": "boolean"}}}]},
        "Dog": {"allOf": [ref("Pet"), {"properties": {"bark": {"type": "boolean"}}}]},
        "Puppy": {"allOf": [ref("Dog"), {"properties": {"age": {"type": "integer", "maximum": 1}}}]},
    }
    expressed = express_discriminators(document_with(schemas))
    either = validator(expressed, {"oneOf": [ref("Cat"), ref("Dog")]})
    assert either.is_valid({"petType": "Cat", "hunts": True}) and either.is_valid({"petType": "Dog"})
    assert either.is_valid({"petType": "Puppy", "age": 0}), "a Puppy is a Dog"
    assert not either.is_valid({"petType": "Bird"}) and not either.is_valid({"hunts": True})
    assert not validator(expressed, ref("Puppy")).is_valid({"petType": "Puppy", "age": 3})
    # the base used directly is the choice among the schemas its values name
    base = validator(expressed, ref("Pet"))
    assert base.is_valid({"petType": "Cat"}) and base.is_valid({"petType": "Puppy", "age": 1})
    assert not base.is_valid({"petType": "Pet"}) and not base.is_valid({"petType": "Puppy", "age": 2})


def test_a_discriminator_on_a_property_no_branch_has_is_ignored() -> None:
    # the corpus' "improper placement": the tag lives a level up, so the branches cannot be told apart by it
    props = {"type": "object", "oneOf": [ref("A"), ref("B")], "discriminator": {"propertyName": "kind"}}
    schemas = {"A": {"type": "object", "properties": {"a": {"type": "string"}}},
               "B": {"type": "object", "properties": {"b": {"type": "string"}}}, "Holder": props}
    expressed = express_discriminators(document_with(schemas))
    check = validator(expressed, ref("Holder"))
    assert check.is_valid({"a": "x"}) and check.is_valid({}) and not check.is_valid({"a": 1, "b": 2})


def test_a_document_without_discriminators_is_returned_as_it_is() -> None:
    document = document_with(copy.deepcopy(SHAPES))
    assert express_discriminators(document) is document


def test_generated_values_carry_the_tag_of_their_branch() -> None:
    pet = {"oneOf": [ref("Cat"), ref("Dog")], "discriminator": {"propertyName": "kind", "mapping": {"c": "Cat", "d": "Dog"}}}
    expressed = express_discriminators(document_with({**copy.deepcopy(SHAPES), "Pet": pet}))
    generator = DataGenerator(seed=5)
    check = validator(expressed, ref("Pet"))
    seen = set()
    for _ in range(30):
        value = generator.value(ref("Pet"), root=expressed)
        assert check.is_valid(value), value
        seen.add(value["kind"])
    assert seen == {"c", "d"}


def test_a_oneof_of_overlapping_branches_gets_values_only_one_accepts() -> None:
    # the corpus' nested oneOf: `{a, b}` and `{c, d}` (all optional strings) accept the same
    # objects; a value of one must hold a property of the other that the other refuses
    schemas = {"One": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
               "Two": {"type": "object", "properties": {"c": {"type": "string"}, "d": {"type": "string"}}}}
    document = document_with(schemas)
    choice = {"oneOf": [ref("One"), ref("Two")]}
    check = validator(document, choice)
    generator = DataGenerator(seed=3)
    for _ in range(20):
        value = generator.value(choice, root=document, mode="request")
        assert check.is_valid(value), value


# -- the mock -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--seed", "7", "--rate-limits", "off") as process:
        yield process


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    return load_document(CONTRACT)


def named(written: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator of one schema as written (the discriminator left to the test to apply)."""
    return validator(written, ref(name))


@pytest.mark.parametrize(("path", "tag", "schemas"), [
    ("/pets/{}", "kind", {"cat": "Cat", "kitten": "Cat", "dog": "Dog"}),
    ("/animals/{}", "species", {"Lion": "Lion", "Tiger": "Tiger"}),
    ("/vehicles/{}", "power", {"electricity": "ElectricCar", "pedals": "Bicycle"}),
])
def test_generated_answers_are_of_the_schema_their_tag_names(server: ServerProcess, written: dict[str, Any],
                                                             path: str, tag: str, schemas: dict[str, str]) -> None:
    seen = set()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for number in range(12):
            answer = http.get(path.format(f"item-{number}"))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body.get(tag) in schemas, body
            errors = [e.message for e in named(written, schemas[body[tag]]).iter_errors(body)]
            assert not errors, (body, errors)
            seen.add(schemas[body[tag]])
    assert seen == set(schemas.values()), "every schema is generated for"


def test_a_wrong_or_missing_tag_is_refused_in_the_documented_error(server: ServerProcess, written: dict[str, Any]) -> None:
    problem = named(written, "Problem")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for body, field in (({"kind": "hamster", "name": "Tom"}, "kind"), ({"name": "Tom"}, "kind")):
            refused = http.post("/pets", json=body)
            assert refused.status_code == 422, refused.text  # the operation documents 422
            assert problem.is_valid(refused.json()), refused.text
            assert f"'{field}'" in refused.json()["detail"], refused.text
        # a kitten is a Cat, and the refusal names what the Cat schema finds wrong
        wrong = http.post("/pets", json={"kind": "kitten", "name": "Tom", "lives": "nine"})
        assert wrong.status_code == 422 and "'lives'" in wrong.json()["detail"], wrong.text
        assert "oneOf" not in wrong.text
        created = http.post("/pets", json={"kind": "kitten", "name": "Tom", "lives": 3})
        assert created.status_code == 201, created.text
        assert created.json()["kind"] == "kitten" and "barks" not in created.json(), "made a cat, not a relabelled dog"
        assert named(written, "Cat").is_valid(created.json())


def test_inherited_and_direct_base_tags_are_checked(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        unknown = http.post("/animals", json={"species": "Cat"})
        assert unknown.status_code == 400 and "species" in unknown.text and "Lion" in unknown.text, unknown.text
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert http.post("/animals", json={"species": "Tiger", "stripes": 40}).status_code == 200
        striped = http.post("/animals", json={"species": "Tiger", "stripes": "many"})
        assert striped.status_code == 400 and "'stripes'" in striped.text, striped.text
        assert http.put("/vehicles/v1", json={"power": "pedals", "gears": 3}).status_code == 200
        # pedals name a Bicycle: an electric car's battery does not make up for the missing gears
        bicycle = http.put("/vehicles/v1", json={"power": "pedals", "batteryKwh": 50})
        assert bicycle.status_code == 400 and "'gears'" in bicycle.text and "oneOf" not in bicycle.text, bicycle.text
        steam = http.put("/vehicles/v1", json={"power": "steam", "gears": 3})
        assert steam.status_code == 400 and "power" in steam.text, steam.text


def test_the_suite_finds_nothing_wrong_with_the_mock(server: ServerProcess) -> None:
    """Schemathesis generates bodies and judges answers by the same reading: a tagged answer is
    not "valid under several oneOf", a generated body is not refused for its tag."""
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", server.url, "--seed", "1",
         "--max-examples", "10", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_contract_is_served_as_written(server: ServerProcess, written: dict[str, Any]) -> None:
    served = httpx.get(server.url + "/openapi.json", timeout=10).json()
    assert served["components"]["schemas"] == written["components"]["schemas"]
