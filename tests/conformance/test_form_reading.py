"""A negative form body is judged by what its text reads as, not by the typed value it came from."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conformance.contract import Contract
from conformance.http.form_reading import is_valid_on_the_wire, read_field

FORM = "application/x-www-form-urlencoded"


def contract(required_body: bool) -> Contract:
    schema = {
        "type": "object",
        "required": ["criteria"],
        "properties": {"criteria": {"type": "string"}, "complete": {"type": "boolean"}, "rows": {"type": "integer", "maximum": 10}},
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/records": {"post": {
            "requestBody": {"required": required_body, "content": {FORM: {"schema": schema}, "application/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok"}},
        }}},
    }
    return Contract(name="t", openapi_path=None, document=document)


def case(body: Any, media_type: str = FORM) -> SimpleNamespace:
    return SimpleNamespace(body=body, media_type=media_type, meta=None)


@pytest.mark.parametrize(("body", "valid"), [
    ({"criteria": "a", "complete": 0}, True),        # "0" reads as false
    ({"criteria": "a", "complete": "yes"}, True),
    ({"criteria": "a", "rows": "7"}, True),           # "7" reads as 7
    ({"criteria": "a", "complete": "maybe"}, False),
    ({"criteria": "a", "rows": "many"}, False),
    ({"criteria": "a", "rows": 11}, False),          # still above the maximum as text
    ({"complete": True}, False),                      # still missing a required field
])
def test_a_form_body_is_read_back_from_its_text(body: dict, valid: bool) -> None:
    assert is_valid_on_the_wire(contract(False), "negative_data_rejection", "POST /records", case(body)) is valid


def test_an_empty_form_is_no_body_which_only_an_optional_body_allows() -> None:
    assert is_valid_on_the_wire(contract(False), "negative_data_rejection", "POST /records", case({}))
    assert not is_valid_on_the_wire(contract(True), "negative_data_rejection", "POST /records", case({}))


def test_json_bodies_and_other_checks_are_not_reread() -> None:
    body = {"criteria": "a", "complete": 0}
    assert not is_valid_on_the_wire(contract(False), "negative_data_rejection", "POST /records", case(body, "application/json"))
    assert not is_valid_on_the_wire(contract(False), "positive_data_acceptance", "POST /records", case(body))


def test_read_field_by_type() -> None:
    assert read_field("3", {"type": "integer"}) == 3
    assert read_field(1.5, {"type": "string"}) == "1.5"
    assert read_field("", {"type": "integer", "nullable": True}) is None
    assert read_field({"a": 1}, {"type": "object"}) == {"a": 1}


def test_a_text_body_is_the_string_it_was_sent_as() -> None:
    """`[null, null]` sent as text/x-markdown is a string: no negative case for a string schema;
    a text body still breaks a length its schema sets."""
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/markdown/raw": {"post": {
            "requestBody": {"content": {"text/x-markdown": {"schema": {"type": "string", "maxLength": 20}}}},
            "responses": {"200": {"description": "ok"}},
        }}},
    }
    markdown = Contract(name="t", openapi_path=None, document=document)
    assert is_valid_on_the_wire(markdown, "negative_data_rejection", "POST /markdown/raw", case([None, None], "text/x-markdown"))
    assert not is_valid_on_the_wire(markdown, "negative_data_rejection", "POST /markdown/raw", case("x" * 30, "text/x-markdown"))
