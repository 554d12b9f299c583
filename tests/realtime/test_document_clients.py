"""The realtime document's own clients, run as printed (URL and token filled in), against the mock:
the Python client, the Node.js client (needs `ws` from npm) and the browser RealtimeClient in
headless Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from urllib.parse import urlencode

import pytest
import websockets

from tests.realtime.helpers import Socket, realtime_token, run
from tests.support.browser import DevTools, headless_page
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


def test_browser_realtime_client_receives_a_broadcast(realtime: ServerProcess) -> None:
    query = urlencode({"url": f"{realtime.ws_url}/ws", "token": realtime_token(realtime, "friend@example.com"),
                       "topic": "chat.general"})
    page = (CLIENTS / "realtime_page.html").as_uri() + "?" + query
    with headless_page(page) as devtools_url:

        async def scenario() -> str:
            async with websockets.connect(devtools_url, max_size=None) as connection:
                tools = DevTools(connection)
                await tools.wait_for("document.getElementById('status') && document.getElementById('status').textContent",
                                     lambda v: v == "subscribed")
                async with await Socket.open(f"{realtime.ws_url}/ws?token={realtime_token(realtime)}") as sender:
                    await sender.receive()
                    await sender.send({"type": "Broadcast", "data": {"topic": "chat.general", "payload": {"message": "Hello"}}})
                    return await tools.wait_for("document.getElementById('received').textContent", bool)

        received = run(scenario())
    assert json.loads(received) == {"topic": "chat.general", "payload": {"message": "Hello"}}
