"""WebSocket feeds: what an AsyncAPI contract's server sends on its own, as `apitwin mock` serves it.

The contract is a public market feed of our own (contracts/market-feed.yaml): one address `/`, a
`subscribe` the client sends, tickers (declared every 0.2 s) and trades (the default 1 s) the
server sends unprompted. Real mock processes, real WebSocket clients; every frame is checked with
the conformance suite's own reading of the contract. Variants of the contract (no subscription,
an unsubscription, a fast feed of large frames) are written to a temporary folder.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml

from conformance.websocket.asyncapi import AsyncContract
from mock_server.contracts.loader import load_document
from tests.corpus.ws_harness import exchange
from tests.support.servers import ServerProcess, run_mock

FEED = Path(__file__).parent / "contracts" / "market-feed.yaml"
SUBSCRIBE = {"event": "subscribe", "symbols": ["BTC/USD"]}


def _contract(path: Path) -> AsyncContract:
    return AsyncContract(load_document(path))


def _message_of(contract: AsyncContract, frame: Any) -> str | None:
    """The name of the server message `frame` is valid against, None for none."""
    messages = contract.server_messages(contract.endpoints()[0])
    return next((m.name for m in messages if contract.valid(m, frame)), None)


async def _collect(url: str, seconds: float, send: list[Any] = (), limit: int = 1000) -> list[Any]:
    """Frames received within `seconds` of connecting (after sending `send`)."""
    return await exchange(url, {}, list(send), seconds, limit)


def _variant(tmp_path: Path, change: Any) -> Path:
    document = yaml.safe_load(FEED.read_text())
    change(document)
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def feed() -> ServerProcess:
    with run_mock(str(FEED), "--seed", "5") as server:
        yield server


def test_nothing_comes_before_the_subscription(feed: ServerProcess) -> None:
    assert asyncio.run(_collect(feed.ws_url + "/", 0.6)) == []


def test_after_subscribing_both_feeds_arrive_valid_and_at_their_cadence(feed: ServerProcess) -> None:
    contract = _contract(FEED)
    frames = asyncio.run(_collect(feed.ws_url + "/", 1.5, [SUBSCRIBE]))
    names = [_message_of(contract, frame) for frame in frames]
    assert None not in names, frames  # every frame is a documented message, schema-valid
    assert names[0] == "subscribed"  # the reply first, then the feed
    # at 0, 0.2, ... 1.4 s (a loaded machine may lose a tick or two) and at 0 and 1 s
    assert names.count("ticker") >= 4 and names.count("trade") >= 1, names
    assert names.count("ticker") <= 9 and names.count("trade") <= 2, names  # never faster than declared
    assert len({json.dumps(f) for f in frames if f["event"] == "ticker"}) > 1  # generated, not one frame repeated


def test_a_seed_gives_the_same_feed_to_every_connection_and_every_run(feed: ServerProcess) -> None:
    def tickers(server: ServerProcess) -> list[Any]:
        frames = asyncio.run(_collect(server.ws_url + "/", 5, [SUBSCRIBE], limit=4))  # the reply, then three
        return [f for f in frames if f.get("event") in ("ticker", "trade")]

    first = tickers(feed)
    assert len(first) == 3
    assert tickers(feed) == first  # a second connection of the same mock
    with run_mock(str(FEED), "--seed", "5") as again:
        assert tickers(again) == first  # another mock process with the same seed
    with run_mock(str(FEED), "--seed", "6") as other:
        assert tickers(other) != first


def test_without_a_subscription_message_the_feed_runs_from_the_connection(tmp_path: Path) -> None:
    def drop_subscribe(document: dict[str, Any]) -> None:
        del document["operations"]["subscribe"]

    path = _variant(tmp_path, drop_subscribe)
    with run_mock(str(path)) as server:
        frames = asyncio.run(_collect(server.ws_url + "/", 5, limit=2))
    assert [f["event"] for f in frames] == ["ticker", "trade"]  # both at once, before any client frame


def test_the_unsubscription_stops_the_feed(tmp_path: Path) -> None:
    def add_unsubscribe(document: dict[str, Any]) -> None:
        message = copy.deepcopy(document["components"]["messages"]["subscribe"])
        message["payload"]["properties"]["event"]["const"] = "unsubscribe"
        message.pop("examples")
        document["components"]["messages"]["unsubscribe"] = message
        document["channels"]["market"]["messages"]["unsubscribe"] = {"$ref": "#/components/messages/unsubscribe"}
        document["operations"]["unsubscribe"] = {
            "action": "receive", "channel": {"$ref": "#/channels/market"},
            "messages": [{"$ref": "#/channels/market/messages/unsubscribe"}],
            "reply": {"channel": {"$ref": "#/channels/market"}, "messages": [{"$ref": "#/channels/market/messages/subscribed"}]},
        }

    async def scenario(url: str) -> tuple[list[Any], list[Any]]:
        async with websockets.connect(url, open_timeout=5) as ws:
            await ws.send(json.dumps(SUBSCRIBE))
            before = [json.loads(await asyncio.wait_for(ws.recv(), 2)) for _ in range(4)]
            await ws.send(json.dumps({**SUBSCRIBE, "event": "unsubscribe"}))
            after: list[Any] = []
            deadline = time.monotonic() + 1.2
            while time.monotonic() < deadline:
                try:
                    after.append(json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic())))
                except asyncio.TimeoutError:
                    break
            return before, after

    path = _variant(tmp_path, add_unsubscribe)
    with run_mock(str(path)) as server:
        before, after = asyncio.run(scenario(server.ws_url + "/"))
    assert any(f["event"] == "ticker" for f in before)
    reply = next(i for i, f in enumerate(after) if f["event"] == "subscribed")
    assert [f["event"] for f in after[reply + 1:]] == []  # nothing of the feed after the reply


def test_a_client_that_does_not_read_costs_a_bounded_queue(tmp_path: Path) -> None:
    """Large frames every 10 ms to a client that never reads: the mock drops feed frames
    instead of queueing them, and its memory stays flat."""
    def bulk(document: dict[str, Any]) -> None:
        del document["operations"]["subscribe"]
        document["components"]["messages"]["ticker"]["payload"]["properties"]["book"] = {
            "type": "array", "minItems": 2000, "maxItems": 2000, "items": {"type": "integer", "minimum": 0, "maximum": 999999}}
        document["components"]["messages"]["ticker"]["payload"]["required"].append("book")
        document["operations"]["sendTicker"]["x-apitwin-feed"] = {"interval_seconds": 0.01}

    path = _variant(tmp_path, bulk)
    with run_mock(str(path)) as server:
        silent = _silent_client(server.port)
        try:
            feed = _wait_for_drops(server)
            rss = _rss(server.process.pid)
            time.sleep(2)
            later = _feed_state(server)
            assert later["dropped"] > feed["dropped"]  # still dropping, not queueing
            assert later["queued"] <= 32
            assert _rss(server.process.pid) - rss < 16 * 1024 * 1024
        finally:
            silent.close()


def _silent_client(port: int) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    sock.settimeout(5)
    assert sock.recv(12) == b"HTTP/1.1 101"
    return sock


def _feed_state(server: ServerProcess) -> dict[str, Any]:
    listed = httpx.get(server.url + "/__mock/connections", timeout=10).json()["connections"]
    assert len(listed) == 1, listed
    return listed[0]["feed"]


def _wait_for_drops(server: ServerProcess) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = _feed_state(server)
        if state["dropped"]:
            return state
        time.sleep(0.3)
    raise AssertionError(f"the feed never dropped a frame for a client that does not read: {state}")


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
