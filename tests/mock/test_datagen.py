"""DataGenerator: every value valid against its schema, reproducible, and realistic."""

from __future__ import annotations

import ipaddress
import re
import uuid

import pytest
from hypothesis import given, strategies as st

from mock_server.contracts.directions import view
from mock_server.datagen import DataGenError, DataGenerator
from pathlib import Path
from typing import Any, Iterator

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*/openapi.yaml"))
ASYNC_SPECS = sorted((ROOT / "specs").glob("*/asyncapi.yaml"))


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def schemas_in(document: dict) -> Iterator[tuple[str, Any]]:
    """(pointer, schema) for every named component schema and every `schema` under paths."""
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        yield f"#/components/schemas/{name}", schema

    def walk(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("schema", "payload") and isinstance(value, dict):
                    yield f"{pointer}/schema", value
                elif not str(key).startswith("x-") and key not in ("examples", "example"):
                    yield from walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{pointer}/{index}")

    yield from walk(document.get("paths") or {}, "#/paths")
    yield from walk(document.get("channels") or {}, "#/channels")
    yield from walk({k: v for k, v in (document.get("components") or {}).items() if k != "schemas"},
                    "#/components")


def validator(schema: Any, root: dict) -> Draft202012Validator:
    """A strict validator (formats checked) resolving `#/...` refs inside `root`."""
    anchored = {**root, "x-under-test": schema}
    resource = Resource.from_contents(anchored, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:under-test", resource)
    return Draft202012Validator({"$ref": "urn:under-test#/x-under-test"}, registry=registry,
                                format_checker=FormatChecker())

def directed_validator(schema, root, direction):
    """`validator` for `schema` as seen in one direction (see contracts/directions.py)."""
    return validator(view(schema, direction, root), view(root, direction, root))

# ---------------------------------------------------------------- every bundled contract

@pytest.mark.parametrize("spec", SPECS + ASYNC_SPECS, ids=[f"{p.parent.name}-{p.stem}" for p in SPECS + ASYNC_SPECS])
def test_every_schema_of_every_bundled_contract_gets_valid_values(spec):
    document = load(spec)
    problems = []
    count = 0
    for seed in (0, 1, 2):
        generator = DataGenerator(seed)
        for pointer, schema in schemas_in(document):
            # each direction's value is valid against that direction's view (readOnly/writeOnly)
            checks = {mode: directed_validator(schema, document, mode) for mode in ("response", "request")}
            for _ in range(4):
                for mode, value in (("response", generator.value(schema, root=document)),
                                    ("request", generator.value(schema, root=document, mode="request"))):
                    count += 1
                    errors = [e.message for e in checks[mode].iter_errors(value)]
                    if errors:
                        problems.append(f"{pointer}: {value!r}: {errors[0]}")
    assert count > 0
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("spec", SPECS, ids=[p.parent.name for p in SPECS])
def test_records_of_every_object_schema_are_valid(spec):
    document = load(spec)
    generator = DataGenerator(7)
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        check = directed_validator(schema, document, "response")
        value = generator.record(schema, root=document)
        assert not list(check.iter_errors(value)), (name, value)


# ---------------------------------------------------------------- JSON Schema / OpenAPI features

TRICKY = {
    "type": "object",
    "required": ["id", "kind", "count", "ratio", "tags", "when", "ref", "either", "exactly"],
    "properties": {
        "id": {"type": "string", "pattern": "^usr_[a-z0-9]+$"},
        "kind": {"enum": ["a", "b", 3]},
        "fixed": {"const": {"x": 1}},
        "count": {"type": "integer", "minimum": 10, "exclusiveMaximum": 13, "multipleOf": 2},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "price": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y", "z"]},
                 "minItems": 2, "maxItems": 3, "uniqueItems": True},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "uid": {"type": "string", "format": "uuid"},
        "mail": {"type": "string", "format": "email"},
        "ip": {"type": "string", "format": "ipv4"},
        "ip6": {"type": "string", "format": "ipv6"},
        "maybe": {"type": ["string", "null"], "minLength": 3, "maxLength": 5},
        "short": {"type": "string", "minLength": 40, "maxLength": 41},
        "ref": {"$ref": "#/$defs/Thing"},
        "either": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 5},
                             {"type": "string", "pattern": "^[A-Z]{3}$"}]},
        "any": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        "merged": {"allOf": [{"$ref": "#/$defs/Thing"},
                             {"type": "object", "required": ["extra"],
                              "properties": {"extra": {"type": "integer", "minimum": 1, "maximum": 1}}}]},
        "exactly": {"type": "object", "additionalProperties": False, "minProperties": 1,
                    "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}},
        "map": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "patterned": {"type": "object", "patternProperties": {"^k_[0-9]{2}$": {"type": "string"}},
                      "additionalProperties": False, "minProperties": 2},
        "tuple": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
                  "items": False, "minItems": 2},
        "secret": {"type": "string", "writeOnly": True},
        "node": {"$ref": "#/$defs/Node"},
    },
    "$defs": {
        "Thing": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "Node": {"type": "object", "required": ["label"],
                 "properties": {"label": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}}},
    },
}


