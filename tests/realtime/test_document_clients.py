"""The realtime document's own clients, run as printed (URL and token filled in), against the mock:
the Python client, the Node.js client (needs `ws` from npm) and the browser RealtimeClient in
headless Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import websockets

from tests.realtime.helpers import Socket, realtime_token, run
from tests.support.servers import ROOT, ServerProcess

CLIENTS = ROOT / "tests" / "clients"


def _python_client_module():  # the document's module, imported from tests/clients
    sys.path.insert(0, str(CLIENTS))
    try:
        import realtime_client
    finally:
        sys.path.remove(str(CLIENTS))
    return realtime_client


def test_python_client_main_broadcasts_to_another_subscriber(realtime: ServerProcess) -> None:
    token, listener_token = realtime_token(realtime), realtime_token(realtime, "friend@example.com")
    env = {**os.environ, "REALTIME_URL": f"{realtime.ws_url}/ws", "REALTIME_TOKEN": token, "PYTHONUNBUFFERED": "1"}

    async def scenario() -> None:
        async with await Socket.open(f"{realtime.ws_url}/ws?token={listener_token}") as listener:
            await listener.receive()
            await listener.send({"type": "Subscribe", "data": {"topics": ["chat.general"]}})
            await listener.receive()
            process = subprocess.Popen([sys.executable, str(CLIENTS / "realtime_client.py")], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                broadcast = await listener.receive_until(lambda f: f["type"] == "Broadcast", timeout=15)
                await asyncio.sleep(0.5)  # let it print what it received meanwhile
            finally:
                process.terminate()
                output, _ = process.communicate(timeout=10)
            assert broadcast["data"] == {"topic": "chat.general",
                                         "payload": {"message": "Hello from Python!", "sender": "python_client"}}
            # its handlers print what they got (its lambdas then fail to be awaited: the document's bug)
            assert "Status: {'status': 'connected'" in output
            assert "Status: {'status': 'subscribed'" in output

    run(scenario())


def test_python_client_class_broadcast_and_direct_message_between_two_users(realtime: ServerProcess) -> None:
    module = _python_client_module()
    url = f"{realtime.ws_url}/ws"

    async def scenario() -> None:
        alice = module.RealtimeClient(url, realtime_token(realtime))
        bob = module.RealtimeClient(url, realtime_token(realtime, "friend@example.com"))
        got: dict[str, asyncio.Queue] = {name: asyncio.Queue() for name in ("Status", "Broadcast", "DirectMessage")}
        for name, queue in got.items():
            async def put(data, queue=queue):
                await queue.put(data)
            bob.on(name, put)
        await alice.connect()
        await bob.connect()
        assert (await asyncio.wait_for(got["Status"].get(), 5))["status"] == "connected"
        await bob.subscribe(["chat.general", "notifications"])
        assert (await asyncio.wait_for(got["Status"].get(), 5))["status"] == "subscribed"
        await alice.broadcast("chat.general", {"message": "Hello from Python!", "sender": "python_client"})
        received = await asyncio.wait_for(got["Broadcast"].get(), 5)
        assert received == {"topic": "chat.general", "payload": {"message": "Hello from Python!", "sender": "python_client"}}
        await alice.send_direct_message("user_456", {"message": "Hi there"})
        direct = await asyncio.wait_for(got["DirectMessage"].get(), 5)
        assert direct["from_user"] == "user_123" and direct["payload"] == {"message": "Hi there"}
        await alice.disconnect()
        await bob.disconnect()

    run(scenario())


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the Node.js client test needs node 18+)")
    if not any((place / "node_modules" / "ws").is_dir() for place in (CLIENTS, ROOT)):
        pytest.fail("the Node.js client needs ws: npm install --prefix tests/clients")
    return node


def test_node_client_broadcast_and_direct_message(realtime: ServerProcess) -> None:
    node = _node()
    result = subprocess.run(
        [node, str(CLIENTS / "node_driver.js"), f"{realtime.ws_url}/ws", realtime_token(realtime),
         realtime_token(realtime, "friend@example.com"), "user_456"],
        capture_output=True, text=True, timeout=30, cwd=CLIENTS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    broadcast = next(line for line in lines if line.startswith("BROADCAST "))
    assert json.loads(broadcast[len("BROADCAST "):]) == {
        "topic": "notifications", "payload": {"title": "Hello from Node.js", "message": "This is a test notification"}}
    assert 'Direct message from user_123 : {"message":"Hi there"}' in lines
    assert "Connected to realtime service" in result.stdout


def _chromium() -> str:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.fail("Chromium is not installed (apt-get install chromium)")


class DevTools:
    """Just enough of the Chrome DevTools Protocol to read the page's DOM."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.next_id = 0

    async def evaluate(self, expression: str):
        self.next_id += 1
        await self.connection.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                               "params": {"expression": expression, "returnByValue": True}}))
        while True:
            answer = json.loads(await asyncio.wait_for(self.connection.recv(), 10))
            if answer.get("id") == self.next_id:
                return answer.get("result", {}).get("result", {}).get("value")

    async def wait_for(self, expression: str, predicate, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if predicate(value):
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"{expression} stayed {value!r}")


def test_browser_realtime_client_receives_a_broadcast(realtime: ServerProcess) -> None:
    chromium = _chromium()
    query = urlencode({"url": f"{realtime.ws_url}/ws", "token": realtime_token(realtime, "friend@example.com"),
                       "topic": "chat.general"})
    page = (CLIENTS / "realtime_page.html").as_uri() + "?" + query
    # Chromium's helper processes may still write to the profile as it closes: they are stopped
    # with it (its own process group), and a file they leave behind is no test failure.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--remote-debugging-port=0", page],
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
            targets = []
            while not any(t.get("type") == "page" for t in targets) and time.monotonic() < deadline:
                targets = httpx.get(f"http://127.0.0.1:{port}/json").json()
            target = next(t for t in targets if t.get("type") == "page")

            async def scenario() -> str:
                async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as connection:
                    tools = DevTools(connection)
                    await tools.wait_for("document.getElementById('status') && document.getElementById('status').textContent",
                                         lambda v: v == "subscribed")
                    async with await Socket.open(f"{realtime.ws_url}/ws?token={realtime_token(realtime)}") as sender:
                        await sender.receive()
                        await sender.send({"type": "Broadcast", "data": {"topic": "chat.general", "payload": {"message": "Hello"}}})
                        return await tools.wait_for("document.getElementById('received').textContent", bool)

            received = run(scenario())
        finally:
            _stop_group(browser, signal.SIGTERM)
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _stop_group(browser, signal.SIGKILL)
                browser.wait()
    assert json.loads(received) == {"topic": "chat.general", "payload": {"message": "Hello"}}


def _stop_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    """Signal the browser and the helpers it started (the process group it leads)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
