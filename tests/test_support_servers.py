"""The test harness talks to the server it started, never to another worker's on the same port."""

from __future__ import annotations

import os
import socket

import pytest

from tests.support.servers import listens


def test_a_listening_socket_is_found_for_its_own_process_only() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        mine = listens(os.getpid(), port)
        if mine is None:
            pytest.skip("this system does not show sockets per process")
        assert mine is True
    assert listens(os.getpid(), port) is False