@given(st.integers(min_value=0, max_value=2**32))
def test_values_honour_every_supported_keyword(seed):
    generator = DataGenerator(seed)
    check = validator(TRICKY, TRICKY)
    for _ in range(3):
        value = generator.value(TRICKY, root=TRICKY)
        assert not [e.message for e in check.iter_errors(value)], value
        assert "secret" not in value


def test_openapi_30_nullable_and_boolean_exclusive_bounds():
    schema = {"type": "object", "required": ["n", "s"], "properties": {
        "n": {"type": "integer", "minimum": 1, "maximum": 3, "exclusiveMinimum": True, "exclusiveMaximum": True},
        "s": {"type": "string", "nullable": True, "maxLength": 4}}}
    generator = DataGenerator(3)
    values = [generator.value(schema) for _ in range(60)]
    assert {v["n"] for v in values} == {2}
    assert None in {v["s"] for v in values}
    assert all(v["s"] is None or len(v["s"]) <= 4 for v in values)


def test_request_mode_leaves_out_read_only_properties():
    schema = {"type": "object", "properties": {"id": {"type": "string", "readOnly": True},
                                               "password": {"type": "string", "writeOnly": True}},
              "minProperties": 1}
    generator = DataGenerator(0, optional_rate=1.0)
    assert set(generator.value(schema, mode="request")) == {"password"}
    assert set(generator.value(schema)) == {"id"}


def test_impossible_schemas_are_reported_clearly():
    generator = DataGenerator(0)
    with pytest.raises(DataGenError, match="minimum"):
        generator.value({"type": "integer", "minimum": 5, "maximum": 1})
    with pytest.raises(DataGenError, match="not a valid regular expression"):
        generator.value({"type": "string", "pattern": "([a-z"})
    with pytest.raises(DataGenError, match="does not resolve"):
        generator.value({"$ref": "#/components/schemas/Missing"}, root={"components": {}})
    with pytest.raises(DataGenError, match="not a Faker provider"):
        generator.value({"type": "string", "x-faker": "no_such_provider"})


# ---------------------------------------------------------------- determinism

def test_same_seed_and_calls_give_the_same_data():
    first, second = DataGenerator(42), DataGenerator(42)
    assert [first.value(TRICKY, root=TRICKY) for _ in range(5)] == \
        [second.value(TRICKY, root=TRICKY) for _ in range(5)]
    assert first.record(TRICKY["$defs"]["Thing"]) == second.record(TRICKY["$defs"]["Thing"])


def test_different_seeds_give_different_data():
    values = {repr(DataGenerator(seed).value(TRICKY, root=TRICKY)) for seed in range(5)}
    assert len(values) == 5


def test_streams_of_one_seed_never_repeat_each_others_ids_and_stay_deterministic():
    """The mock's generator, the auth flows' and the fixtures' share a seed: each draws its own
    sequence, so the first record one makes never carries the id the other's first one has."""
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}}
    streams = ["", "auth", "fixtures"]
    for seed in (0, 2, 7):
        firsts = [[DataGenerator(seed, stream=s).record(schema)["id"] for _ in range(1)] for s in streams]
        assert len({f[0] for f in firsts}) == len(streams), (seed, firsts)
        made = [DataGenerator(seed, stream=s) for s in streams]
        drawn = [g.value(schema)["id"] for g in made for _ in range(50)]
        assert len(set(drawn)) == len(drawn)
        again = [DataGenerator(seed, stream=s) for s in streams]
        assert drawn == [g.value(schema)["id"] for g in again for _ in range(50)]


def test_generation_leaves_the_global_random_alone():
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    DataGenerator(1).value(TRICKY, root=TRICKY)
    assert random.random() == expected


# ---------------------------------------------------------------- realism

