"""Start real server processes for tests.

Tests talk to the mock the way a user does: a separate `apitwin mock` process listening on a
free TCP port, reached with a real HTTP or WebSocket client. Nothing here runs the app in-process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Block until something accepts connections on `port`, or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode} before listening:\n{out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"nothing listened on port {port} within {timeout}s")


@dataclass
class ServerProcess:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> str:
        """Stop the server the way Ctrl-C does; return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read() if self.process.stdout else ""


def start_process(argv: Sequence[str], port: int, env: dict[str, str] | None = None) -> ServerProcess:
    process = subprocess.Popen(
        list(argv),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    wait_for_port(port, process)
    return ServerProcess(process, port)


@contextmanager
def run_mock(target: str, *args: str, port: int | None = None) -> Iterator[ServerProcess]:
    """Run `apitwin mock TARGET --port P` (TARGET: a bundled API name or a spec path)."""
    port = port or free_port()
    argv = [sys.executable, "-m", "mock_server", "mock", target, "--host", "127.0.0.1", "--port", str(port), *args]
    server = start_process(argv, port)
    try:
        yield server
    finally:
        server.stop()
