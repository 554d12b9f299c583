"""A hand-written OpenAPI 3.1 contract using every JSON Schema 2020-12 keyword, served by a real
`apitwin mock` process: valid requests get 2xx with bodies valid (2020-12) against the documented
schema, each kind of invalid request a documented 4xx, and `apitwin check` of the mock against
its own contract finds nothing."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.contracts.loader import load_document
from tests.oas31.schemacheck import errors
from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).resolve().parents[1] / "mock" / "contracts" / "jsonschema2020.yaml"
DOCUMENT = load_document(CONTRACT)

ORDER = {
    "payment": {"method": "card", "card_number": "4242424242424242"},
    "lines": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-22", "quantity": 1}],
    "tags": ["gift-wrap", "priority-express"],
    "coupon": "SPRING24", "coupon_owner": "marketing",
    "gift": True, "gift_message": "Happy birthday",
    "note": None,
    "$ref": "a property named $ref",
}
ROUTE = {"from": [13.4, 52.5], "to": [2.35, 48.86], "mode": 3, "distance_km": 878.5}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--seed", "7", "--rate-limits", "off") as process:
        yield process


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def documented(operation: tuple[str, str], status: int) -> str:
    """The pointer of the schema documented for `status` (its `$ref`, as the contract writes it)."""
    path, method = operation
    response = DOCUMENT["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"].get("$ref") or f"#/paths/{path.replace('/', '~1')}/{method}/responses/{status}/content/application~1json/schema"


def assert_documented_body(response: httpx.Response, operation: tuple[str, str]) -> None:
    assert str(response.status_code) in DOCUMENT["paths"][operation[0]][operation[1]]["responses"], response.text
    problems = errors(DOCUMENT, documented(operation, response.status_code), response.json())
    assert problems == [], problems


def test_create_read_and_list_keep_every_keyword(http: httpx.Client) -> None:
    created = http.post("/orders", json=ORDER)
    assert created.status_code == 201, created.text
    assert_documented_body(created, ("/orders", "post"))
    order = created.json()
    assert order["payment"] == ORDER["payment"] and order["$ref"] == ORDER["$ref"]
    assert order["gift_message"] == "Happy birthday"  # brought along by dependentSchemas
    assert order["version"] == 1  # const

    read = http.get(f"/orders/{order['id']}")
    assert read.status_code == 200
    assert_documented_body(read, ("/orders/{order_id}", "get"))
    assert read.json() == order

    listed = http.get("/orders")
    assert listed.status_code == 200
    assert_documented_body(listed, ("/orders", "get"))
    assert order["id"] in [o["id"] for o in listed.json()]


def test_the_documented_example_with_a_ref_key_is_accepted(http: httpx.Client) -> None:
    example = DOCUMENT["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["examples"]["card"]["value"]
    response = http.post("/orders", json=example)
    assert response.status_code == 201, response.text
    assert response.json()["$ref"] == "data, not a reference"
    assert_documented_body(response, ("/orders", "post"))


def test_a_transfer_order_takes_the_else_branch(http: httpx.Client) -> None:
    order = {**ORDER, "payment": {"method": "transfer", "iban": "DE89370400440532013000"}}
    response = http.post("/orders", json=order)
    assert response.status_code == 201, response.text
    assert_documented_body(response, ("/orders", "post"))


def test_generated_answers_are_valid(http: httpx.Client) -> None:
    trees = [http.get("/trees") for _ in range(15)]
    for tree in trees:
        assert tree.status_code == 200
        assert_documented_body(tree, ("/trees", "get"))
    assert any(isinstance(child, dict) and "name" in child for tree in trees for child in tree.json().get("children", [])), \
        "children follow $dynamicRef to the Tree schema"
    for _ in range(10):
        assert_documented_body(http.get("/settings"), ("/settings", "get"))
    settings = http.get("/settings")
    assert settings.status_code == 200
    assert_documented_body(settings, ("/settings", "get"))
    assert settings.json()["$ref"] == "#/not/a/reference"

    route = http.post("/routes", json=ROUTE)
    assert route.status_code == 200, route.text
    assert_documented_body(route, ("/routes", "post"))
    assert route.json()["from"] == ROUTE["from"]


def test_an_example_with_ref_keys_is_answered_as_written(http: httpx.Client) -> None:
    response = http.get("/presets", headers={"Prefer": "example=dark"})
    assert response.status_code == 200
    assert response.json() == {"$ref": "#/not/a/reference", "theme": "dark", "extra": {"$ref": "#/components/schemas/Tree"}}
    assert_documented_body(response, ("/presets", "get"))


def test_a_recursive_body_is_validated_through_dynamic_ref(http: httpx.Client) -> None:
    tree = {"name": "root", "children": [{"name": "kid", "children": [{"name": "leaf"}]}]}
    planted = http.post("/trees", json=tree)
    assert planted.status_code == 200, planted.text
    assert_documented_body(planted, ("/trees", "post"))
    assert planted.json()["children"][0]["children"][0]["name"] == "leaf"
    for broken in ({"name": "root", "children": [{"name": "kid", "children": [{"nom": "leaf"}]}]},
                   {"name": "root", "children": [{"name": "kid", "children": [{"name": 7}]}]}):
        refused = http.post("/trees", json=broken)
        assert refused.status_code == 400, refused.text
        assert_documented_body(refused, ("/trees", "post"))


def _without(value: dict, *keys: str) -> dict:
    return {k: v for k, v in value.items() if k not in keys}


INVALID_ORDERS = {
    "if/then: a card payment without a card number": {**ORDER, "payment": {"method": "card"}},
    "else: a transfer without an IBAN": {**ORDER, "payment": {"method": "transfer"}},
    "contains: no priority tag": {**ORDER, "tags": ["gift-wrap"]},
    "maxContains: three priority tags": {**ORDER, "tags": ["priority-a", "priority-b", "priority-c"]},
    "dependentRequired: a coupon without its owner": _without(ORDER, "coupon_owner"),
    "dependentSchemas: a gift without a message": _without(ORDER, "gift_message"),
    "unevaluatedProperties: an undeclared field": {**ORDER, "colour": "red"},
    "type array: a note that is a number": {**ORDER, "note": 5},
    "a property named $ref that is too long": {**ORDER, "$ref": "x" * 41},
    "additionalProperties false in a line": {**ORDER, "lines": [{"sku": "SKU-1", "quantity": 1, "x": 1}]},
}
INVALID_ROUTES = {
    "prefixItems: a latitude out of range": {**ROUTE, "to": [2.35, 95]},
    "items false: a third coordinate": {**ROUTE, "from": [13.4, 52.5, 30]},
    "prefixItems: a string coordinate": {**ROUTE, "from": ["13.4", 52.5]},
    "type array with enum: a mode of the wrong type": {**ROUTE, "mode": True},
    "enum: an unknown mode": {**ROUTE, "mode": "car"},
    "exclusiveMinimum: a zero distance": {**ROUTE, "distance_km": 0},
}


@pytest.mark.parametrize("case", list(INVALID_ORDERS))
def test_an_invalid_order_is_refused_in_a_documented_answer(http: httpx.Client, case: str) -> None:
    response = http.post("/orders", json=INVALID_ORDERS[case])
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text}"
    assert_documented_body(response, ("/orders", "post"))


@pytest.mark.parametrize("case", list(INVALID_ROUTES))
def test_an_invalid_route_is_refused_in_a_documented_answer(http: httpx.Client, case: str) -> None:
    response = http.post("/routes", json=INVALID_ROUTES[case])
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text}"
    assert_documented_body(response, ("/routes", "post"))


def test_the_same_seed_gives_the_same_answers() -> None:
    """The same seed and the same requests give the same generated data, process after process."""
    answers = []
    for _ in range(2):
        with run_mock(str(CONTRACT), "--seed", "11", "--rate-limits", "off") as fresh:
            answers.append([httpx.get(fresh.url + path, timeout=10).json() for path in ("/trees", "/settings", "/trees")])
    assert answers[0] == answers[1]


def test_apitwin_check_of_the_mock_against_its_own_contract_finds_nothing() -> None:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as fresh:
        result = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", fresh.url],
            capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "conforms" in result.stdout


def test_the_original_contract_is_served_and_the_30_view_names_what_it_left_out(http: httpx.Client) -> None:
    served = http.get("/openapi.json").json()
    assert served["components"]["schemas"]["Payment"]["if"] == DOCUMENT["components"]["schemas"]["Payment"]["if"]
    view = http.get("/__mock/openapi-3.0.json").json()
    assert view["openapi"].startswith("3.0")
    assert view["components"]["schemas"]["Payment"]["x-apitwin-omitted"] == ["if", "then", "else"]
    assert copy.deepcopy(view["components"]["schemas"]["Settings"]["properties"]["extra"]["example"]) == \
        {"$ref": "https://example.invalid/never-fetched.yaml"}
