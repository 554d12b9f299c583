"""The invariant, with rate limits on: `apitwin mock API` on its defaults, then
`apitwin check API --base-url URL` with no other option, exits 0 for every bundled API.

The suite paces itself to the limits each contract declares (and the mock enforces), so no
check is judged on a 429. A paced run mostly waits, so the five runs go side by side, started
as soon as collection selects this module (see `start_runs`, called from conftest): they wait
out their rate-limit windows while the rest of the suite runs, and each parametrized case then
collects its own API's outcome.
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


_pool: ThreadPoolExecutor | None = None
_futures: dict[str, Future] = {}


def start_runs() -> None:
    """Start the five runs in the background (once): the selected tests collect them."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=len(APIS), thread_name_prefix="own-mock")
        _futures.update({api: _pool.submit(mock_then_check, api) for api in APIS})


def stop_runs() -> None:
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Future]]:
    start_runs()  # already running when collection started them
    yield _futures


@pytest.mark.parametrize("api", APIS)
def test_the_mock_passes_its_own_suite_with_rate_limits_on(api: str, runs: dict[str, Future]) -> None:
    status, seconds, output = runs[api].result(timeout=RUN_TIMEOUT + 60)
    print(f"{api}: exit {status} in {seconds:.0f} s")
    assert status == 0, output
