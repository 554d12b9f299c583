"""A `$ref` to a schema's `$id` (JSON Schema 2020-12, OpenAPI 3.1) resolves inside the document.

The `$id` URLs below point at a live listener that records every request: the mock (loading,
generating, validating) and the suite must resolve them locally, never over the network.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_server.contracts.embedded_ids import localize_id_refs
from mock_server.contracts.loader import ContractError, load_document
from mock_server.contracts.refs import refuse_remote_refs
from tests.oas31.test_no_network import _Recorder, listener  # noqa: F401 (a fixture)
from tests.support.servers import run_mock

ID = "https://example.com/schemas"


def document(schemas: dict, paths: dict | None = None, version: str = "3.1.0") -> dict:
    return {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths or {}, "components": {"schemas": schemas}}


def test_refs_to_ids_become_pointers_and_the_ids_go() -> None:
    written = document({
        "Money": {"$id": f"{ID}/money", "type": "object", "properties": {
            "currency": {"$ref": "currency"},  # relative: resolved against Money's own $id
            "amount": {"$ref": "#/components/schemas/Amount"},  # a pointer: the document's, as before
        }},
        "Currency": {"$id": f"{ID}/currency", "type": "string", "$defs": {"code": {"$anchor": "code", "pattern": "^[A-Z]{3}$"}}},
        "Amount": {"type": "number"},
        "Price": {"type": "object", "properties": {
            "m": {"$ref": f"{ID}/money"},
            "amount": {"$ref": f"{ID}/money#/properties/amount"},
            "code": {"$ref": f"{ID}/currency#code"},
            "elsewhere": {"$ref": "https://other.example.com/x"},
        }},
        "Choice": {"oneOf": [{"$ref": f"{ID}/money"}], "discriminator": {"propertyName": "k", "mapping": {"m": f"{ID}/money"}}},
    })
    localized = localize_id_refs(copy.deepcopy(written))
    schemas = localized["components"]["schemas"]
    assert schemas["Price"]["properties"] == {
        "m": {"$ref": "#/components/schemas/Money"},
        "amount": {"$ref": "#/components/schemas/Money/properties/amount"},
        "code": {"$ref": "#/components/schemas/Currency/$defs/code"},
        "elsewhere": {"$ref": "https://other.example.com/x"},  # names no $id here: left, and refused later
    }
    assert schemas["Money"]["properties"]["currency"] == {"$ref": "#/components/schemas/Currency"}
    assert schemas["Money"]["properties"]["amount"] == {"$ref": "#/components/schemas/Amount"}
    assert schemas["Choice"]["discriminator"]["mapping"] == {"m": "#/components/schemas/Money"}
    assert "$id" not in schemas["Money"] and "$id" not in schemas["Currency"]


def test_an_anchor_the_schema_does_not_hold_is_refused_with_its_id() -> None:
    written = document({
        "Money": {"$id": f"{ID}/money", "type": "object"},
        "Price": {"properties": {"m": {"$ref": f"{ID}/money#nothing"}}},
    })
    localized = localize_id_refs(written)
    with pytest.raises(ContractError, match="names the \\$id of #/components/schemas/Money, but its fragment"):
        refuse_remote_refs(localized, "contract.yaml")


def test_openapi_30_has_no_id_and_is_left_alone() -> None:
    written = document({"A": {"$id": f"{ID}/a"}, "B": {"$ref": f"{ID}/a"}}, version="3.0.3")
    assert localize_id_refs(copy.deepcopy(written)) == written


def test_the_loader_resolves_them(tmp_path: Path) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(f"openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n"
                        f"    A: {{$id: '{ID}/a', type: string}}\n    B: {{$ref: '{ID}/a'}}\n")
    assert load_document(contract)["components"]["schemas"]["B"] == {"$ref": "#/components/schemas/A"}


CONTRACT = """\
openapi: 3.1.0
info: {{title: ids, version: "1"}}
paths:
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: "{url}/schemas/note"}}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {{$ref: "{url}/schemas/note"}}
  /notes/{{id}}:
    get:
      operationId: getNote
      parameters:
        - {{name: id, in: path, required: true, schema: {{$ref: "{url}/schemas/note#/properties/id"}}}}
      responses:
        "200":
          description: the note
          content:
            application/json:
              schema: {{$ref: "{url}/schemas/note"}}
components:
  schemas:
    Note:
      $id: "{url}/schemas/note"
      type: object
      required: [text, author]
      properties:
        id: {{type: string, maxLength: 40}}
        text: {{type: string, maxLength: 20}}
        author: {{$ref: author}}
    Author:
      $id: "{url}/schemas/author"
      type: object
      required: [name]
      properties:
        name: {{type: string, maxLength: 20}}
        level: {{type: integer, minimum: 1, maximum: 5}}
"""


def test_mock_and_suite_resolve_ids_locally(tmp_path: Path, listener: str) -> None:  # noqa: F811
    contract = tmp_path / "openapi.yaml"
    contract.write_text(CONTRACT.format(url=listener))
    with run_mock(str(contract), "--seed", "2", "--rate-limits", "off") as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            created = http.post("/notes", json={"text": "hello", "author": {"name": "Ann", "level": 2}})
            assert created.status_code == 201, created.text
            # the author schema (reached through a relative $ref inside Note's $id) is enforced
            refused = http.post("/notes", json={"text": "hello", "author": {"name": "Ann", "level": 9}})
            assert refused.status_code == 400 and "level" in refused.text, refused.text
            answer = http.get("/notes/n1").json()
            assert isinstance(answer["author"], dict) and isinstance(answer["author"]["name"], str), answer
        assert _Recorder.hits == [], "the mock fetched"
        result = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", str(contract), "--base-url", server.url, "--seed", "1",
             "--max-examples", "10"],
            capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert _Recorder.hits == [], "the suite fetched"
