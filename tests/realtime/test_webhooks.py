"""Webhooks registered through the REST side reach a real HTTP listener, signed, and are retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.realtime.helpers import serve


class Listener:
    """A webhook receiver: records every POST; answers the first `failures` of them with 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 500 if listener.failures > 0 else 200
                listener.failures -= 1
                listener.received.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes, int]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} of {count} deliveries arrived"
        return self.received

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def valid_signature(body: bytes, secret: str) -> str:
    """What the contracts' Signature schema says: HMAC-SHA256 of the payload without `signature`,
    as compact JSON with sorted keys, prefixed with sha256=."""
    payload = json.loads(body)
    payload.pop("signature")
    canonical = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return "sha256=" + hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def messaging() -> Iterator[Any]:
    with serve("messaging", "--rate-limits", "off", env={"APITWIN_WEBHOOK_BACKOFF": "0.1"}) as server:
        yield server


def _client(server: Any) -> httpx.Client:
    token = httpx.post(f"{server.url}/api/auth/login", json={"email": "user@example.com", "password": "secure_password"})
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def test_message_created_is_delivered_signed_and_retried_after_a_failure(messaging: Any) -> None:
    client = _client(messaging)
    receiver = client.get("/api/messages").json()
    with Listener(failures=1) as listener:
        registered = client.post("/api/webhooks", json={"url": listener.url, "events": ["message.created"], "secret": "webhook_secret"})
        assert registered.status_code == 201, registered.text
        assert "secret" not in registered.json()
        others = [m.get("receiver_id") for m in receiver.get("messages", []) if m.get("receiver_id")]
        target = others[0] if others else client.post("/api/users", json={
            "username": "hooked", "email": "hooked@example.com", "password": "secret_password", "display_name": "Hooked"}).json()["id"]
        sent = client.post("/api/messages", json={"receiver_id": target, "content": "Hello, world!", "type": "text"})
        assert sent.status_code == 201, sent.text
        (first_headers, first_body, first_status), (headers, body, status) = listener.wait_for(2)[:2]
        assert (first_status, status) == (500, 200)
        assert body == first_body  # the retry carries the same delivery
        payload = json.loads(body)
        assert payload["event"] == "message.created"
        assert payload["data"]["message_id"] == sent.json()["id"]
        assert payload["data"]["content"] == "Hello, world!"
        assert payload["signature"] == valid_signature(body, "webhook_secret")
        assert headers["X-Webhook-Signature"] == payload["signature"]
    log = client.get("/__mock/webhooks").json()["deliveries"]
    mine = [d for d in log if d["webhook_id"] == registered.json()["id"]]
    assert len(mine) == 1
    assert [a.get("status") for a in mine[0]["attempts"]] == [500, 200]
    assert mine[0]["state"] == "delivered"


def test_a_webhook_that_keeps_failing_is_given_up_after_the_declared_attempts(messaging: Any) -> None:
    client = _client(messaging)
    with Listener(failures=100) as listener:
        registered = client.post("/api/webhooks", json={"url": listener.url, "events": ["user.updated"], "secret": "s"})
        assert registered.status_code == 201
        me = "123e4567-e89b-12d3-a456-426614174000"
        assert client.patch(f"/api/users/{me}", json={"display_name": "New Display Name"}).status_code == 200
        listener.wait_for(4)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            mine = [d for d in client.get("/__mock/webhooks").json()["deliveries"] if d["webhook_id"] == registered.json()["id"]]
            if mine and mine[0]["state"] == "failed":
                break
            time.sleep(0.05)
        assert mine[0]["state"] == "failed"
        assert [a["status"] for a in mine[0]["attempts"]] == [500, 500, 500, 500]
        payload = json.loads(listener.received[0][1])
        assert payload["event"] == "user.updated"
        assert payload["data"]["user_id"] == me and payload["data"]["display_name"] == "New Display Name"
        assert payload["signature"] == valid_signature(listener.received[0][1], "s")


def test_enterprise_records_fire_for_watched_collections_only() -> None:
    with serve("enterprise", "--rate-limits", "off") as server, Listener() as listener:
        login = httpx.post(f"{server.url}/v2/auth/login", json={"username": "john.doe", "password": "SecurePassword123!"})
        client = httpx.Client(base_url=f"{server.url}/v2", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        registered = client.post("/webhooks", json={"url": listener.url, "collections": ["products"],
                                                    "events": ["record.created", "record.updated", "record.deleted"],
                                                    "secret": "your_webhook_secret"})
        assert registered.status_code == 201, registered.text
        assert client.post("/data/orders", json={"data": {"total": 1}}).status_code == 201  # not watched
        record = client.post("/data/products", json={"data": {"name": "Widget", "price": 19.99}}).json()
        assert client.patch(f"/data/products/{record['id']}", json={"data": {"price": 24.99}}).status_code == 200
        assert client.delete(f"/data/products/{record['id']}").status_code in (200, 204)
        received = listener.wait_for(3)
        time.sleep(0.3)
        payloads = [json.loads(body) for _, body, _ in listener.received]
        assert [p["event"] for p in payloads] == ["record.created", "record.updated", "record.deleted"]
        assert all(p["data"]["collection"] == "products" and p["data"]["record_id"] == record["id"] for p in payloads)
        assert payloads[0]["data"]["changes"] == {"name": "Widget", "price": 19.99}
        assert payloads[1]["data"]["changes"] == {"price": 24.99}
        assert payloads[2]["data"]["changes"] == {}
        for headers, body, _ in received:
            assert headers["X-Webhook-Signature"] == valid_signature(body, "your_webhook_secret") == json.loads(body)["signature"]
        listed = client.get("/data/products", params={"limit": 1}).json()
        fixture = next(value for value in listed.values() if isinstance(value, list))[0]
        assert client.patch(f"/data/products/{fixture['id']}", json={"data": {"price": 1.5}}).status_code == 200
        changed = json.loads(listener.wait_for(4)[3][1])
        assert (changed["data"]["record_id"], changed["data"]["changes"]) == (fixture["id"], {"price": 1.5})


def test_enterprise_batch_delete_fires_one_record_deleted_per_record() -> None:
    with serve("enterprise", "--rate-limits", "off") as server, Listener() as listener:
        login = httpx.post(f"{server.url}/v2/auth/login", json={"username": "john.doe", "password": "SecurePassword123!"})
        client = httpx.Client(base_url=f"{server.url}/v2", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        made = client.post("/data/gadgets/batch", json={"records": [{"data": {"n": 1}}, {"data": {"n": 2}}]})
        assert made.status_code in (200, 201), made.text
        ids = [record["id"] for record in made.json()["records"]]
        registered = client.post("/webhooks", json={"url": listener.url, "events": ["record.deleted"], "secret": "s"})
        assert registered.status_code == 201 and registered.json()["active"] is True
        deleted = client.post("/data/gadgets/batch-delete", json={"ids": [*ids, "rec_missing1"]})
        assert deleted.status_code == 200, deleted.text
        listener.wait_for(2)
        time.sleep(0.3)
        payloads = [json.loads(body) for _, body, _ in listener.received]
        assert [p["event"] for p in payloads] == ["record.deleted", "record.deleted"]
        assert sorted(p["data"]["record_id"] for p in payloads) == sorted(ids)
        assert all(p["data"]["collection"] == "gadgets" for p in payloads)
