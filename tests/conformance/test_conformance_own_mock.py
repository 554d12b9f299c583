"""The invariant, with rate limits on: `apitwin mock API` on its defaults, then
`apitwin check API --base-url URL` with no other option, exits 0 for every bundled API.

The suite paces itself to the limits each contract declares (and the mock enforces), so no
check is judged on a 429. A paced run mostly waits, so the five runs go side by side: the first
test starts them all, each parametrized case then collects its own API's outcome.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
APIS = ("directory", "realtime", "messaging", "accounts", "enterprise")
RUN_TIMEOUT = 1200


def mock_then_check(api: str) -> tuple[int, float, str]:
    """(exit status, seconds, output) of one default check run against one default mock."""
    port = free_port()
    mock = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "mock", api, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, mock)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", api, "--base-url", f"http://127.0.0.1:{port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        return result.returncode, time.monotonic() - started, result.stdout[-6000:] + result.stderr[-3000:]
    finally:
        mock.terminate()
        try:
            mock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            mock.kill()
            mock.wait()


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Future]]:
    with ThreadPoolExecutor(max_workers=len(APIS)) as pool:
        futures = {api: pool.submit(mock_then_check, api) for api in APIS}
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("api", APIS)
def test_the_mock_passes_its_own_suite_with_rate_limits_on(api: str, runs: dict[str, Future]) -> None:
    status, seconds, output = runs[api].result(timeout=RUN_TIMEOUT + 60)
    print(f"{api}: exit {status} in {seconds:.0f} s")
    assert status == 0, output
