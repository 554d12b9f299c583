"""Scenario control, determinism, state, CORS, journal, reset, chaos, rate limits, start-up errors."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from tests.mock.mockutil import client, login
from tests.support.servers import ROOT, free_port, run_mock

RECORD_EXAMPLE = {"id": "rec_abc123", "collection": "products"}


@pytest.fixture(scope="module")
def enterprise(mock_server):
    server = mock_server("enterprise")
    with client(server, "enterprise", login(server, "enterprise")) as http:
        yield http


def test_prefer_code_answers_that_documented_response(enterprise):
    response = enterprise.get("/data/products/rec_abc999", headers={"Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    limited = enterprise.get("/data/products", headers={"Prefer": "code=429"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers


def test_prefer_example_answers_the_named_example(enterprise):
    response = enterprise.get("/data/products/rec_abc999", headers={"Prefer": "example=widgetPro"})
    assert response.status_code == 200
    assert {k: response.json()[k] for k in RECORD_EXAMPLE} == RECORD_EXAMPLE


def test_prefer_unknown_example_is_a_clear_error(enterprise):
    response = enterprise.get("/data/products/rec_abc999", headers={"Prefer": "example=noSuchExample"})
    assert response.status_code == 400 and "noSuchExample" in response.json()["error"]["message"]


def test_prefer_dynamic_generates_from_the_schema(enterprise):
    first = enterprise.get("/data/products/rec_abc999", headers={"Prefer": "dynamic=true"}).json()
    second = enterprise.get("/data/products/rec_abc999", headers={"Prefer": "dynamic=true"}).json()
    assert first["id"].startswith("rec_") and first != second


def generated(seed: str) -> list[dict]:
    with run_mock("enterprise", "--seed", seed) as server, client(server, "enterprise", login(server, "enterprise")) as http:
        return [http.get("/data/products/rec_any1", headers={"Prefer": "dynamic=true"}).json() for _ in range(3)]


def test_seed_gives_the_same_data():
    seven = generated("7")
    assert seven == generated("7")
    assert seven != generated("8")


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "enterprise.sqlite3"
    with run_mock("enterprise", "--state", str(state)) as server, client(server, "enterprise", login(server, "enterprise")) as http:
        record = http.post("/data/keep", json={"data": {"name": "kept"}}).json()
    with run_mock("enterprise", "--state", str(state)) as server, client(server, "enterprise", login(server, "enterprise")) as http:
        assert http.get(f"/data/keep/{record['id']}").json() == record


def test_cors_preflight_and_exposed_headers(mock_server):
    server = mock_server("messaging")
    preflight = httpx.options(
        f"{server.url}/api/messages",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
    token = login(server, "messaging")
    listed = httpx.get(f"{server.url}/api/messages", headers={"Origin": "http://localhost:3000", "Authorization": f"Bearer {token}"})
    assert listed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "X-Pagination-Total" in listed.headers["access-control-expose-headers"]


def test_cors_origin_restricts():
    with run_mock("realtime", "--cors-origin", "http://app.example.com") as server:
        allowed = httpx.get(f"{server.url}/health", headers={"Origin": "http://app.example.com"})
        refused = httpx.get(f"{server.url}/health", headers={"Origin": "http://evil.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "http://app.example.com"
    assert "access-control-allow-origin" not in refused.headers


def test_journal_records_filters_and_clears(mock_server):
    server = mock_server("realtime")
    httpx.delete(f"{server.url}/__mock/requests")
    httpx.get(f"{server.url}/health")
    httpx.post(f"{server.url}/sessions", json={"username": "user@example.com", "password": "wrong"})
    entries = httpx.get(f"{server.url}/__mock/requests").json()["requests"]
    assert [(e["method"], e["path"]) for e in entries] == [("GET", "/health"), ("POST", "/sessions")]
    failed = httpx.get(f"{server.url}/__mock/requests", params={"status": "4xx"}).json()["requests"]
    assert len(failed) == 1 and failed[0]["body"] == {"username": "user@example.com", "password": "wrong"}
    only_get = httpx.get(f"{server.url}/__mock/requests", params={"method": "get", "path": "/health"}).json()["requests"]
    assert len(only_get) == 1 and only_get[0]["operation_id"] == "getHealth"
    assert httpx.delete(f"{server.url}/__mock/requests").status_code == 204
    assert httpx.get(f"{server.url}/__mock/requests").json()["requests"] == []


def test_reset_restores_the_start_state(mock_server):
    with run_mock("enterprise") as server, client(server, "enterprise", login(server, "enterprise")) as http:
        before = http.get("/data/products").json()["pagination"]["total"]
        http.post("/data/products", json={"data": {"name": "temporary"}})
        assert http.get("/data/products").json()["pagination"]["total"] == before + 1
        reset = httpx.post(f"{server.url}/__mock/reset")
        assert reset.status_code == 200
        token = login(server, "enterprise")  # the demo accounts still work after a reset
        after = httpx.get(f"{server.url}/v2/data/products", headers={"Authorization": f"Bearer {token}"}).json()
        assert after["pagination"]["total"] == before


def test_chaos_answers_documented_errors():
    with run_mock("realtime", "--chaos", "1", "--latency", "1-5") as server:
        statuses = {httpx.get(f"{server.url}/health").status_code for _ in range(10)}
    assert statuses and all(status >= 400 for status in statuses)
    assert statuses <= {503, 429, 500, 400, 401, 403, 404}


def test_rate_limit_429_with_retry_after():
    with run_mock("messaging", "--rate-limits", "on") as server:
        answers = [httpx.post(f"{server.url}/api/auth/login", json={"email": "user@example.com", "password": "wrong-password"}) for _ in range(6)]
    assert all("X-RateLimit-Limit" in a.headers for a in answers)
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert answers[5].status_code == 429
    assert int(answers[5].headers["Retry-After"]) > 0
    assert answers[5].json()["error"]["code"] == "rate_limit_exceeded"


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mock_server", "mock", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


def test_broken_spec_is_one_line_exit_2(tmp_path):
    broken = tmp_path / "openapi.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: {title: x\npaths: {}\n")
    result = run_command(str(broken), "--port", str(free_port()))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "openapi.yaml:" in result.stderr


def test_taken_port_is_one_line_exit_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_command("realtime", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and str(port) in result.stderr and "in use" in result.stderr


def test_unknown_api_and_bad_options_are_one_line_exit_2():
    for args in (["nosuchapi"], ["realtime", "--latency", "fast"], ["realtime", "--chaos", "2"]):
        result = run_command(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_users_own_30_spec(tmp_path):
    spec = tmp_path / "pets.yaml"
    spec.write_text(
        """
openapi: 3.0.3
info: {title: Pets, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {description: missing}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        tag: {type: string, nullable: true}
"""
    )
    with run_mock(str(spec)) as server:
        created = httpx.post(f"{server.url}/pets", json={"id": 0, "name": "Rex", "tag": None})
        assert created.status_code == 201 and created.json()["name"] == "Rex" and created.json()["tag"] is None
        pet_id = created.json()["id"]
        assert httpx.get(f"{server.url}/pets/{pet_id}").json()["name"] == "Rex"
        assert [p["name"] for p in httpx.get(f"{server.url}/pets").json()] == ["Rex"]
        invalid = httpx.post(f"{server.url}/pets", json={"name": 5})
        assert invalid.status_code == 400
        assert invalid.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"{server.url}/pets/999").status_code == 404
