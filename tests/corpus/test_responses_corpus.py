"""A public contract apitwin did not write: the OAI `petstore-expanded` example, whose errors are
documented only as `default` responses (see SOURCES.md). Its pets are kept and answered in their
documented schema, and every error (not found, a broken body, a chosen status, a refused
`Accept`) is answered in the `default` response's body. (Lint, a valid request per operation
and `apitwin check` of the mock are what the corpus harness runs on every contract here.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "openapi" / "oai-petstore-expanded.yaml"
DOCUMENT = yaml.safe_load(CONTRACT.read_text())
BASE = "/v2"  # the contract's server is https://petstore.swagger.io/v2


def assert_valid(value: object, name: str | None, schema: dict | None = None) -> None:
    schema = schema or {"$ref": f"#/components/schemas/{name}"}
    Draft202012Validator({**schema, "components": DOCUMENT["components"]}).validate(value)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT)) as process:
        yield process


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + BASE, timeout=10) as client:
        yield client


def test_every_operation_answers_a_valid_request_with_its_documented_body(http) -> None:
    created = http.post("/pets", json={"name": "Rex", "tag": "dog"})
    assert created.status_code == 200
    pet = created.json()
    assert_valid(pet, "Pet")
    assert pet["name"] == "Rex"
    listed = http.get("/pets", params={"limit": 5})
    assert listed.status_code == 200
    assert_valid(listed.json(), None, {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}})
    found = http.get(f"/pets/{pet['id']}")
    assert found.status_code == 200 and found.json() == pet
    deleted = http.delete(f"/pets/{pet['id']}")
    assert deleted.status_code == 204 and deleted.content == b""


def test_errors_are_answered_in_the_default_response(http) -> None:
    missing = http.get("/pets/987654")
    assert missing.status_code == 404
    assert_valid(missing.json(), "Error")
    assert missing.json()["code"] == 404
    invalid = http.post("/pets", json={"tag": "no name"})
    assert invalid.status_code == 400
    assert_valid(invalid.json(), "Error")
    assert "name" in invalid.json()["message"]
    chosen = http.get("/pets", headers={"Prefer": "code=500"})
    assert chosen.status_code == 500
    assert_valid(chosen.json(), "Error")
    refused = http.get("/pets", headers={"Accept": "application/xml"})
    assert refused.status_code == 406 and "application/json" in refused.text

