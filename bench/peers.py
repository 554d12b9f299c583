"""The servers being measured, each started fresh for one measurement and always stopped.

Both peers are separate processes started the same way the tests start servers
(tests/support/servers.py), so a measurement sees exactly what a user would run; leaving the
`with` block stops the process, also on Ctrl-C or an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ROOT, free_port, run_mock, start_process

PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    pid: int


@contextmanager
def apitwin_mock(api: str, *args: str, port: int | None = None) -> Iterator[Peer]:
    """`apitwin mock API --port P ARGS...`: one process, one uvicorn worker."""
    with run_mock(api, *args, port=port) as server:
        yield Peer("apitwin mock", server.url, server.process.pid)


@contextmanager
def prism(spec: Path, *, dynamic: bool = True, seed: str | None = None, name: str = "Prism") -> Iterator[Peer]:
    """`prism mock SPEC` (dynamic with -d), silent, on a free port."""
    if not PRISM.exists():
        raise FileNotFoundError(f"{PRISM.relative_to(ROOT)} is missing: run `npm ci --prefix bench` (make bench-deps)")
    port = free_port()
    argv = [str(PRISM), "mock", str(spec), "--host", "127.0.0.1", "--port", str(port), "-v", "silent"]
    if dynamic:
        argv.append("--dynamic")
    if seed is not None:
        argv += ["--seed", seed]
    server = start_process(argv, port)
    try:
        yield Peer(name, server.url, server.process.pid)
    finally:
        server.stop()
