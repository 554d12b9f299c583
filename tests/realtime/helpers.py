"""What the real-time tests share: servers with chosen settings, tokens, frame schemas, a socket."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import websockets
from jsonschema import Draft202012Validator

from mock_server.contracts.loader import load_document
from mock_server.contracts.refs import resolve_refs
from tests.support.servers import ROOT, ServerProcess, run_mock

SPECS = ROOT / "specs"


@contextmanager
def serve(target: str, *args: str, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """`run_mock` with extra environment variables for the server process."""
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        with run_mock(target, *args) as server:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            saved = {}
            yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@cache
def asyncapi(api: str) -> dict[str, Any]:
    path = SPECS / api / "asyncapi.yaml"
    return resolve_refs(load_document(path), base=Path(path))


def frame_errors(api: str, message: str, frame: Any) -> list[str]:
    """Why `frame` is not a valid `message` of the API's first channel ([] when it is)."""
    channel = next(iter(asyncapi(api)["channels"].values()))
    schema = channel["messages"][message]["payload"]
    return [e.message for e in Draft202012Validator(schema).iter_errors(frame)]


def handshake_schema(api: str, status: int) -> dict[str, Any]:
    channel = next(iter(asyncapi(api)["channels"].values()))
    return channel["x-apitwin-handshake-errors"][str(status)]


def realtime_token(server: ServerProcess, username: str = "user@example.com") -> str:
    response = httpx.post(f"{server.url}/sessions", json={"username": username, "password": "secure_password"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class Socket:
    """A WebSocket client that reads frames as JSON, with a deadline on every wait."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> Socket:
        return cls(await websockets.connect(url, open_timeout=10, **kwargs))

    async def send(self, frame: Any) -> None:
        await self.connection.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def receive(self, timeout: float = 5.0) -> Any:
        text = await asyncio.wait_for(self.connection.recv(), timeout)
        return json.loads(text)

    async def receive_until(self, predicate: Any, timeout: float = 5.0) -> Any:
        """The first frame satisfying `predicate` (earlier frames are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.receive(max(0.01, deadline - loop.time()))
            if predicate(frame):
                return frame

    async def nothing_within(self, seconds: float) -> bool:
        try:
            frame = await asyncio.wait_for(self.connection.recv(), seconds)
        except asyncio.TimeoutError:
            return True
        raise AssertionError(f"unexpected frame {frame!r}")

    async def close_code_after(self, frame: Any) -> int | None:
        """Send `frame`, then wait for the server to close the socket: its close code."""
        await self.send(frame)
        try:
            await self.receive(timeout=5)
        except Exception:
            pass
        await self.connection.wait_closed()
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> Socket:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def refused(url: str, **kwargs: Any) -> tuple[int, Any]:
    """(status, JSON body) of a handshake the server must refuse."""
    try:
        connection = await websockets.connect(url, open_timeout=10, **kwargs)
    except websockets.InvalidStatus as error:
        body = bytes(error.response.body or b"")
        return error.response.status_code, json.loads(body) if body else None
    await connection.close()
    raise AssertionError(f"{url}: the handshake was accepted")
