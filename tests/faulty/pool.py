"""Faulty servers as real processes: one per upstream, serving all its faults (see `server`)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "conformance" / "toy"
#: contracts of the tests' own, served by the mock (an upstream by this name)
LOCAL = {"lockout": ROOT / "tests" / "faulty" / "lockout"}
START_TIMEOUT = 60.0


class Upstream:
    """`python -m tests.faulty.server UPSTREAM`, started without waiting; `ports()` waits."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faulty.server", name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._ports: dict[str, int] | None = None
        self._output: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if self._ports is None and line.startswith("{"):
                self._ports = json.loads(line)
                self._ready.set()
            else:
                self._output.append(line)
        self._ready.set()  # the process ended (before or after listening)

    def ports(self) -> dict[str, int]:
        self._ready.wait(START_TIMEOUT)
        if self._ports is None:
            self.process.kill()
            raise RuntimeError(f"faulty {self.name} server did not start:\n{''.join(self._output)}")
        return self._ports

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Servers:
    """One process per upstream, started on first use (or together with `start`), all stopped at the end."""

    def __init__(self) -> None:
        self.running: dict[str, Upstream] = {}

    def start(self, pairs: list[tuple[str, str]]) -> None:
        """Start the upstreams these (upstream, fault) pairs need, in parallel, and wait for them."""
        names = [name for name in dict.fromkeys(upstream for upstream, _ in pairs) if name not in self.running]
        self.running.update({name: Upstream(name) for name in names})
        for upstream, _ in pairs:
            self.running[upstream].ports()

    def url(self, upstream: str, fault: str) -> str:
        self.start([(upstream, fault)])
        return f"http://127.0.0.1:{self.running[upstream].ports()[fault]}"

    def stop(self) -> None:
        for server in self.running.values():  # signal all first: they shut down in parallel
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGINT)
        for server in self.running.values():
            server.stop()
