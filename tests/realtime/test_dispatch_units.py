"""Unit tests of how the WebSocket engine reads a contract whose channels share one address:
they are served as one, a frame is recognised among all their messages (by discriminating
constant, then by schema), replies are found on the reply channel, oneOf replies are valid and
the request's correlationId is echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.websocket.contract import AsyncContract, load_contract
from mock_server.websocket.dispatch import Dispatch
from mock_server.websocket.frames import Context, FrameBuilder

HERE = Path(__file__).parent
FEED = HERE / "contracts" / "ticker-feed.yaml"
KRAKEN = HERE.parent / "corpus" / "asyncapi" / "kraken-websocket-request-reply-multiple-channels.yml"


class Generator:
    def value(self, schema, *, name=None, root=None):
        if schema.get("pattern") == "^ord_[0-9a-f]{8}$":
            return "ord_0123abcd"
        return {"integer": 7, "number": 1.5, "string": "text"}.get(schema.get("type"), "text")


def _dispatch(contract: AsyncContract) -> Dispatch:
    return Dispatch(contract.channels[0].client_messages())


@pytest.fixture(scope="module")
def feed() -> AsyncContract:
    return load_contract(FEED)


def test_channels_at_one_address_are_served_as_one(feed: AsyncContract) -> None:
    assert len(feed.channels) == 1
    channel = feed.channels[0]
    assert channel.address == "/" and channel.key == "quotes+orders+health+pongs"
    assert {op.operation_id for op in channel.receives} == {"getQuote", "placeOrder", "ping"}
    assert [s.get("type") for s in channel.security] == ["httpApiKey", "http", "httpApiKey"]  # from the servers


def test_replies_come_from_the_reply_channel(feed: AsyncContract) -> None:
    ping = next(op for op in feed.channels[0].receives if op.operation_id == "ping")
    assert [m.key for m in ping.messages] == ["ping"] and [m.key for m in ping.replies] == ["pong"]
    kraken = load_contract(KRAKEN).channels[0]
    subscribe = next(op for op in kraken.receives if op.operation_id == "subscribe")
    assert [m.key for m in subscribe.replies] == ["subscriptionStatus", "dummyCurrencyInfo"]


def test_frames_are_recognised_by_constant_then_by_schema(feed: AsyncContract) -> None:
    live = _dispatch(feed)
    assert live.recognise({"op": "ping"})[0].key == "ping"
    assert live.recognise({"op": "place", "side": "sell", "amount": 1})[0].key == "placeOrder"
    assert live.recognise({"symbol": "ABC"})[0].key == "quoteRequest"  # no constant: its schema
    message, meant = live.recognise({"op": "place", "side": "hold"})
    assert message is None and meant.key == "placeOrder"  # meant as an order, but not a valid one
    assert live.recognise({"symbol": "lowercase"}) == (None, None)
    assert live.recognise(["not", "an", "object"]) == (None, None)


def test_one_of_replies_are_valid_and_echo_the_correlation_id(feed: AsyncContract) -> None:
    channel = feed.channels[0]
    builder = FrameBuilder(Generator(), feed.document)
    result = channel.messages["orderResult"]
    frame = builder.build(result, {"id": "$frame.id"}, Context(frame={"op": "place", "id": 12}))
    assert frame != {} and result.errors(frame) == []
    assert frame["id"] == 12 and frame["op"] == "result"  # the discriminating constant, though optional
    assert channel.messages["quoteRequest"].correlation == "id"
    kraken = load_contract(KRAKEN)
    status = kraken.channels[0].messages["subscriptionStatus"]
    built = FrameBuilder(Generator(), kraken.document).build(status, {}, Context())
    assert status.errors(built) == [] and built.get("event") == "subscriptionStatus"
    assert status.has_property("reqid") and not status.has_property("nothing")
    assert status.examples == []  # its documented examples break its own schema (pair is a list)


def test_a_channel_without_servers_takes_every_servers_security(tmp_path: Path) -> None:
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(
        "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
        "servers:\n  a: {host: h, protocol: ws, security: [{$ref: '#/components/securitySchemes/q'}]}\n"
        "channels:\n  c: {address: /ws, messages: {m: {payload: {type: object}}}}\n"
        "components:\n  securitySchemes:\n    q: {type: httpApiKey, in: query, name: key}\n"
    )
    assert load_contract(spec).channels[0].security == [{"type": "httpApiKey", "in": "query", "name": "key"}]
