"""Time a full default `apitwin check` of the bundled APIs against the mock, and a plain
Schemathesis run (library, default checks, same example budget, a static token) of the same
contracts against the same servers, in one run:

    python -m conformance.bench            # starts `apitwin mock API --rate-limits off` per API

Prints seconds per API and in total for both, and the ratio. `make bench` can call `main()`.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import schemathesis
from schemathesis.engine import from_schema

from conformance.auth import AuthSession
from conformance.settings import DEFAULT_MAX_EXAMPLES, CheckSettings
from conformance.target import resolve
from mock_server.contracts.bundle import bundled_apis

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mock(api: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "mock", api, "--host", "127.0.0.1", "--port", str(port), "--rate-limits", "off"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def time_apitwin(api: str, url: str, max_examples: int) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "mock_server", "check", api, "--base-url", url, "--quiet", "--seed", "1",
         "--max-examples", str(max_examples)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def time_plain(api: str, url: str, max_examples: int) -> float:
    started = time.monotonic()
    target = resolve(CheckSettings(target=api, base_url=url))
    token = AuthSession(target.contract, target.base_url, CheckSettings(target=api).credentials).current_token()
    config = schemathesis.Config.from_dict(
        {"seed": 1, "generation": {"max-examples": max_examples, "deterministic": True}, "cache": {"enabled": False}}
    )
    schema = schemathesis.openapi.from_path(str(target.contract.openapi_path), config=config)
    schema.config.update(base_url=target.base_url, headers={"Authorization": f"Bearer {token}"} if token else None)
    for _ in from_schema(schema).execute():
        pass
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES)
    args = parser.parse_args(argv)
    ours_total = plain_total = 0.0
    print(f"{'api':<12}{'apitwin check':>15}{'plain schemathesis':>20}")
    for api in bundled_apis():
        with mock(api.name) as url:
            ours = time_apitwin(api.name, url, args.max_examples)
        with mock(api.name) as url:  # a fresh mock: neither run inherits the other's data
            plain = time_plain(api.name, url, args.max_examples)
        ours_total += ours
        plain_total += plain
        print(f"{api.name:<12}{ours:>14.1f}s{plain:>19.1f}s")
    print(f"{'total':<12}{ours_total:>14.1f}s{plain_total:>19.1f}s   ratio {ours_total / plain_total:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
