"""Headless Chromium for tests: open one page and read its DOM over the DevTools protocol.

`make test-deps` installs Debian's chromium. `headless_page(url)` starts it on the page, in its
own profile and process group, and yields the page's DevTools WebSocket address; `DevTools`
evaluates JavaScript there. The browser and every helper process it started are stopped after.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def chromium() -> str:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.fail("Chromium is not installed (apt-get install chromium)")


class DevTools:
    """Just enough of the Chrome DevTools Protocol to read the page's DOM."""

    def __init__(self, connection) -> None:  # noqa: ANN001 (a websockets client connection)
        self.connection = connection
        self.next_id = 0

    async def evaluate(self, expression: str):  # noqa: ANN201
        self.next_id += 1
        await self.connection.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                               "params": {"expression": expression, "returnByValue": True}}))
        while True:
            answer = json.loads(await asyncio.wait_for(self.connection.recv(), 10))
            if answer.get("id") == self.next_id:
                return answer.get("result", {}).get("result", {}).get("value")

    async def wait_for(self, expression: str, predicate, timeout: float = 15.0):  # noqa: ANN001, ANN201
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if predicate(value):
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"{expression} stayed {value!r}")


@contextmanager
def headless_page(url: str, *extra_flags: str) -> Iterator[str]:
    """Chromium showing `url`; yields the page's DevTools WebSocket URL."""
    # Chromium's helper processes may still write to the profile as it closes: they are stopped
    # with it (its own process group), and a file they leave behind is no test failure.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--remote-debugging-port=0", *extra_flags, url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 20
            while not port_file.exists() or not port_file.read_text().strip():
                assert browser.poll() is None, "chromium exited"
                assert time.monotonic() < deadline, "chromium did not open its DevTools port"
                time.sleep(0.05)
            port = port_file.read_text().split()[0]
            targets: list[dict] = []
            while not any(t.get("type") == "page" for t in targets) and time.monotonic() < deadline:
                targets = httpx.get(f"http://127.0.0.1:{port}/json", timeout=5).json()
            yield next(t for t in targets if t.get("type") == "page")["webSocketDebuggerUrl"]
        finally:
            _stop_group(browser, signal.SIGTERM)
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _stop_group(browser, signal.SIGKILL)
                browser.wait()


def _stop_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    """Signal the browser and the helpers it started (the process group it leads)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
