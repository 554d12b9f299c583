"""`apitwin check` on its defaults against independent implementations written from the API
documents (tests/servers): it keeps its login, reaches the operations' logic, finds a fault
planted behind authentication, and leaves the records that existed before the run alone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.servers import ROOT, ServerProcess, free_port, start_process

#: Measured on these servers: 100% (accounts), 99-100% (enterprise), 100% (directory). The bar
#: is the issue's 90%: below it the suite is testing the doorway, not the API.
MIN_REACH = 90.0


@contextmanager
def implementation(module: str, **env: str) -> Iterator[ServerProcess]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"tests.servers.{module}:app", "--host", "127.0.0.1", "--port", str(port),
            "--ws-max-size", "65536", "--log-level", "warning"]
    server = start_process(argv, port, env=env)
    try:
        yield server
    finally:
        server.stop()


def check(api: str, base_url: str, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / f"{Path(api).stem}.json"  # api may be a contract path
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "check", api, "--base-url", base_url, "--seed", "1", "--quiet",
         "--report", f"json:{report}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    data = json.loads(report.read_text())["apis"][0] if report.exists() else {}
    return result, data


def assert_reached(result: subprocess.CompletedProcess, data: dict) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert data["reach_percent"] >= MIN_REACH, data["reach"]
    assert "reach:" in result.stdout and "auth:" in result.stdout
    never = {operation: why for operation, why in data["not_tested"].items()}
    assert all(entry["reached"] for entry in data["reach"].values()), never


# ---- accounts (FastAPI) ------------------------------------------------------------------
def accounts_login(base: str) -> str:
    answer = requests.post(f"{base}/api/v1/auth/login", data={"username": "user", "password": "password"}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def accounts_users(base: str, token: str) -> dict[int, dict]:
    answer = requests.get(f"{base}/api/v1/users/", params={"limit": 100}, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert answer.status_code == 200, answer.text
    return {user["id"]: user for user in answer.json()}


def test_accounts_fastapi_conforms_keeps_its_login_and_leaves_existing_users(tmp_path: Path) -> None:
    with implementation("accounts_fastapi") as server:
        token = accounts_login(server.url)
        before = accounts_users(server.url, token)
        result, data = check("accounts", server.url, tmp_path)
        assert_reached(result, data)
        assert "application/x-www-form-urlencoded" in data["auth"]  # as the document's examples log in
        # The token from before the run still works: nobody renamed or deleted the demo user.
        after = accounts_users(server.url, token)
    assert {key: after.get(key) for key in before} == before


def test_accounts_fault_behind_authentication_is_found(tmp_path: Path) -> None:
    with implementation("accounts_fastapi", PLANT_500="1") as server:
        result, data = check("accounts", server.url, tmp_path, "--phases", "examples")
    assert result.returncode == 1, result.stdout[-3000:]
    assert any(
        finding["operation"] == "GET /api/v1/users/{user_id}" and finding["check"] == "not_a_server_error"
        for finding in data["findings"]
    ), data["findings"]


# ---- enterprise (Starlette) -------------------------------------------------------------
def enterprise_snapshot(base: str, token: str) -> dict[str, list[dict]]:
    headers = {"Authorization": f"Bearer {token}"}
    snapshot = {}
    for collection in ("products", "orders"):
        answer = requests.get(f"{base}/v2/data/{collection}", params={"limit": 100}, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text
        snapshot[collection] = answer.json()["data"]
    return snapshot


def test_enterprise_starlette_conforms_without_logging_itself_out_or_touching_existing_records(tmp_path: Path) -> None:
    with implementation("enterprise_starlette") as server:
        login = requests.post(f"{server.url}/v2/auth/login", json={"username": "john.doe", "password": "SecurePassword123!"}, timeout=5)
        token = login.json()["access_token"]
        before = enterprise_snapshot(server.url, token)
        result, data = check("enterprise", server.url, tmp_path)
        assert_reached(result, data)
        logout = data["reach"]["POST /auth/logout"]
        assert logout["reached"] >= 1  # logout was tested, on a login of its own
        after = enterprise_snapshot(server.url, token)
    assert {name: [record for record in after[name] if record["id"] in {r["id"] for r in records}] for name, records in before.items()} == before
    assert "cleanup: deleted" in " ".join(data["notes"])


def test_enterprise_fault_behind_authentication_is_found(tmp_path: Path) -> None:
    with implementation("enterprise_starlette", PLANT_500="1") as server:
        result, data = check("enterprise", server.url, tmp_path, "--phases", "examples")
    assert result.returncode == 1, result.stdout[-3000:]
    assert any(f["operation"] == "GET /data/{collection}/{id}" and f["check"] == "not_a_server_error" for f in data["findings"]), data["findings"]


# ---- directory (Starlette) --------------------------------------------------------------
def test_directory_starlette_conforms_logged_in_with_a_form_token_request(tmp_path: Path) -> None:
    with implementation("directory_starlette") as server:
        result, data = check("directory", server.url, tmp_path)
    assert_reached(result, data)
    assert "POST /oauth/token" in data["auth"] and "application/x-www-form-urlencoded" in data["auth"]
    assert data["reach"]["GET /api/v1/users"]["reached"] >= 10


def test_directory_form_only_basic_only_token_endpoint_still_lets_the_suite_in(tmp_path: Path) -> None:
    """A token endpoint that refuses JSON and secrets in the body (as many OAuth servers do):
    the suite logs in with a form and HTTP Basic (RFC 6749 section 2.3.1) and reaches the API.
    The refusal of the contract's JSON example is reported as a warning: the 401 it answers
    rests on the contract's assumption, not on the document (which shows the form only)."""
    with implementation("directory_starlette", TOKEN_FORM_ONLY="1", CLIENT_AUTH="basic") as server:
        result, data = check("directory", server.url, tmp_path, "--phases", "examples,fuzz")
    assert "client credentials by HTTP Basic" in data["auth"], data["auth"]
    assert data["reach_percent"] >= MIN_REACH
    assert data["findings"] == [], data["findings"]
    assert {warning["operation"] for warning in data["warnings"]} == {"POST /oauth/token"}, data["warnings"]
    assert result.returncode == 0


