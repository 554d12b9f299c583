"""`enterprise` under /v2: records CRUD, the filter language, sort/fields/offset, batch, ttl, keys."""

from __future__ import annotations

import time

import httpx

from tests.mock.mockutil import client, login

API = "enterprise"


def create(http: httpx.Client, collection: str, data: dict, **extra) -> dict:
    response = http.post(f"/data/{collection}", json={"data": data, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_document_login_example(server):
    response = httpx.post(
        f"{server.url}/v2/auth/login",
        json={"username": "john.doe", "password": "SecurePassword123!", "remember_me": True, "device_id": "mobile-ios-abc123"},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["user"] == {"id": "usr_abc123", "username": "john.doe", "email": "john@example.com", "roles": ["user", "editor"]}


def test_create_record_document_example(http):
    record = create(
        http, "products", {"name": "Widget Pro", "price": 29.99, "category": "electronics", "in_stock": True},
        metadata={"tags": ["featured", "new"], "source": "import_batch_001"},
    )
    assert record["id"].startswith("rec_") and record["collection"] == "products"
    assert record["data"] == {"name": "Widget Pro", "price": 29.99, "category": "electronics", "in_stock": True}
    assert record["metadata"] == {"tags": ["featured", "new"], "source": "import_batch_001"}
    assert record["created_at"] == record["updated_at"]
    assert "ttl" not in record and "expires_at" not in record


def test_record_lifecycle_put_replaces_patch_merges(http):
    record = create(http, "lifecycle", {"name": "A", "price": 1, "color": "red"})
    url = f"/data/lifecycle/{record['id']}"
    assert http.get(url).json() == record

    patched = http.patch(url, json={"data": {"price": 2}}).json()
    assert patched["data"] == {"name": "A", "price": 2, "color": "red"}

    replaced = http.put(url, json={"data": {"name": "B"}}).json()
    assert replaced["data"] == {"name": "B"}
    assert replaced["created_at"] == record["created_at"]

    assert http.delete(url).status_code == 204
    missing = http.get(url)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    assert http.delete(url).status_code == 404


def test_filter_sort_fields_and_offset_over_stored_records(http):
    prices = [5, 50, 15, 100, 30]
    for n, price in enumerate(prices):
        create(http, "catalog", {"name": f"item {n}", "price": price, "category": "gadgets" if n % 2 else "electronics"})
    everything = http.get("/data/catalog", params={"limit": 100}).json()
    assert everything["pagination"]["total"] == 5

    cheap_first = http.get("/data/catalog", params={"sort": "price", "order": "asc"}).json()["data"]
    assert [r["data"]["price"] for r in cheap_first] == sorted(prices)
    assert [r["data"]["price"] for r in http.get("/data/catalog", params={"sort": "price", "order": "desc"}).json()["data"]] == sorted(prices, reverse=True)

    filtered = http.get("/data/catalog", params={"filter": "price:gt:10;category:in:electronics,gadgets", "sort": "price", "order": "asc"}).json()
    assert [r["data"]["price"] for r in filtered["data"]] == [15, 30, 50, 100]
    assert filtered["pagination"]["total"] == 4

    named = http.get("/data/catalog", params={"filter": "name:contains:ITEM 3"}).json()["data"]
    assert [r["data"]["name"] for r in named] == ["item 3"]

    page = http.get("/data/catalog", params={"sort": "price", "order": "asc", "limit": 2, "offset": 2}).json()
    assert [r["data"]["price"] for r in page["data"]] == [30, 50]
    assert page["pagination"] == {"total": 5, "limit": 2, "offset": 2, "has_more": True}

    projected = http.get("/data/catalog", params={"fields": "data", "limit": 1}).json()["data"][0]
    assert set(projected) == {"id", "data"}


def test_malformed_filter_is_a_clear_400(http):
    response = http.get("/data/catalog", params={"filter": "price:between:10"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert error["message"].startswith("Malformed filter clause 'price:between:10'") and "eq, ne, gt" in error["message"]


def test_batch_create_and_delete(http):
    created = http.post("/data/bulk/batch", json={"records": [{"data": {"name": "Item 1"}}, {"data": {"name": "Item 2"}}, {"data": {"name": "Item 3"}}]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created"] == 3 and body["failed"] == 0
    ids = [r["id"] for r in body["records"]]
    assert http.get("/data/bulk").json()["pagination"]["total"] == 3

    deleted = http.post("/data/bulk/batch-delete", json={"ids": ids[:2] + ["rec_doesnotexist"]})
    assert deleted.status_code == 200, deleted.text
    assert http.get("/data/bulk").json()["pagination"]["total"] == 1


def test_batch_limit_is_1000(http):
    too_many = http.post("/data/bulk/batch", json={"records": [{"data": {"n": n}} for n in range(1001)]})
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "INVALID_REQUEST"


def test_record_ttl_expires(http):
    record = create(http, "flash", {"name": "Flash Sale Banner", "discount": 0.25}, ttl=1)
    assert record["expires_at"] >= record["created_at"]
    assert http.get(f"/data/flash/{record['id']}").status_code == 200
    time.sleep(1.2)
    assert http.get(f"/data/flash/{record['id']}").status_code == 404


def test_api_key_is_shown_once_and_then_works(http, server):
    created = http.post("/auth/api-keys", json={"name": "Production Server", "permissions": ["read:data", "write:data"], "expires_in_days": 365})
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    with httpx.Client(base_url=f"{server.url}/v2", headers={"X-API-Key": key}) as machine:
        assert machine.get("/data/catalog").status_code == 200
        assert machine.post("/data/catalog", json={"data": {"name": "by key"}}).status_code == 201


def test_read_only_key_cannot_write(http, server):
    key = http.post("/auth/api-keys", json={"name": "reader", "permissions": ["read:data"]}).json()["api_key"]
    with httpx.Client(base_url=f"{server.url}/v2", headers={"X-API-Key": key}) as machine:
        assert machine.get("/data/catalog").status_code == 200
        refused = machine.post("/data/catalog", json={"data": {"name": "nope"}})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_no_credentials_is_401_in_envelope(server):
    response = httpx.get(f"{server.url}/v2/data/catalog")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_logout_revokes_at_once(server):
    token = login(server, API)
    with client(server, API, token) as http:
        assert http.get("/data/catalog").status_code == 200  # the credential is now known to the mock
        assert http.post("/auth/logout").status_code == 204
        revoked = http.get("/data/catalog")
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "UNAUTHORIZED"


def test_webhook_registration(http):
    created = http.post("/webhooks", json={
        "url": "https://your-server.com/webhook", "events": ["record.created", "record.updated", "record.deleted"],
        "collections": ["products", "orders"], "secret": "your_webhook_secret",
    })
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["id"].startswith("whk_") and hook["collections"] == ["products", "orders"]
    assert "secret" not in hook
