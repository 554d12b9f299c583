"""One document out of a contract and the files it refers to, for Schemathesis (`apitwin check`)."""

from __future__ import annotations

import socket

from mock_server.contracts.inline import FILES_KEY, inline_files
from mock_server.contracts.loader import load_document
from mock_server.contracts.refs import resolve_refs

ROOT = """\
openapi: 3.0.3
info: {title: split, version: '1'}
paths:
  /a:
    post:
      operationId: a
      requestBody:
        content:
          application/json:
            schema: {$ref: 'schemas/thing.yaml#/Thing'}
            example: {$ref: 'not/a/file.yaml'}
      responses:
        '200': {$ref: 'https://example.com/responses.yaml#/Ok'}
        '404': {$ref: '#/components/responses/NotFound'}
components:
  responses:
    NotFound: {description: not found}
  schemas:
    Root: {type: string}
"""

THING = """\
Thing:
  type: object
  properties:
    at: {type: string, enum: [18:00]}
    part: {$ref: '#/Part'}
    shared: {$ref: '../common.yaml#/Shared'}
    back: {$ref: '../openapi.yaml#/components/schemas/Root'}
Part: {type: integer}
"""

COMMON = "Shared: {type: boolean, default: on}\n"


def _contract(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "openapi.yaml").write_text(ROOT)
    (tmp_path / "schemas" / "thing.yaml").write_text(THING)
    (tmp_path / "common.yaml").write_text(COMMON)
    path = tmp_path / "openapi.yaml"
    return path, inline_files(load_document(path), base=path)


def test_referenced_files_are_copied_in_and_every_ref_points_there(tmp_path):
    path, document = _contract(tmp_path)
    body = document["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": f"#/{FILES_KEY}/0/Thing"}
    thing = document[FILES_KEY][0]["Thing"]
    assert thing["properties"]["at"]["enum"] == ["18:00"]  # read by our YAML 1.2 loader
    assert thing["properties"]["part"] == {"$ref": f"#/{FILES_KEY}/0/Part"}
    assert thing["properties"]["shared"] == {"$ref": f"#/{FILES_KEY}/1/Shared"}
    assert thing["properties"]["back"] == {"$ref": "#/components/schemas/Root"}
    assert document[FILES_KEY][1] == {"Shared": {"type": "boolean", "default": "on"}}
    # the result stands alone: every structural $ref resolves inside it
    resolved = resolve_refs({k: v for k, v in document.items() if k != "paths"}, base=tmp_path / "elsewhere")
    assert resolved[FILES_KEY][0]["Thing"]["properties"]["shared"] == {"type": "boolean", "default": "on"}


def test_local_refs_and_data_are_left_alone(tmp_path):
    _, document = _contract(tmp_path)
    operation = document["paths"]["/a"]["post"]
    assert operation["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    assert operation["requestBody"]["content"]["application/json"]["example"] == {"$ref": "not/a/file.yaml"}


def test_a_remote_ref_points_nowhere_and_nothing_is_fetched(tmp_path, monkeypatch):
    attempts = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    _, document = _contract(tmp_path)
    ref = document["paths"]["/a"]["post"]["responses"]["200"]["$ref"]
    assert ref.startswith(f"#/{FILES_KEY}/") and attempts == []
    assert "not-on-disk" in ref


def test_schemathesis_generates_from_the_files_as_yaml_1_2(tmp_path):
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    path, document = _contract(tmp_path)
    del document["paths"]["/a"]["post"]["responses"]["200"]  # nowhere: not for this test
    schema = schemathesis.openapi.from_dict(document)
    operation = next(iter(schema.get_all_operations())).ok()
    seen = []

    @given(case=operation.as_strategy())
    @settings(max_examples=15, database=None, suppress_health_check=list(HealthCheck), deadline=None)
    def collect(case):
        if isinstance(case.body, dict) and "at" in case.body:
            seen.append(case.body["at"])

    collect()
    assert seen and set(seen) == {"18:00"}
