"""`apitwin mock asyncapi.yaml`: an AsyncAPI contract served on its own, as a user brings it.

Two contracts: the public Kraken example of the AsyncAPI spec repository (every channel at `/`,
request/reply across channels, no security) and a feed of our own with a query/Bearer token
handshake, a message told apart by schema only and a oneOf reply. Real server processes and
WebSocket clients; every reply is checked against the documented reply messages with the
conformance suite's own (independent) reading of the contract.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from conformance.websocket.asyncapi import AsyncContract
from mock_server.contracts.loader import load_document
from tests.support.servers import ServerProcess, run_mock

HERE = Path(__file__).parent
KRAKEN = HERE.parent / "corpus" / "asyncapi" / "kraken-websocket-request-reply-multiple-channels.yml"
FEED = HERE / "contracts" / "ticker-feed.yaml"


def _contract(path: Path) -> AsyncContract:
    return AsyncContract(load_document(path))


def _replies(contract: AsyncContract, operation: str) -> list[Any]:
    return next(op for op in contract.operations if op.id == operation).replies


def _fed(contract: AsyncContract) -> Callable[[Any], bool]:
    """Whether a frame is one of the messages the contract's feeds send on their own."""
    messages = [m for _, fed in contract.feeds for m in fed]
    return lambda frame: any(contract.valid(m, frame) for m in messages)


async def _exchange(url: str, frames: list[Any], skip: Callable[[Any], bool] = lambda frame: False,
                    **options: Any) -> list[Any]:
    """Send each frame and take the answer (None where none comes within a second), passing
    over the frames `skip` accepts (a feed's, which come on their own)."""
    answers: list[Any] = []
    async with websockets.connect(url, open_timeout=5, **options) as socket:
        for frame in frames:
            await socket.send(json.dumps(frame))
            try:
                answer = json.loads(await asyncio.wait_for(socket.recv(), 1.0))
                while skip(answer):
                    answer = json.loads(await asyncio.wait_for(socket.recv(), 1.0))
                answers.append(answer)
            except asyncio.TimeoutError:
                answers.append(None)
    return answers


@pytest.fixture(scope="module")
def kraken() -> Iterator[ServerProcess]:
    with run_mock(str(KRAKEN)) as server:
        yield server


@pytest.fixture(scope="module")
def feed() -> Iterator[ServerProcess]:
    with run_mock(str(FEED)) as server:
        yield server


def test_kraken_feed_replies_are_the_documented_ones(kraken: ServerProcess) -> None:
    contract = _contract(KRAKEN)
    ping, subscribe, unsubscribe = ({"event": "ping", "reqid": 7},
                                    {"event": "subscribe", "reqid": 3, "pair": ["XBT/EUR"], "subscription": {"name": "ohlc", "interval": 5}},
                                    {"event": "unsubscribe", "reqid": 4, "subscription": {"name": "ohlc"}})
    answers = asyncio.run(_exchange(kraken.ws_url + "/", [ping, subscribe, unsubscribe], _fed(contract)))
    for operation, answer in zip(("receivePing", "subscribe", "unsubscribe"), answers):
        assert answer, f"{operation}: no reply"
        assert any(contract.valid(reply, answer) for reply in _replies(contract, operation)), (operation, answer)
    assert answers[0] == {"event": "pong", "reqid": 7}  # the request's correlationId, echoed
    assert answers[1]["event"] == "subscriptionStatus" and answers[1]["reqid"] == 3


def test_a_frame_no_channel_documents_gets_no_undocumented_answer(kraken: ServerProcess) -> None:
    answers = asyncio.run(_exchange(kraken.ws_url + "/", [{"event": "nope"}, {"event": "ping"}]))
    assert answers[0] is None  # the contract documents no error message: nothing, not a made-up frame
    assert answers[1] == {"event": "pong"}  # and the connection still serves


def test_the_start_up_table_gives_the_websocket_url() -> None:
    with run_mock(str(FEED)) as server:
        httpx.get(server.url + "/__mock/stats", timeout=10)  # answered once the table is printed (bound before)
        printed = server.stop()
    assert f"ws://localhost:{server.port}" in printed
    assert "key in query token" in printed and "Bearer token" in printed


def test_handshake_takes_a_token_where_the_contract_says(feed: ServerProcess) -> None:
    async def status(url: str, **options: Any) -> int:
        try:
            async with websockets.connect(url, open_timeout=5, **options):
                return 101
        except websockets.exceptions.InvalidStatus as refused:
            return refused.response.status_code

    url = feed.ws_url + "/"
    assert asyncio.run(status(url)) == 401
    assert asyncio.run(status(url + "?token=")) == 401
    assert asyncio.run(status(url + "?token=any-token")) == 101
    assert asyncio.run(status(url, additional_headers={"Authorization": "Bearer abc.def"})) == 101
    assert asyncio.run(status(url, additional_headers={"X-Feed-Key": "k-123"})) == 101
    assert asyncio.run(status(url, additional_headers={"Authorization": "Basic YTpi"})) == 401
    refused = httpx.get(feed.url + "/", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert refused.status_code == 401 and refused.json()  # refused before the upgrade, with a body


def test_feed_dispatches_by_schema_and_replies_validly(feed: ServerProcess) -> None:
    contract = _contract(FEED)
    frames = [{"symbol": "ABC", "id": 4}, {"op": "place", "side": "buy", "amount": 2, "id": 9}, {"op": "ping"},
              {"symbol": "lowercase"}, {"op": "place", "side": "hold", "amount": 1}]
    answers = asyncio.run(_exchange(feed.ws_url + "/?token=t", frames))
    for operation, answer in zip(("getQuote", "placeOrder", "ping"), answers):
        assert answer and any(contract.valid(reply, answer) for reply in _replies(contract, operation)), (operation, answer)
    assert answers[0]["id"] == 4 and answers[1]["id"] == 9  # correlation ids echoed
    assert answers[3:] == [None, None]  # invalid frames: no error message documented, so none sent


@pytest.mark.parametrize(("contract", "extra", "checks"), [
    (KRAKEN, [], {"ws_reply", "ws_frame_schema", "ws_heartbeat"}),
    (FEED, ["--token", "any-well-formed-token"], {"ws_reply", "ws_frame_schema", "ws_heartbeat", "ws_handshake_auth"}),
])
def test_the_suite_checks_what_the_contract_documents_and_the_mock_passes(contract: Path, extra: list[str], checks: set[str],
                                                                         tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with run_mock(str(contract)) as server:
        run = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", str(contract), "--base-url", server.url,
             "--phases", "websocket", "--report", f"json:{report}", "--seed", "1", *extra],
            capture_output=True, text=True, timeout=120,
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    tallies = json.loads(report.read_text())["apis"][0]["checks"]
    assert checks <= {entry["check"] for entry in tallies if entry["passed"]}
    replied = {entry["operation"] for entry in tallies if entry["check"] == "ws_reply"}
    assert len(replied) == 3  # every receive operation with a documented reply


@pytest.fixture
def only_asyncapi(tmp_path: Path) -> Path:
    shutil.copy(FEED, tmp_path / "asyncapi.yaml")
    return tmp_path


def test_a_folder_with_only_asyncapi_is_served(only_asyncapi: Path) -> None:
    async def pong() -> Any:
        return (await _exchange(server.ws_url + "/?token=t", [{"op": "ping"}]))[0]

    with run_mock(str(only_asyncapi)) as server:
        assert asyncio.run(pong()) == {"op": "pong"}
