"""`directory`: the OAuth2 token request and the users list exactly as the document writes them."""

from __future__ import annotations

import math

import httpx


API = "directory"
DOCUMENT_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def test_token_request_verbatim(server):
    response = httpx.post(
        f"{server.url}/oauth/token",
        content="grant_type=client_credentials&client_id=YOUR_CLIENT_ID&client_secret=YOUR_CLIENT_SECRET",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json()["access_token"].count(".") == 2


def test_wrong_client_secret_is_an_oauth_error(server):
    response = httpx.post(f"{server.url}/oauth/token", data={"grant_type": "client_credentials", "client_id": "YOUR_CLIENT_ID", "client_secret": "nope"})
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_the_documents_example_bearer_token_works(server):
    response = httpx.get(f"{server.url}/api/v1/users", headers={"Authorization": f"Bearer {DOCUMENT_TOKEN}"})
    assert response.status_code == 200


def test_list_users_request_verbatim(http):
    everyone = http.get("/api/v1/users", params={"per_page": 100, "sort": "created_at"}).json()
    total = everyone["meta"]["total_count"]
    assert total == len(everyone["data"]) or total > 100
    response = http.get("/api/v1/users?page=2&per_page=20&fields=id,username,email&sort=-created_at")
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"current_page": 2, "total_pages": math.ceil(total / 20), "total_count": total}
    assert all(set(user) <= {"id", "username", "email"} for user in body["data"])
    newest_first = list(reversed(everyone["data"]))
    assert [u["id"] for u in body["data"]] == [u["id"] for u in newest_first[20:40]]


def test_sort_ascending_and_descending(http):
    ascending = http.get("/api/v1/users", params={"per_page": 100, "sort": "+username", "fields": "id,username"}).json()["data"]
    names = [u["username"] for u in ascending]
    assert names == sorted(names)
    descending = http.get("/api/v1/users", params={"per_page": 100, "sort": "-username", "fields": "id,username"}).json()["data"]
    assert [u["username"] for u in descending] == sorted(names, reverse=True)


def test_per_page_above_100_is_a_validation_error(http):
    response = http.get("/api/v1/users", params={"per_page": 101})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_expired_or_malformed_token_is_invalid_token(server):
    response = httpx.get(f"{server.url}/api/v1/users", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "INVALID_TOKEN"
