"""`accounts` (FastAPI style): the document's own examples, CRUD, skip/limit, FastAPI errors."""

from __future__ import annotations

import httpx


API = "accounts"


def test_python_example_verbatim(server):
    """The document's Python example (requests' `data=` is a form body)."""
    response = httpx.post(f"{server.url}/api/v1/auth/login", data={"username": "user", "password": "password"})
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    users = httpx.get(f"{server.url}/api/v1/users/", headers=headers).json()
    assert isinstance(users, list) and any(u["username"] == "user" for u in users)


def test_curl_and_javascript_examples_form_login(server):
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        content="username=user&password=password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_json_login_as_in_the_reference(server):
    response = httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "user", "password": "password"})
    assert response.status_code == 200 and response.json()["access_token"].count(".") == 2


def test_users_need_a_token(server):
    response = httpx.get(f"{server.url}/api/v1/users/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_register_then_crud(http):
    created = http.post(
        "/api/v1/auth/register",
        json={"email": "crud@example.com", "username": "crud", "password": "a-long-password", "full_name": "Crud User"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["token_type"] == "bearer"
    users = http.get("/api/v1/users/", params={"limit": 100}).json()
    mine = next(u for u in users if u["username"] == "crud")
    assert "password" not in mine and "hashed_password" not in mine
    assert mine["email"] == "crud@example.com" and mine["full_name"] == "Crud User"

    read = http.get(f"/api/v1/users/{mine['id']}")
    assert read.status_code == 200 and read.json() == mine

    updated = http.put(f"/api/v1/users/{mine['id']}", json={"full_name": "New Name", "email": "newemail@example.com"})
    assert updated.status_code == 200
    body = updated.json()
    assert body["full_name"] == "New Name" and body["email"] == "newemail@example.com"
    assert body["username"] == "crud" and body["created_at"] == mine["created_at"]
    assert http.get(f"/api/v1/users/{mine['id']}").json()["full_name"] == "New Name"

    deleted = http.delete(f"/api/v1/users/{mine['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"message": "User deleted successfully"}
    gone = http.get(f"/api/v1/users/{mine['id']}")
    assert gone.status_code == 404 and isinstance(gone.json()["detail"], str)


def test_skip_and_limit_over_stored_users(http):
    for n in range(3):
        http.post("/api/v1/auth/register", json={"email": f"page{n}@example.com", "username": f"page{n}", "password": "pw-pw-pw-pw"})
    everyone = http.get("/api/v1/users/", params={"limit": 100}).json()
    assert len(everyone) >= 4
    window = http.get("/api/v1/users/", params={"skip": 1, "limit": 2}).json()
    assert window == everyone[1:3]


def test_limit_has_no_ceiling_as_the_document_gives_only_a_default(http):
    everyone = http.get("/api/v1/users/", params={"limit": 100}).json()
    more = http.get("/api/v1/users/", params={"limit": 1000})
    assert more.status_code == 200 and more.json() == everyone


def test_validation_error_is_fastapi_detail_list(http):
    response = http.post("/api/v1/auth/register", json={"email": "not-an-email", "username": "x", "password": "pw"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0] == {"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error.email"}


def test_missing_field_is_reported_with_its_location(http):
    response = http.post("/api/v1/auth/register", json={"email": "a@example.com", "password": "pw"})
    assert response.status_code == 422
    assert {"loc": ["body", "username"], "msg": "field required", "type": "value_error.missing"} in response.json()["detail"]


def test_query_parameter_out_of_bounds(http):
    response = http.get("/api/v1/users/", params={"skip": -1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "skip"]


def test_docs_where_the_document_puts_them(server):
    assert "swagger-ui" in httpx.get(f"{server.url}/docs").text
    assert "redoc" in httpx.get(f"{server.url}/redoc").text.lower()
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and "/api/v1/users/" in spec["paths"]
    assert httpx.get(f"{server.url}/__mock/openapi-3.0.json").json()["openapi"].startswith("3.0")
    assert httpx.get(f"{server.url}/__mock/swagger-ui/swagger-ui-bundle.js").status_code == 200
