"""Two public AsyncAPI 3.0 examples of the AsyncAPI specification repository, served by `apitwin
mock` as a user brings them (tests/corpus/asyncapi/, see its SOURCES.md):

- Gemini market data: a send-only feed on `/v1/marketdata/{symbol}`, the symbol an `enum`; its
  message a `oneOf` of `heartbeat` and `update`.
- Slack RTM: 46 server messages and one client message on `/`, a query token from `security`.

Real mock processes and real WebSocket clients; every frame is judged against the documented
message with the corpus's own reading of the contract (the `jsonschema` library, draft 7 as
AsyncAPI's schemas are), not the mock's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
import yaml

from mock_server.contracts.loader import load_document
from tests.corpus.ws_harness import AsyncContractReading, exchange
from tests.support.servers import ServerProcess, run_mock

CORPUS = Path(__file__).parents[1] / "corpus" / "asyncapi"
GEMINI = CORPUS / "websocket-gemini.yml"
SLACK = CORPUS / "slack-rtm.yml"


def _collect(url: str, count: int, seconds: float, send: list[Any] = ()) -> list[Any]:
    """Up to `count` frames received within `seconds` of connecting (after sending `send`)."""
    return asyncio.run(exchange(url, {}, list(send), seconds, count))


def _status(url: str) -> tuple[int, Any]:
    """The handshake's status (101 accepted) and, when refused, the refusal's JSON body."""
    async def attempt() -> tuple[int, Any]:
        try:
            async with websockets.connect(url, open_timeout=5):
                return 101, None
        except websockets.exceptions.InvalidStatus as refused:
            return refused.response.status_code, json.loads(bytes(refused.response.body or b"null"))
    return asyncio.run(attempt())


@pytest.fixture(scope="module")
def gemini_fast(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Gemini contract with only a faster cadence declared (`x-apitwin-feed`), so a test
    sees many frames in little time; everything else as published."""
    document = load_document(GEMINI)
    document["operations"]["sendMarketData"]["x-apitwin-feed"] = {"interval_seconds": 0.05}
    path = tmp_path_factory.mktemp("gemini") / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def gemini(gemini_fast: Path) -> Iterator[ServerProcess]:
    with run_mock(str(gemini_fast)) as server:
        yield server


def test_gemini_feed_frames_are_valid_market_data_of_both_kinds(gemini: ServerProcess) -> None:
    reading = AsyncContractReading(load_document(GEMINI))
    market = reading.resolve(reading.document["components"]["messages"]["marketData"]["payload"])
    frames = _collect(gemini.ws_url + "/v1/marketdata/btcusd", 20, 10)
    assert len(frames) == 20, frames  # a send-only feed: it starts when the connection opens
    invalid = [frame for frame in frames if not reading.valid(market, frame)]
    assert not invalid, invalid
    kinds = {frame["type"] for frame in frames}
    assert kinds == {"update", "heartbeat"}, kinds  # an update made whole stays an update
    update = next(frame for frame in frames if frame["type"] == "update")
    assert {"eventId", "events", "timestamp", "timestampms", "socket_sequence"} <= set(update)


def test_gemini_symbol_must_be_one_the_enum_lists(gemini: ServerProcess) -> None:
    assert _status(gemini.ws_url + "/v1/marketdata/btcusd")[0] == 101
    assert _status(gemini.ws_url + "/v1/marketdata/1inchusd")[0] == 101  # one starting with a digit: text all the same
    status, body = _status(gemini.ws_url + "/v1/marketdata/dogeusd")
    assert status == 404
    assert "symbol 'dogeusd' is not one of btcusd, ethbtc" in body["detail"], body
    assert _status(gemini.ws_url + "/v1/marketdata/")[0] == 404
    assert _status(gemini.ws_url + "/v1/marketdata/btcusd/extra")[0] == 404


@pytest.fixture(scope="module")
def slack() -> Iterator[ServerProcess]:
    with run_mock(str(SLACK)) as server:
        yield server


def test_slack_handshake_takes_the_token_its_security_names(slack: ServerProcess) -> None:
    assert _status(slack.ws_url + "/")[0] == 401
    assert _status(slack.ws_url + "/?token=")[0] == 401
    assert _status(slack.ws_url + "/?token=xoxb-any-token")[0] == 101


def test_slack_sends_its_many_messages_in_turn_each_valid(slack: ServerProcess) -> None:
    reading = AsyncContractReading(load_document(SLACK))
    sent = [reading.resolve(ref) for ref in reading.document["operations"]["sendMessages"]["messages"]]
    outgoing = {"id": 1, "type": "message", "channel": "C024BE91L", "text": "Hello world"}
    # the feed's default cadence is one frame a second: its first three (the client's message
    # gets none: no reply is documented, so none is made up)
    frames = _collect(slack.ws_url + "/?token=xoxb-any-token", 3, 6, [outgoing])
    assert len(frames) == 3, frames
    for message, frame in zip(sent, frames):  # hello, then connectionError, then accountsChanged
        assert reading.valid(message["payload"], frame), (message["summary"], frame)
    assert [frame.get("type") for frame in frames] == ["hello", "error", "accounts_changed"]
