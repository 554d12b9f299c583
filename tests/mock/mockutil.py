"""Helpers for the mock's tests: the documents' own login requests, and a client per server."""

from __future__ import annotations

import httpx

from tests.support.servers import ServerProcess

#: the base path each bundled API is served under (from its contract's servers)
BASE = {"accounts": "", "directory": "", "messaging": "", "enterprise": "/v2", "realtime": ""}


def client(server: ServerProcess, api: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url + BASE[api], headers=headers, timeout=10)


def login(server: ServerProcess, api: str) -> str:
    """An access token, obtained exactly as each document's own example does it."""
    with client(server, api) as http:
        if api == "accounts":  # the document's curl/Python/JS examples send a form
            response = http.post("/api/v1/auth/login", data={"username": "user", "password": "password"})
        elif api == "directory":
            response = http.post(
                "/oauth/token",
                content="grant_type=client_credentials&client_id=YOUR_CLIENT_ID&client_secret=YOUR_CLIENT_SECRET",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        elif api == "messaging":
            response = http.post("/api/auth/login", json={"email": "user@example.com", "password": "secure_password"})
        elif api == "enterprise":
            response = http.post(
                "/auth/login",
                json={"username": "john.doe", "password": "SecurePassword123!", "remember_me": True, "device_id": "mobile-ios-abc123"},
            )
        else:
            response = http.post("/sessions", json={"username": "user@example.com", "password": "secure_password"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