USER = {"type": "object", "properties": {
    "id": {"type": "string", "example": "usr_abc123"},
    "email": {"type": "string"}, "username": {"type": "string"}, "full_name": {"type": "string"},
    "display_name": {"type": "string"}, "avatar_url": {"type": "string", "format": "uri"},
    "location": {"type": "string"}, "bio": {"type": "string"}, "price": {"type": "number"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "user_id": {"type": "string", "format": "uuid"}, "number_id": {"type": "integer"}}}


def test_values_look_like_what_their_names_say():
    generator = DataGenerator(5)
    for _ in range(30):
        user = generator.record(USER)
        assert re.fullmatch(r"usr_[a-z0-9]{6}", user["id"])
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", user["email"])
        assert re.fullmatch(r"[A-Za-z0-9_.]+", user["username"])
        assert len(user["full_name"].split()) >= 2 and user["full_name"][0].isupper()
        assert user["avatar_url"].startswith("http")
        assert ", " in user["location"]
        assert len(user["bio"].split()) > 3
        assert round(user["price"], 2) == user["price"] and user["price"] > 0
        assert user["created_at"] <= user["updated_at"]
        assert uuid.UUID(user["user_id"]).version == 4
        assert user["number_id"] >= 1


def test_x_faker_hints_are_honoured():
    generator = DataGenerator(0)
    assert generator.value({"type": "integer", "x-faker": {"provider": "pyint",
                                                           "args": {"min_value": 7, "max_value": 7}}}) == 7
    ipaddress.IPv4Address(generator.value({"type": "string", "x-faker": "ipv4"}))
    colour = generator.value({"type": "string", "x-faker": "internet.hex_color"})
    assert re.fullmatch(r"#[0-9a-f]{6}", colour)
    # a hint that breaks the schema's own limits gives way to a value that keeps them
    assert len(generator.value({"type": "string", "maxLength": 3, "x-faker": "paragraph"})) <= 3


def test_ids_follow_the_schema_pattern():
    generator = DataGenerator(0)
    ids = [generator.value({"type": "string", "pattern": "^rec_[a-z0-9]+$"}, name="id") for _ in range(20)]
    assert all(re.fullmatch(r"rec_[a-z0-9]{6,12}", i) for i in ids)
    assert len(set(ids)) == 20


def test_overrides_win_and_keep_timestamps_ordered():
    generator = DataGenerator(0)
    record = generator.record(USER, overrides={"email": "john@example.com",
                                               "updated_at": "2020-01-01T00:00:00Z"})
    assert record["email"] == "john@example.com"
    assert record["created_at"] <= record["updated_at"] == "2020-01-01T00:00:00Z"


# ---------------------------------------------------------------- arbitrary schemas

def _leaf_schemas() -> st.SearchStrategy[dict]:
    bounded_int = st.tuples(st.integers(-50, 50), st.integers(0, 60)).map(
        lambda t: {"type": "integer", "minimum": t[0], "maximum": t[0] + t[1]})
    exclusive = st.tuples(st.floats(-100, 100, allow_nan=False), st.floats(0.5, 50, allow_nan=False)).map(
        lambda t: {"type": "number", "exclusiveMinimum": t[0], "exclusiveMaximum": t[0] + t[1]})
    multiple = st.sampled_from([2, 5, 0.5, 0.25]).map(lambda m: {"type": "number", "multipleOf": m,
                                                                  "minimum": 0, "maximum": 100})
    lengths = st.tuples(st.integers(0, 20), st.integers(0, 20)).map(
        lambda t: {"type": "string", "minLength": t[0], "maxLength": t[0] + t[1]})
    patterns = st.sampled_from(["^[a-z]{3,8}$", "^usr_[a-z0-9]+$", "^[A-Z][A-Z0-9_]*$", r"^\d{4}-\d{2}$",
                                "^(red|green|blue)$", "^sk_(live|test)_"]).map(lambda p: {"type": "string", "pattern": p})
    formats = st.sampled_from(["email", "uuid", "date-time", "date", "ipv4", "ipv6", "uri", "hostname"]).map(
        lambda f: {"type": "string", "format": f})
    enums = st.lists(st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none()),
                     min_size=1, max_size=4, unique_by=repr).map(lambda e: {"enum": e})
    simple = st.sampled_from([{"type": "boolean"}, {"type": "null"}, {}, {"const": "fixed"}])
    return st.one_of(bounded_int, exclusive, multiple, lengths, patterns, formats, enums, simple)


def _schemas() -> st.SearchStrategy[dict]:
    def extend(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
        names = st.sampled_from(["id", "email", "username", "name", "created_at", "price", "tags", "x1", "bio"])
        objects = st.tuples(st.dictionaries(names, children, max_size=4), st.data()).map(
            lambda t: {"type": "object", "properties": t[0], "required": sorted(t[0])[: len(t[0]) // 2]})
        arrays = st.tuples(children, st.integers(0, 3), st.integers(0, 3)).map(
            lambda t: {"type": "array", "items": t[0], "minItems": t[1], "maxItems": t[1] + t[2]})
        nullable = children.map(lambda c: {**c, "type": [c["type"], "null"]} if isinstance(c.get("type"), str) else c)
        any_of = st.lists(children, min_size=1, max_size=3).map(lambda c: {"anyOf": c})
        return st.one_of(objects, arrays, nullable, any_of)

    return st.recursive(_leaf_schemas(), extend, max_leaves=8)


@given(_schemas(), st.integers(0, 1000))
def test_any_schema_built_from_the_supported_keywords_gets_valid_values(schema, seed):
    generator = DataGenerator(seed)
    check = validator(schema, {})
    for _ in range(3):
        value = generator.value(schema)
        assert not [e.message for e in check.iter_errors(value)], (schema, value)
