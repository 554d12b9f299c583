"""The realtime API's /ws, as its AsyncAPI contract says, through a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from jsonschema import Draft202012Validator

from tests.realtime.helpers import Socket, frame_errors, handshake_schema, realtime_token, refused, run, serve
from tests.support.servers import ServerProcess


async def _connected(server: ServerProcess, token: str) -> Socket:
    socket = await Socket.open(f"{server.ws_url}/ws?token={token}")
    welcome = await socket.receive()
    assert frame_errors("realtime", "Welcome", welcome) == []
    return socket


def test_welcome_subscribe_broadcast_and_ack(realtime: ServerProcess) -> None:
    alice, bob = realtime_token(realtime), realtime_token(realtime, "friend@example.com")

    async def scenario() -> None:
        async with await _connected(realtime, alice) as sender, await _connected(realtime, bob) as listener:
            await listener.send({"type": "Subscribe", "data": {"topics": ["chat.general"]}})
            subscribed = await listener.receive()
            assert frame_errors("realtime", "Subscribed", subscribed) == []
            await sender.send({"type": "Subscribe", "data": {"topics": ["chat.general"]}})
            await sender.receive()
            await sender.send({"type": "Broadcast", "data": {"topic": "chat.general", "payload": {"message": "Hello"}}})
            ack = await sender.receive()
            assert frame_errors("realtime", "Ack", ack) == []
            delivered = await listener.receive()
            assert frame_errors("realtime", "BroadcastDelivery", delivered) == []
            assert delivered["data"] == {"topic": "chat.general", "payload": {"message": "Hello"}}
            assert await sender.nothing_within(0.3)  # not echoed to the sender
            await listener.send({"type": "Unsubscribe", "data": {"topics": ["chat.general"]}})
            assert frame_errors("realtime", "Unsubscribed", await listener.receive()) == []
            await sender.send({"type": "Broadcast", "data": {"topic": "chat.general", "payload": 2}})
            await sender.receive()
            assert await listener.nothing_within(0.3)

    run(scenario())


def test_direct_message_reaches_every_connection_of_the_user(realtime: ServerProcess) -> None:
    alice, bob = realtime_token(realtime), realtime_token(realtime, "friend@example.com")

    async def scenario() -> None:
        async with await _connected(realtime, alice) as sender, await _connected(realtime, bob) as first, \
                await _connected(realtime, bob) as second:
            deadline = time.monotonic() + 3  # sockets of earlier tests may still be closing
            while True:
                listed = httpx.get(f"{realtime.url}/__mock/connections").json()["connections"]
                if len(listed) == 3 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert sorted(c["user_id"] for c in listed) == ["user_123", "user_456", "user_456"]
            await sender.send({"type": "DirectMessage", "data": {"target_user": "user_456", "payload": {"message": "Hi"}}})
            assert frame_errors("realtime", "Ack", await sender.receive()) == []
            for connection in (first, second):
                frame = await connection.receive()
                assert frame_errors("realtime", "DirectMessageDelivery", frame) == []
                assert frame["data"]["from_user"] == "user_123"
                assert frame["data"]["payload"] == {"message": "Hi"}
            await sender.send({"type": "DirectMessage", "data": {"target_user": "user_999", "payload": 1}})
            error = await sender.receive()
            assert frame_errors("realtime", "Error", error) == []
            assert error["data"]["code"] == 404 and "user_999" in error["data"]["message"]

    run(scenario())


def test_ping_pong_and_binary(realtime: ServerProcess) -> None:
    async def scenario() -> None:
        async with await _connected(realtime, realtime_token(realtime)) as socket:
            await socket.send({"type": "Ping", "data": {"timestamp": 1700000000123}})
            pong = await socket.receive()
            assert frame_errors("realtime", "Pong", pong) == []
            assert pong["data"]["timestamp"] == 1700000000123
            await socket.send(b"\x00\x01\x02\x03\x04")
            status = await socket.receive()
            assert frame_errors("realtime", "BinaryReceived", status) == []
            assert status["data"]["details"]["size"] == 5
            latency = await asyncio.wait_for(await socket.connection.ping(), 5)  # protocol-level ping -> pong
            assert latency >= 0
            await socket.send({"type": "Pong", "data": {"timestamp": 1}})
            assert await socket.nothing_within(0.2)

    run(scenario())


def test_invalid_frames_get_error_frames_and_the_socket_stays_open(realtime: ServerProcess) -> None:
    async def scenario() -> None:
        async with await _connected(realtime, realtime_token(realtime)) as socket:
            for frame in ("not json", json.dumps({"type": "Teleport", "data": {}}), json.dumps([1, 2]),
                          json.dumps({"type": "Subscribe", "data": {"topics": []}}),
                          json.dumps({"type": "Broadcast", "data": {"payload": 1}}),
                          json.dumps({"type": "Ping", "data": {"timestamp": "soon"}})):
                await socket.send(frame)
                error = await socket.receive()
                assert frame_errors("realtime", "Error", error) == [], error
                assert error["data"]["code"] == 400
            await socket.send({"type": "Ping", "data": {"timestamp": 5}})
            assert (await socket.receive())["type"] == "Pong"

    run(scenario())


def test_a_frame_over_the_limit_closes_with_1009(realtime: ServerProcess) -> None:
    limit = 65536

    async def scenario() -> int | None:
        async with await _connected(realtime, realtime_token(realtime)) as socket:
            return await socket.close_code_after(json.dumps({"type": "Broadcast", "data": {"topic": "t", "payload": "x" * limit}}))

    assert run(scenario()) == 1009


def test_the_three_token_places_and_the_refusals(realtime: ServerProcess) -> None:
    token = realtime_token(realtime)
    guest = realtime_token(realtime, "guest@example.com")

    async def scenario() -> None:
        async with await Socket.open(f"{realtime.ws_url}/ws?access_token={token}") as socket:
            assert (await socket.receive())["data"]["status"] == "connected"
        async with await Socket.open(f"{realtime.ws_url}/ws", additional_headers={"Authorization": f"Bearer {token}"}) as socket:
            assert (await socket.receive())["data"]["status"] == "connected"
        async with await Socket.open(f"{realtime.ws_url}/ws", subprotocols=[f"access_token.{token}"]) as socket:
            assert socket.connection.subprotocol == f"access_token.{token}"
            assert (await socket.receive())["data"]["status"] == "connected"
        for url, status, code in (
            (f"{realtime.ws_url}/ws", 401, "INVALID_TOKEN"),
            (f"{realtime.ws_url}/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.bm9wZQ", 401, None),
            (f"{realtime.ws_url}/ws?token={token}x", 401, None),
            (f"{realtime.ws_url}/ws?token={guest}", 403, "FORBIDDEN"),
        ):
            got, body = await refused(url)
            assert got == status, (url, body)
            assert Draft202012Validator(handshake_schema("realtime", status)).is_valid(body), body
            if code:
                assert body["error"]["code"] == code
        status, body = await refused(f"{realtime.ws_url}/no-such-channel?token={token}")
        assert (status, body["error"]["code"]) == (404, "NOT_FOUND")

    run(scenario())


def test_a_revoked_session_is_refused(realtime: ServerProcess) -> None:
    created = httpx.post(f"{realtime.url}/sessions", json={"username": "user@example.com", "password": "secure_password"}).json()
    token = created["access_token"]
    deleted = httpx.delete(f"{realtime.url}/sessions/{created['session_id']}", headers={"Authorization": f"Bearer {token}"})
    assert deleted.status_code == 204
    status, body = run(refused(f"{realtime.ws_url}/ws?token={token}"))
    assert status == 401
    assert Draft202012Validator(handshake_schema("realtime", 401)).is_valid(body), body


def test_capacity_refuses_with_503_and_health_reports_it() -> None:
    with serve("realtime", "--max-connections", "2") as server:
        token = realtime_token(server)

        async def scenario() -> None:
            first, second = await _connected(server, token), await _connected(server, token)
            health = httpx.get(f"{server.url}/health")
            assert health.status_code == 503
            assert health.json()["reason"] == "At capacity"
            status, body = await refused(f"{server.ws_url}/ws?token={token}")
            assert status == 503
            assert body["error"]["code"] == "SERVER_FULL"
            assert Draft202012Validator(handshake_schema("realtime", 503)).is_valid(body)
            await first.close()
            await second.close()
            deadline = time.monotonic() + 5
            while httpx.get(f"{server.url}/health").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert httpx.get(f"{server.url}/health").json()["active_connections"] == 0
            third = await _connected(server, token)
            await third.close()

        run(scenario())


def test_metrics_count_connections_and_messages_truly(realtime: ServerProcess) -> None:
    token = realtime_token(realtime)
    deadline = time.monotonic() + 3  # sockets of earlier tests may still be closing
    while httpx.get(f"{realtime.url}/__mock/connections").json()["count"] and time.monotonic() < deadline:
        time.sleep(0.05)
    before = httpx.get(f"{realtime.url}/metrics").json()

    async def scenario() -> None:
        async with await _connected(realtime, token) as socket:
            for stamp in range(3):
                await socket.send({"type": "Ping", "data": {"timestamp": stamp}})
                await socket.receive()
            during = httpx.get(f"{realtime.url}/metrics").json()
            assert during["active_connections"] == before["active_connections"] + 1
            assert during["total_connections"] == before["total_connections"] + 1
            assert during["messages_received"] == before["messages_received"] + 3
            assert during["messages_sent"] == before["messages_sent"] + 4  # welcome + 3 pongs
            info = httpx.get(f"{realtime.url}/info").json()
            assert info["stats"]["active_connections"] == during["active_connections"]

    run(scenario())


def test_heartbeat_pings_and_closes_silent_clients() -> None:
    env = {"APITWIN_WS_HEARTBEAT_INTERVAL": "0.3", "APITWIN_WS_HEARTBEAT_TIMEOUT": "1.5"}
    with serve("realtime", env=env) as server:
        token = realtime_token(server)

        async def scenario() -> None:
            silent = await _connected(server, token)
            chatty = await _connected(server, token)
            ping = await silent.receive(timeout=5)
            assert frame_errors("realtime", "ServerPing", ping) == []
            # the chatty client answers every heartbeat; the silent one never does
            loop_until = time.monotonic() + 8
            while not silent.connection.close_code and time.monotonic() < loop_until:
                frame = await chatty.receive(timeout=5)
                if frame["type"] == "Ping":
                    await chatty.send({"type": "Pong", "data": {"timestamp": frame["data"]["timestamp"]}})
                try:
                    await silent.receive(timeout=0.05)
                except Exception:
                    pass
            await silent.connection.wait_closed()
            assert silent.connection.close_code == 1001
            await chatty.send({"type": "Ping", "data": {"timestamp": 9}})
            assert (await chatty.receive_until(lambda f: f["type"] == "Pong"))["data"]["timestamp"] == 9
            await chatty.close()

        run(scenario())
