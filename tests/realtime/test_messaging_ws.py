"""messaging: REST actions become WebSocket events; typing relay; presence reflected by REST."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.realtime.helpers import Socket, frame_errors, handshake_schema, refused, run, serve
from tests.support.servers import ServerProcess

DEMO = {"email": "user@example.com", "password": "secure_password"}
DEMO_ID = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture(scope="module")
def messaging() -> Iterator[ServerProcess]:
    with serve("messaging", "--rate-limits", "off") as server:
        yield server


class User:
    def __init__(self, server: ServerProcess, user_id: str, token: str) -> None:
        self.id, self.token = user_id, token
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
        self.ws_url = f"{server.ws_url}/ws?token={token}"


def login(server: ServerProcess, email: str, password: str) -> str:
    response = httpx.post(f"{server.url}/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def register(server: ServerProcess, name: str) -> User:
    email = f"{name}@example.com"
    created = httpx.post(f"{server.url}/api/users",
                         json={"username": name, "email": email, "password": "secret_password", "display_name": name})
    assert created.status_code == 201, created.text
    return User(server, created.json()["id"], login(server, email, "secret_password"))


def demo(server: ServerProcess) -> User:
    return User(server, DEMO_ID, login(server, DEMO["email"], DEMO["password"]))


def send_message(sender: User, **body: Any) -> dict[str, Any]:
    response = sender.http.post("/api/messages", json={"content": "Hello, world!", "type": "text", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_sent_message_reaches_the_receivers_sockets_only(messaging: ServerProcess) -> None:
    alice, bob = demo(messaging), register(messaging, "bob_events")

    async def scenario() -> None:
        async with await Socket.open(alice.ws_url) as alice_ws, await Socket.open(bob.ws_url) as bob_ws, \
                await Socket.open(bob.ws_url) as bob_second:
            sent = send_message(alice, receiver_id=bob.id)
            for socket in (bob_ws, bob_second):
                event = await socket.receive_until(lambda f: f.get("type") == "message")
                assert frame_errors("messaging", "MessageEvent", event) == []
                assert event["data"]["id"] == sent["id"]
                assert event["data"]["sender_id"] == alice.id
                assert event["data"]["content"] == "Hello, world!"
            with pytest.raises(TimeoutError):
                await alice_ws.receive_until(lambda f: f.get("type") == "message", timeout=0.5)

    run(scenario())


def test_a_group_message_reaches_the_other_members(messaging: ServerProcess) -> None:
    alice, bob, carol = demo(messaging), register(messaging, "bob_group"), register(messaging, "carol_group")
    group = alice.http.post("/api/groups", json={"name": "Team", "members": [bob.id, carol.id]})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    members = {m["user_id"] for m in group.json()["members"]}
    assert {bob.id, carol.id} <= members

    async def scenario() -> None:
        async with await Socket.open(bob.ws_url) as bob_ws, await Socket.open(carol.ws_url) as carol_ws, \
                await Socket.open(alice.ws_url) as alice_ws:
            sent = send_message(alice, group_id=group_id)
            for socket in (bob_ws, carol_ws):
                event = await socket.receive_until(lambda f: f.get("type") == "message")
                assert frame_errors("messaging", "MessageEvent", event) == []
                assert (event["data"]["id"], event["data"]["group_id"]) == (sent["id"], group_id)
            with pytest.raises(TimeoutError):
                await alice_ws.receive_until(lambda f: f.get("type") == "message", timeout=0.5)

    run(scenario())


def test_typing_reaches_the_other_participant_and_unknown_conversations_are_errors(messaging: ServerProcess) -> None:
    alice, bob = demo(messaging), register(messaging, "bob_typing")
    conversation = send_message(alice, receiver_id=bob.id)["conversation_id"]

    async def scenario() -> None:
        async with await Socket.open(alice.ws_url) as alice_ws, await Socket.open(bob.ws_url) as bob_ws:
            await alice_ws.send({"type": "typing", "data": {"conversation_id": conversation, "is_typing": True}})
            typing = await bob_ws.receive_until(lambda f: f.get("type") == "typing")
            assert frame_errors("messaging", "TypingEvent", typing) == []
            assert typing["data"] == {"user_id": alice.id, "conversation_id": conversation, "is_typing": True}
            await alice_ws.send({"type": "typing", "data": {"conversation_id": "c0a80101-0000-4000-8000-00000000dead", "is_typing": True}})
            error = await alice_ws.receive_until(lambda f: "error" in f)
            assert frame_errors("messaging", "Error", error) == []
            assert error["error"]["code"] == "not_found"

    run(scenario())


def test_presence_online_then_offline_with_last_seen_as_rest_shows(messaging: ServerProcess) -> None:
    alice, bob = demo(messaging), register(messaging, "bob_presence")
    send_message(alice, receiver_id=bob.id)  # now they share a conversation

    async def scenario() -> None:
        async with await Socket.open(alice.ws_url) as alice_ws:
            bob_ws = await Socket.open(bob.ws_url)
            online = await alice_ws.receive_until(lambda f: f.get("type") == "presence")
            assert frame_errors("messaging", "PresenceEvent", online) == []
            assert (online["data"]["user_id"], online["data"]["status"]) == (bob.id, "online")
            assert alice.http.get(f"/api/users/{bob.id}").json()["status"] == "online"
            await bob_ws.send({"type": "presence", "data": {"status": "away"}})
            away = await alice_ws.receive_until(lambda f: f.get("type") == "presence")
            assert away["data"]["status"] == "away"
            assert alice.http.get(f"/api/users/{bob.id}").json()["status"] == "away"
            await bob_ws.close()
            offline = await alice_ws.receive_until(lambda f: f.get("type") == "presence")
            assert frame_errors("messaging", "PresenceEvent", offline) == []
            assert offline["data"]["status"] == "offline"
            profile = alice.http.get(f"/api/users/{bob.id}").json()
            assert profile["status"] == "offline"
            assert profile["last_seen"] == offline["data"]["last_seen"]

    run(scenario())


def test_ping_and_error_frames_in_the_documents_envelope(messaging: ServerProcess) -> None:
    alice = demo(messaging)

    async def scenario() -> None:
        async with await Socket.open(alice.ws_url) as socket:
            await socket.send({"type": "ping", "data": {"timestamp": 1710936000000}})
            pong = await socket.receive_until(lambda f: f.get("type") == "pong")
            assert frame_errors("messaging", "Pong", pong) == []
            assert pong["data"]["timestamp"] == 1710936000000
            for frame in ("{oops", '{"type": "message", "data": {}}', '{"type": "typing", "data": {"is_typing": "yes"}}'):
                await socket.send(frame)
                error = await socket.receive_until(lambda f: "error" in f)
                assert frame_errors("messaging", "Error", error) == [], error
                assert error["error"]["code"] == "validation_error"
            await socket.send({"type": "ping"})
            assert (await socket.receive_until(lambda f: f.get("type") == "pong"))["type"] == "pong"

    run(scenario())


def test_handshake_refusals_and_the_connection_rate_limit() -> None:
    with serve("messaging") as server:
        token = login(server, DEMO["email"], DEMO["password"])

        async def scenario() -> None:
            for url in (f"{server.ws_url}/ws", f"{server.ws_url}/ws?token=abc.def.ghi"):
                status, body = await refused(url)
                assert status == 401
                assert Draft202012Validator(handshake_schema("messaging", 401)).is_valid(body), body
            for _ in range(10):  # the document's limit: 10 connections per minute
                socket = await Socket.open(f"{server.ws_url}/ws?token={token}")
                await socket.close()
            status, body = await refused(f"{server.ws_url}/ws?token={token}")
            assert status == 429
            assert Draft202012Validator(handshake_schema("messaging", 429)).is_valid(body), body

        run(scenario())