def test_directory_fault_behind_authentication_is_found(tmp_path: Path) -> None:
    with implementation("directory_starlette", PLANT_500="1") as server:
        result, data = check("directory", server.url, tmp_path, "--phases", "examples")
    assert result.returncode == 1, result.stdout[-3000:]
    assert any(f["operation"] == "GET /api/v1/users" and f["check"] == "not_a_server_error" for f in data["findings"]), data["findings"]


# ---- a session that dies and cannot be restored -----------------------------------------
def test_a_lost_session_stops_the_run_with_exit_2_naming_the_last_good_request(tmp_path: Path) -> None:
    contract = ROOT / "tests" / "conformance" / "fragile" / "openapi.yaml"
    with implementation("fragile_starlette") as server:
        result, data = check(str(contract), server.url, tmp_path, "--phases", "examples,fuzz")
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "session lost after GET /items (answered 200)" in lines[0], result.stderr
    assert "logging in again failed" in lines[0]
    assert data["session_lost"] and not data["conforms"]


def test_any_header_authenticates_without_a_login(tmp_path: Path) -> None:
    with implementation("accounts_fastapi") as server:
        token = accounts_login(server.url)
        result, data = check("accounts", server.url, tmp_path, "--phases", "examples,fuzz",
                             "--header", f"Authorization: Bearer {token}", "--header", "X-Request-Source: apitwin")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert data["auth"] == "headers given on the command line"
    assert data["reach_percent"] >= MIN_REACH and data["reach"]["GET /api/v1/users/"]["reached"] > 0


def test_requests_turned_away_are_not_tested_and_min_reach_fails_the_run(tmp_path: Path) -> None:
    with implementation("directory_starlette") as server:
        result, data = check("directory", server.url, tmp_path, "--phases", "examples", "--token", "not.a.valid-token",
                             "--min-reach", "50")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert data["reach"]["GET /api/v1/users"]["reached"] == 0
    assert "turned away" in data["not_tested"]["GET /api/v1/users"]
    assert data["reach_percent"] < 50 and data["min_reach_percent"] == 50 and not data["conforms"]
    assert "not tested:" in result.stdout


def test_destructive_still_never_touches_the_logged_in_account(tmp_path: Path) -> None:
    with implementation("accounts_fastapi") as server:
        token = accounts_login(server.url)
        before = accounts_users(server.url, token)[1]
        result, data = check("accounts", server.url, tmp_path, "--destructive")
        after = accounts_users(server.url, token).get(1)  # the token still works: user 1 was not renamed
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert after == before
