"""The corpus harness itself: what it sends must be what OpenAPI's style table spells, or a
failure it reports is the harness's, not the mock's."""

from __future__ import annotations

import httpx
import pytest

from tests.corpus.harness import Contract, Request, path_value, problems_of

VALUE = {"R": 100, "G": 200}


@pytest.mark.parametrize(("style", "explode", "value", "spelled"), [
    ("simple", False, "blue", "blue"),
    ("simple", False, ["blue", "black"], "blue,black"),
    ("simple", False, VALUE, "R,100,G,200"),
    ("simple", True, VALUE, "R=100,G=200"),
    ("label", False, "blue", ".blue"),
    ("label", False, ["blue", "black"], ".blue,black"),
    ("label", True, ["blue", "black"], ".blue.black"),
    ("label", False, VALUE, ".R,100,G,200"),
    ("label", True, VALUE, ".R=100.G=200"),
    ("matrix", False, "blue", ";color=blue"),
    ("matrix", False, ["blue", "black"], ";color=blue,black"),
    ("matrix", True, ["blue", "black"], ";color=blue;color=black"),
    ("matrix", False, VALUE, ";color=R,100,G,200"),
    ("matrix", True, VALUE, ";R=100;G=200"),
    ("simple", False, "a b,c", "a%20b%2Cc"),  # a value's own delimiters are encoded
])
def test_path_values_are_spelled_as_openapi_styles_say(style: str, explode: bool, value: object, spelled: str) -> None:
    assert path_value("color", value, style, explode) == spelled


def test_an_operation_without_responses_takes_any_answer_short_of_a_5xx() -> None:
    contract = Contract.__new__(Contract)
    contract.document, contract.validators = {"openapi": "3.1.0"}, {}
    request = Request("get", "/a")
    assert problems_of(contract, request, {}, httpx.Response(201)) == []
    assert problems_of(contract, request, {}, httpx.Response(500, text="boom"))
    assert problems_of(contract, request, {"responses": {"200": {"description": "ok"}}}, httpx.Response(201))
