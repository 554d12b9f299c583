"""A public contract apitwin did not write, served and checked as a user would: the OAI
`petstore-expanded` example, whose errors are documented only as `default` responses (see
SOURCES.md). It lints clean, every operation answers a valid request with a body valid against
its documented schema (errors in the `default` one), and `apitwin check` of the mock finds nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.servers import ROOT, ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "responses" / "petstore-expanded.yaml"
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


def test_it_lints_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mock_server", "lint", str(CONTRACT)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


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


def test_apitwin_check_of_the_mock_finds_nothing(server: ServerProcess) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", server.url + BASE, "--seed", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
