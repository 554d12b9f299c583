"""Which send operations are feeds (`mock_server.contracts.feeds`), on the bundled contracts, the
public Kraken example and small documents built here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mock_server.contracts.feeds import DEFAULT_INTERVAL, FeedDeclarationError, find_feeds
from mock_server.contracts.loader import load_document
from mock_server.websocket.contract import AsyncContractError, build_contract

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def _document(**operations: dict[str, Any]) -> dict[str, Any]:
    """One channel at `/` with the messages named below; `ref` names them in operations."""
    names = ("sub", "unsub", "ack", "tick", "trade", "fanned", "error")
    return {
        "asyncapi": "3.0.0",
        "channels": {"feed": {"address": "/", "messages": {
            name: {"payload": {"type": "object", "properties": {"event": {"const": name}}}} for name in names}}},
        "operations": operations,
    }


def ref(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/feed/messages/{name}"} for name in names]


CHANNEL = {"$ref": "#/channels/feed"}


@pytest.mark.parametrize("api", ["accounts", "directory", "messaging", "realtime"])
def test_the_bundled_contracts_have_no_feed(api: str) -> None:
    # their send operations are all welcomes, heartbeats, REST events or what a client frame causes
    assert find_feeds(load_document(ROOT / "specs" / api / "asyncapi.yaml")) == []


def test_kraken_heartbeat_and_status_run_between_subscribe_and_unsubscribe() -> None:
    feeds = find_feeds(load_document(ROOT / "tests" / "corpus" / "asyncapi" / "kraken-websocket-request-reply-multiple-channels.yml"))
    assert [(f.operation, f.messages, f.start, f.stop, f.declared) for f in feeds] == [
        ("heartbeat", ("heartbeat",), ("subscribe",), ("unsubscribe",), False),
        ("systemStatus", ("systemStatus",), ("subscribe",), ("unsubscribe",), False),
    ]
    assert {f.interval for f in feeds} == {DEFAULT_INTERVAL}


def test_replies_effect_deliveries_error_messages_and_bound_operations_are_no_feeds() -> None:
    document = _document(
        subscribe={"action": "receive", "channel": CHANNEL, "messages": ref("sub"),
                   "reply": {"channel": CHANNEL, "messages": ref("ack")},
                   "x-apitwin-effect": {"fanout": {"topic": "t", "message": "fanned"}}},
        sendAck={"action": "send", "channel": CHANNEL, "messages": ref("ack")},
        sendFanned={"action": "send", "channel": CHANNEL, "messages": ref("fanned")},
        sendError={"action": "send", "channel": CHANNEL, "messages": ref("error")},
        welcome={"action": "send", "channel": CHANNEL, "messages": ref("tick"), "x-apitwin-trigger": "connect"},
        event={"action": "send", "channel": CHANNEL, "messages": ref("tick"), "x-apitwin-events": ["tick.created"]},
        asks={"action": "send", "channel": CHANNEL, "messages": ref("tick"), "reply": {"channel": CHANNEL}},
        mixed={"action": "send", "channel": CHANNEL, "messages": ref("ack", "trade")},
        optedOut={"action": "send", "channel": CHANNEL, "messages": ref("tick"), "x-apitwin-feed": False},
    )
    document["channels"]["feed"]["x-apitwin-error-message"] = "error"
    feeds = find_feeds(document)
    assert [(f.operation, f.messages) for f in feeds] == [("mixed", ("trade",))]  # only its unprompted message
    assert feeds[0].start == ("subscribe",)  # the effect-less name says subscription


def test_a_declaration_sets_cadence_start_and_stop_and_makes_any_send_a_feed() -> None:
    document = _document(
        hello={"action": "receive", "channel": CHANNEL, "messages": ref("sub"), "reply": {"channel": CHANNEL, "messages": ref("ack")}},
        bye={"action": "receive", "channel": CHANNEL, "messages": ref("unsub")},
        sendAck={"action": "send", "channel": CHANNEL, "messages": ref("ack"),
                 "x-apitwin-feed": {"interval_seconds": 2, "start": "sub", "stop": ["bye"]}},
        sendTick={"action": "send", "channel": CHANNEL, "messages": ref("tick")},
    )
    document["channels"]["feed"]["x-apitwin-feed"] = {"interval_seconds": 0.5, "start": "connect"}
    by_op = {f.operation: f for f in find_feeds(document)}
    assert (by_op["sendAck"].interval, by_op["sendAck"].start, by_op["sendAck"].stop, by_op["sendAck"].declared) == (
        2.0, ("hello",), ("bye",), True)  # a message name finds its operation
    assert (by_op["sendTick"].interval, by_op["sendTick"].start) == (0.5, ())  # the channel's defaults


@pytest.mark.parametrize(("declaration", "says"), [
    ({"interval_seconds": 0}, "interval_seconds"),
    ({"interval_seconds": "fast"}, "interval_seconds"),
    ({"start": "nothing-like-it"}, "no receive operation"),
    ({"every": 1}, "unknown key 'every'"),
    ("often", "expected a mapping"),
])
def test_a_malformed_declaration_is_refused_with_its_place(declaration: Any, says: str) -> None:
    document = _document(sendTick={"action": "send", "channel": CHANNEL, "messages": ref("tick"), "x-apitwin-feed": declaration})
    with pytest.raises(FeedDeclarationError, match=says) as raised:
        find_feeds(document)
    assert "operations.sendTick.x-apitwin-feed" in str(raised.value)
    with pytest.raises(AsyncContractError, match="x-apitwin-feed"):
        build_contract(document, document)


def test_the_engine_sends_only_the_feed_messages_of_a_mixed_operation() -> None:
    document = _document(
        subscribe={"action": "receive", "channel": CHANNEL, "messages": ref("sub"), "reply": {"channel": CHANNEL, "messages": ref("ack")}},
        mixed={"action": "send", "channel": CHANNEL, "messages": ref("ack", "trade")},
    )
    contract = build_contract(document, document)
    send = next(s for s in contract.channels[0].sends if s.operation_id == "mixed")
    assert [m.key for m in send.feed_messages] == ["trade"]


def test_a_channel_default_that_is_malformed_is_refused_where_it_is_written() -> None:
    document = _document(sendTick={"action": "send", "channel": CHANNEL, "messages": ref("tick")})
    document["channels"]["feed"]["x-apitwin-feed"] = {"interval_seconds": -1}
    with pytest.raises(FeedDeclarationError) as raised:
        find_feeds(document)
    assert raised.value.pointer == "/channels/feed/x-apitwin-feed/interval_seconds"
