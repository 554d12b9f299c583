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


class PortTaken(RuntimeError):
    """The server could not bind its port: another process took it between `free_port` and
    the server's start (parallel test workers pick ports at the same time)."""


def listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds the listening socket on `port` (None: this system cannot tell).
    Without this, a test could talk to another worker's server that took the same port first."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
        lines = [line for table in ("tcp", "tcp6") if Path(f"/proc/net/{table}").exists()
                 for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]]
    except OSError:
        return None
    inodes = set()
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in lines:
        fields = line.split()
        # local address `0100007F:1F90`, state 0A = LISTEN, inode in the tenth column
        if len(fields) > 9 and fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port and fields[9] in inodes:
            return True
    return False


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Block until this server process accepts connections on `port`, or fail with its output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            kind = PortTaken if "address already in use" in out.lower() or "errno 98" in out.lower() else RuntimeError
            raise kind(f"server exited with {process.returncode} before listening:\n{out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
        except OSError:
            time.sleep(0.05)
            continue
        if listens(process.pid, port) is not False:
            return
        time.sleep(0.05)  # someone else's server answers there: wait for ours to bind or give up
    process.kill()
    raise TimeoutError(f"this server did not listen on port {port} within {timeout}s")


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
    """Run `apitwin mock TARGET --port P` (TARGET: a bundled API name or a spec path); a free
    port another worker took meanwhile is traded for another one."""
    for attempt in range(3):
        chosen = port or free_port()
        argv = [sys.executable, "-m", "mock_server", "mock", target, "--host", "127.0.0.1", "--port", str(chosen), *args]
        try:
            server = start_process(argv, chosen)
            break
        except PortTaken:
            if port is not None or attempt == 2:
                raise
    try:
        yield server
    finally:
        server.stop()
