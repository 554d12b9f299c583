"""A documented example that breaks its own schema is not served as the answer: the mock would
break the contract it mocks. Data that fits the schema is answered instead, unless the client
asks for that example by name."""

from __future__ import annotations

from pathlib import Path

import httpx
import jsonschema

from tests.support.servers import run_mock

CONTRACT = Path(__file__).parent / "contracts" / "broken-examples.yaml"
SCHEMA = {"type": "object", "required": ["state", "checks"],
          "properties": {"state": {"enum": ["up", "down"]}, "checks": {"type": "array", "items": {"type": "string"}}}}


def test_an_example_its_schema_refuses_is_answered_with_valid_data_unless_asked_for() -> None:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        for prefer in ({}, {"Prefer": "dynamic=false"}):
            answer = http.get("/status", headers=prefer)
            assert answer.status_code == 200
            jsonschema.validate(answer.json(), SCHEMA)
        asked = http.get("/status", headers={"Prefer": "example=stale"})
        assert asked.status_code == 200 and asked.json() == {"state": "up"}


def test_a_name_required_but_never_declared_is_still_answered() -> None:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post("/keys", json={"title": "laptop"})
        assert created.status_code == 201 and "last_used" in created.json()
        listed = http.get("/keys").json()
        assert listed and all("last_used" in key for key in listed)
