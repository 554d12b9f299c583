"""Stored data shaped by a response schema that uses 2020-12 applicators stays valid against it:
`if`/`then`/`else` and `dependentSchemas` keep (or make) what they declare and require, and
`unevaluatedProperties: false` drops the rest; `prefixItems` shape items one by one."""

from __future__ import annotations

import pytest

from mock_server.datagen import DataGenerator
from mock_server.http.shaping import Shaper
from mock_server.http.validation import SchemaCompiler
from tests.oas31.schemacheck import errors

DOCUMENT = {
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
    "components": {"schemas": {
        "Payment": {
            "type": "object", "required": ["method"],
            "properties": {"method": {"enum": ["card", "transfer"]}},
            "if": {"properties": {"method": {"const": "card"}}},
            "then": {"properties": {"cvc": {"type": "string", "pattern": "^[0-9]{3}$"}}, "required": ["cvc"]},
            "else": {"properties": {"iban": {"type": "string", "minLength": 5}}, "required": ["iban"]},
            "dependentSchemas": {"method": {"properties": {"note": {"type": "string"}}}},
            "unevaluatedProperties": False,
        },
        "Point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "boolean"}], "items": False},
    }},
}


@pytest.fixture()
def shaper() -> Shaper:
    return Shaper(DOCUMENT, DataGenerator(seed=1), SchemaCompiler(DOCUMENT))


@pytest.mark.parametrize("stored, expected", [
    ({"method": "card", "cvc": "123", "iban": "DE1234", "note": "n", "other": 1}, {"method": "card", "cvc": "123", "note": "n"}),
    ({"method": "transfer", "cvc": "123", "iban": "DE1234"}, {"method": "transfer", "iban": "DE1234"}),
])
def test_the_branch_the_if_picks_keeps_its_properties(shaper: Shaper, stored: dict, expected: dict) -> None:
    shaped = shaper.shape(stored, DOCUMENT["components"]["schemas"]["Payment"])
    assert shaped == expected
    assert errors(DOCUMENT, "#/components/schemas/Payment", shaped) == []


def test_what_the_branch_requires_is_made(shaper: Shaper) -> None:
    shaped = shaper.shape({"method": "card"}, DOCUMENT["components"]["schemas"]["Payment"])
    assert set(shaped) == {"method", "cvc"}
    assert errors(DOCUMENT, "#/components/schemas/Payment", shaped) == []


def test_prefix_items_shape_each_position(shaper: Shaper) -> None:
    shaped = shaper.shape([1.5, True], DOCUMENT["components"]["schemas"]["Point"])
    assert shaped == [1.5, True]
