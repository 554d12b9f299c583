"""Fixtures for the conformance suite's own tests: faulty servers as real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.faulty` and `tests.support` are imported as packages
    sys.path.insert(0, str(ROOT))

from tests.support.servers import ServerProcess, free_port, wait_for_port  # noqa: E402

TOY = ROOT / "tests" / "conformance" / "toy"

#: what the plain Schemathesis baseline and apitwin caught, per faulty server (filled by tests)
BASELINE_ROWS: list[dict] = []


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
    """Faulty servers started together (startup is the slow part) and stopped at the end."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], ServerProcess] = {}

    def start(self, pairs: list[tuple[str, str]]) -> None:
        fresh = {pair: start_faulty(*pair) for pair in pairs if pair not in self.running}
        for pair, server in fresh.items():
            wait_for_port(server.port, server.process, timeout=60)
        self.running.update(fresh)

    def url(self, upstream: str, fault: str) -> str:
        return self.running[(upstream, fault)].url

    def stop(self) -> None:
        for server in self.running.values():  # signal all first: they shut down in parallel
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGINT)
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    pool = Servers()
    yield pool
    pool.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if not BASELINE_ROWS:
        return
    from tests.faulty.baseline import table

    text = table(BASELINE_ROWS)
    terminalreporter.write_sep("=", "apitwin check vs plain Schemathesis on the faulty servers")
    terminalreporter.write_line(text)
    out = ROOT / "build" / "conformance-baseline.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    terminalreporter.write_line(f"(written to {out.relative_to(ROOT)})")
