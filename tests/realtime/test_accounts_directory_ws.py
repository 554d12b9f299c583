"""accounts' chat echo and directory's ping, with their error frames, over real sockets."""

from __future__ import annotations

import httpx

from tests.realtime.helpers import Socket, frame_errors, run, serve


def test_accounts_echoes_chat_with_the_client_id_and_pushes_user_updates() -> None:
    with serve("accounts", "--rate-limits", "off") as server:

        async def scenario() -> None:
            async with await Socket.open(f"{server.ws_url}/api/v1/ws/user-123") as socket:
                await socket.send({"type": "chat", "message": "Hello!"})
                echo = await socket.receive()
                assert frame_errors("accounts", "echo", echo) == []
                assert echo == {"client_id": "user-123", "message": "Hello!", "type": "echo"}
                for frame in ("Hello!", '{"type": "chat"}', '{"type": "shout", "message": "x"}'):
                    await socket.send(frame)
                    error = await socket.receive()
                    assert frame_errors("accounts", "error", error) == [], error
                login = httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "user", "password": "password"})
                assert login.status_code == 200, login.text
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                updated = httpx.put(f"{server.url}/api/v1/users/1", json={"full_name": "Renamed User"}, headers=headers)
                assert updated.status_code == 200, updated.text
                update = await socket.receive_until(lambda f: f.get("type") == "user.updated")
                assert frame_errors("accounts", "update", update) == []
                assert update["data"]["id"] == 1 and update["data"]["full_name"] == "Renamed User"

        run(scenario())


def test_directory_answers_ping_with_pong_and_refuses_other_frames() -> None:
    with serve("directory") as server:

        async def scenario() -> None:
            async with await Socket.open(f"{server.ws_url}/v1/ws") as socket:
                await socket.send({"type": "ping"})
                pong = await socket.receive()
                assert frame_errors("directory", "pong", pong) == []
                assert pong["type"] == "pong"
                for frame, code in (("nope", "INVALID_REQUEST"), ('{"type": "subscribe"}', "VALIDATION_ERROR"),
                                    ('{"type": "ping", "extra": 1}', "VALIDATION_ERROR"), ('{"type": ["ping"]}', "VALIDATION_ERROR")):
                    await socket.send(frame)
                    error = await socket.receive()
                    assert frame_errors("directory", "error", error) == [], error
                    assert error["error"]["code"] == code
                await socket.send({"type": "ping"})
                assert (await socket.receive())["type"] == "pong"

        run(scenario())
