"""Faulty servers as real processes, started together (start-up is the slow part)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.support.servers import ServerProcess, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "conformance" / "toy"


def start_faulty(upstream: str, fault: str) -> ServerProcess:
    """Start `python -m tests.faulty.server UPSTREAM FAULT` without waiting for it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faulty.server", upstream, fault, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return ServerProcess(process, port)


class Servers:
    """Servers keyed by (upstream, fault), started in parallel, stopped together at the end."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], ServerProcess] = {}

    def start(self, pairs: list[tuple[str, str]]) -> None:
        fresh = {pair: start_faulty(*pair) for pair in dict.fromkeys(pairs) if pair not in self.running}
        self.running.update(fresh)
        for server in fresh.values():
            wait_for_port(server.port, server.process, timeout=60)

    def url(self, upstream: str, fault: str) -> str:
        return self.running[(upstream, fault)].url

    def stop(self) -> None:
        for server in self.running.values():  # signal all first: they shut down in parallel
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGINT)
        for server in self.running.values():
            server.stop()
