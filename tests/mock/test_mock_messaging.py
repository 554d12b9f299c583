"""`messaging`: the document's requests, cursors with X-Pagination-* headers, filters, groups."""

from __future__ import annotations

import httpx


API = "messaging"
RECEIVER = "123e4567-e89b-12d3-a456-426614174000"


def send(http: httpx.Client, content: str, **extra) -> dict:
    response = http.post("/api/messages", json={"receiver_id": RECEIVER, "content": content, "type": "text", **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_document_login_and_refresh(server):
    tokens = httpx.post(f"{server.url}/api/auth/login", json={"email": "user@example.com", "password": "secure_password"}).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    refreshed = httpx.post(f"{server.url}/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]


def test_send_message_document_example(http):
    # the document writes placeholders ("optional_message_id", "user_id1"); the contract wants uuids
    meta = {"reply_to": "6fa459ea-ee8a-3ca4-894e-db77e160355e", "mentions": [RECEIVER, "7c9e6679-7425-40de-944b-e07fc1f90ae7"]}
    message = send(http, "Hello, world!", metadata=meta)
    assert message["content"] == "Hello, world!" and message["type"] == "text" and message["status"] == "sent"
    assert message["receiver_id"] == RECEIVER
    assert message["metadata"] == meta


def test_cursor_pagination_walks_every_message_once(http):
    sent = [send(http, f"walk {n}", conversation_id="7c9e6679-7425-40de-944b-e07fc1f90ae7")["id"] for n in range(5)]
    params = {"conversation_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "limit": 2}
    first = http.get("/api/messages", params=params)
    assert first.status_code == 200, first.text
    assert first.headers["X-Pagination-Total"] == "5"
    assert first.headers["X-Pagination-Pages"] == "3"
    assert first.headers["X-Pagination-Per-Page"] == "2"
    assert first.headers["X-Pagination-Current-Page"] == "1"
    seen, page = [], first.json()
    while True:
        seen += [m["id"] for m in page["messages"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        page = http.get("/api/messages", params={**params, "before": page["next_cursor"]}).json()
    assert sorted(seen) == sorted(sent) and len(seen) == 5
    newest_first = http.get("/api/messages", params={**params, "limit": 5}).json()["messages"]
    assert [m["id"] for m in newest_first] == seen
    newer = http.get("/api/messages", params={**params, "after": seen[2]}).json()["messages"]
    assert [m["id"] for m in newer] == seen[:2]


def test_filters_status_type_and_dates(http):
    conversation = "0b3ad4d2-6a59-4a55-9b49-8f4c6fd6b1a1"
    send(http, "an image", type="image", conversation_id=conversation)
    send(http, "some text", conversation_id=conversation)
    images = http.get("/api/messages", params={"conversation_id": conversation, "type": "image"}).json()["messages"]
    assert [m["content"] for m in images] == ["an image"]
    listed = http.get("/api/messages", params={"conversation_id": conversation}).json()["messages"]
    day = listed[0]["created_at"][:10]
    same_day = http.get("/api/messages", params={"conversation_id": conversation, "from": day, "to": day}).json()["messages"]
    assert len(same_day) == 2
    before = http.get("/api/messages", params={"conversation_id": conversation, "to": "2000-01-01"}).json()["messages"]
    assert before == []
    status = listed[0]["status"]
    by_status = http.get("/api/messages", params={"conversation_id": conversation, "status": status}).json()["messages"]
    assert by_status and all(m["status"] == status for m in by_status)


def test_groups_crud(http):
    created = http.post("/api/groups", json={
        "name": "Group Name", "description": "Group description", "members": [RECEIVER],
        "settings": {"is_private": False, "allow_invites": True, "message_retention_days": 30},
    })
    assert created.status_code == 201, created.text
    group = created.json()
    assert group["name"] == "Group Name" and group["settings"]["message_retention_days"] == 30
    assert group["members"][0]["user_id"] == RECEIVER
    url = f"/api/groups/{group['id']}"
    assert http.get(url).json() == group
    renamed = http.patch(url, json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert http.delete(url).status_code == 204
    gone = http.get(url)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_user_profile_update(http):
    updated = http.patch(f"/api/users/{RECEIVER}", json={"display_name": "New Display Name", "bio": "Updated bio", "location": "New City, Country"})
    assert updated.status_code == 200, updated.text
    profile = http.get(f"/api/users/{RECEIVER}").json()
    assert profile["display_name"] == "New Display Name"
    assert profile["profile"]["bio"] == "Updated bio" and profile["profile"]["location"] == "New City, Country"


def test_errors_use_lower_case_codes(http, server):
    assert httpx.get(f"{server.url}/api/messages").json()["error"]["code"] == "unauthorized"
    invalid = http.post("/api/messages", json={"receiver_id": RECEIVER, "type": "text"})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation_error"
    assert invalid.json()["error"]["details"]["field"] == "content"


def test_webhook_registration_crud_never_shows_the_secret(http):
    created = http.post("/api/webhooks", json={"url": "https://your-server.com/webhook", "events": ["message.created", "user.updated"], "secret": "webhook_secret"})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["url"] == "https://your-server.com/webhook" and hook["events"] == ["message.created", "user.updated"]
    assert "secret" not in hook
    assert hook["id"] in [h["id"] for h in http.get("/api/webhooks", params={"limit": 100}).json()["webhooks"]]
    assert http.get(f"/api/webhooks/{hook['id']}").json() == hook
    assert http.delete(f"/api/webhooks/{hook['id']}").status_code == 204
    assert http.get(f"/api/webhooks/{hook['id']}").status_code == 404
