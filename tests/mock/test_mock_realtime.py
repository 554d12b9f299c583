"""`realtime`: sessions, and /health, /metrics, /info reporting the server's own figures."""

from __future__ import annotations

import time

import httpx

API = "realtime"


def test_health_reports_true_figures(server):
    health = httpx.get(f"{server.url}/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "healthy"
    assert body["active_connections"] == 0
    assert 0 <= body["uptime_seconds"] < 600
    assert body["max_connections"] == 10000


def test_uptime_advances(server):
    first = httpx.get(f"{server.url}/health").json()["uptime_seconds"]
    time.sleep(1.1)
    assert httpx.get(f"{server.url}/health").json()["uptime_seconds"] > first


def test_metrics_and_info_agree(server):
    metrics = httpx.get(f"{server.url}/metrics").json()
    info = httpx.get(f"{server.url}/info").json()
    assert metrics["active_connections"] == 0 and metrics["errors"] >= 0
    assert info["stats"]["total_connections"] == metrics["total_connections"]
    assert info["server"]["config"]["max_connections"] == 10000
    assert info["server"]["config"]["port"] == server.port


def test_max_connections_option_is_reported():
    from tests.support.servers import run_mock

    with run_mock(API, "--max-connections", "5") as small:
        assert httpx.get(f"{small.url}/health").json()["max_connections"] == 5
        assert httpx.get(f"{small.url}/info").json()["server"]["config"]["max_connections"] == 5


def test_session_create_refresh_and_revoke(server):
    session = httpx.post(f"{server.url}/sessions", json={"username": "user@example.com", "password": "secure_password"})
    assert session.status_code == 200, session.text
    tokens = session.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["user"]["id"] == "user_123" and tokens["user"]["roles"] == ["user", "subscriber"]
    refreshed = httpx.post(f"{server.url}/sessions/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 3600
    session_id = tokens.get("session_id")
    assert session_id, "the session's id is returned so that it can be terminated"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.delete(f"{server.url}/sessions/{session_id}", headers=headers).status_code == 204
    assert httpx.delete(f"{server.url}/sessions/{session_id}", headers=headers).status_code == 401


def test_wrong_password_is_401_in_envelope(server):
    response = httpx.post(f"{server.url}/sessions", json={"username": "user@example.com", "password": "nope"})
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message"}
