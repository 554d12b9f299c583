"""The WebSocket phase stays bounded against a hostile target: a frame over the size cap is a
finding on that exchange, and a server that never answers the upgrade costs a timeout.

Each test runs the real phase against a real socket server in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from conformance.auth import AuthSession
from conformance.settings import CheckSettings
from conformance.target import resolve
from conformance.websocket.runner import run_websocket

#: probes that wait for a frame, so the oversized one always reaches them
CHECKS = {"ws_welcome", "ws_reply"}


def run_against(ws_url: str, **limits: object) -> list:
    settings = CheckSettings(target="realtime", base_url="http://127.0.0.1:9", ws_url=ws_url, token="a.b.c")
    for name, value in limits.items():
        setattr(settings, name, value)
    target = resolve(settings)
    session = AuthSession(target.contract, target.base_url, settings.credentials, timeout=1)
    return run_websocket(target, settings, CHECKS, session).findings


@pytest.fixture
def flooding_server() -> Iterator[str]:
    """Answers every connection with one 4 KiB frame, then reads until the client leaves."""

    def handler(connection: ServerConnection) -> None:
        try:
            connection.send('"' + "x" * 4096 + '"')
            for _ in connection:
                pass
        except ConnectionClosed:
            pass

    with serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
        server.shutdown()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and never answers the upgrade request."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_frame_over_the_cap_is_a_finding_on_each_exchange(flooding_server: str) -> None:
    findings = run_against(flooding_server, max_response_size=1024, request_timeout=2.0)
    assert {finding.check for finding in findings} == CHECKS
    for finding in findings:
        assert finding.title == "frame larger than 1024 bytes"
        assert "a frame over 1024 bytes" in finding.reproduce


def test_an_upgrade_never_answered_times_out(silent_server: str) -> None:
    started = time.monotonic()
    findings = run_against(silent_server, request_timeout=1.0)
    assert time.monotonic() - started < 90
    assert {finding.check for finding in findings} == CHECKS
    for finding in findings:
        assert finding.title == "the connection failed during the check"
        assert "TimeoutError" in finding.actual
