"""The servers being measured, each started fresh for one measurement and always stopped.

Both peers are separate processes started the way the tests start servers
(tests/support/servers.py). The process is stopped when the `with` block is left for any
reason, including Ctrl-C or SIGTERM while it is still starting up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ROOT, ServerProcess, free_port, wait_for_port

PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"
#: a fresh Prism compiles its document before it listens, which takes seconds on a busy machine
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    pid: int


@contextmanager
def serving(argv: Sequence[str], port: int) -> Iterator[ServerProcess]:
    """Run a server until the block ends. Its output goes to a file, not a pipe: a server that
    logs a line per closed connection must never block on a pipe nobody reads mid-measurement."""
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            list(argv), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        server = ServerProcess(process, port)
        try:
            try:
                wait_for_port(port, process, timeout=START_TIMEOUT)
            except (RuntimeError, TimeoutError) as error:
                log.seek(0)
                raise RuntimeError(f"{' '.join(argv[:5])}...: {error}\n{log.read()[-2000:]}".rstrip()) from None
            yield server
        finally:
            server.stop()


@contextmanager
def apitwin_mock(api: str, *args: str) -> Iterator[Peer]:
    """`apitwin mock API --port P ARGS...`: one process, one uvicorn worker."""
    port = free_port()
    argv = [sys.executable, "-m", "mock_server", "mock", api, "--host", "127.0.0.1", "--port", str(port), *args]
    with serving(argv, port) as server:
        yield Peer("apitwin mock", server.url, server.process.pid)


@contextmanager
def prism(spec: Path, *, dynamic: bool = True, seed: str | None = None) -> Iterator[Peer]:
    """`prism mock SPEC` (dynamic with --dynamic), silent, on a free port."""
    if not PRISM.exists():
        raise FileNotFoundError(f"{PRISM.relative_to(ROOT)} is missing: run `npm ci --prefix bench` (make bench-deps)")
    port = free_port()
    argv = [str(PRISM), "mock", str(spec), "--host", "127.0.0.1", "--port", str(port), "-v", "silent"]
    if dynamic:
        argv.append("--dynamic")
    if seed is not None:
        argv += ["--seed", seed]
    with serving(argv, port) as server:
        yield Peer("Prism", server.url, server.process.pid)
