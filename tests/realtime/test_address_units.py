"""Unit tests of channel address parameters as the WebSocket engine reads them (AsyncAPI 3.0
Parameter objects: `enum`, `default`, `examples`), and of a `oneOf` frame made whole keeping the
branch its value is of."""

from __future__ import annotations

from typing import Any

from mock_server.websocket.contract import Message, build_contract
from mock_server.websocket.frames import Context, FrameBuilder


def _contract(channels: dict[str, Any]) -> Any:
    document = {"asyncapi": "3.0.0", "info": {"title": "t", "version": "1"}, "channels": channels}
    return build_contract(document, document)


def test_an_enum_parameter_takes_only_its_values() -> None:
    contract = _contract({"book": {"address": "/v1/{symbol}/{depth}", "parameters": {
        "symbol": {"enum": ["btcusd", "ethusd"]}, "depth": {"description": "any"}}}})
    assert contract.channel_for("/v1/ethusd/10") == (contract.channels[0], {"symbol": "ethusd", "depth": "10"})
    assert contract.channel_for("/v1/dogeusd/10") is None
    assert contract.why_not_found("/v1/dogeusd/10") == "No WebSocket channel at /v1/dogeusd/10: symbol 'dogeusd' is not one of btcusd, ethusd"
    assert contract.why_not_found("/v2/x") == "No WebSocket channel at /v2/x"


def test_enum_values_read_as_an_address_carries_them() -> None:
    contract = _contract({"flags": {"address": "/{on}/{n}", "parameters": {"on": {"enum": [True]}, "n": {"enum": [2, 3]}}}})
    assert contract.channel_for("/true/3") is not None
    assert contract.channel_for("/True/3") is None


def test_channels_sharing_an_address_refuse_only_what_all_refuse() -> None:
    contract = _contract({
        "a": {"address": "/{s}", "parameters": {"s": {"enum": ["x"]}}},
        "b": {"address": "/{s}", "parameters": {"s": {"enum": ["y"]}}},
        "c": {"address": "/open/{s}", "parameters": {"s": {"enum": ["x"]}}},
        "d": {"address": "/open/{s}", "parameters": {"s": {}}},
    })
    assert contract.channel_for("/x") and contract.channel_for("/y") and not contract.channel_for("/z")
    assert contract.channel_for("/open/z")  # one of the channels there takes any value


class Generator:
    def value(self, schema: Any, *, name: Any = None, root: Any = None) -> Any:
        return {"integer": 7, "number": 1.5, "string": "text"}.get(schema.get("type"), "text")


def test_a_oneof_frame_made_whole_keeps_its_own_branch() -> None:
    tagged = lambda tag, *required: {"type": "object", "required": ["type", *required],  # noqa: E731
                                     "properties": {"type": {"const": tag}, "n": {"type": "integer"}}}
    schema = {"type": "object", "oneOf": [tagged("heartbeat"), tagged("update", "n")]}
    contract = _contract({"feed": {"address": "/", "messages": {"m": {"payload": schema}}}})
    message: Message = contract.channels[0].messages["m"]
    builder = FrameBuilder(Generator(), contract.document)
    assert builder.build(message, {}, Context(), start={"type": "update", "n": 3}) == {"type": "update", "n": 3}
    assert builder.build(message, {}, Context(), start={"type": "update"}) == {"type": "update", "n": 7}
    assert builder.build(message, {}, Context(), start={"n": 3})["type"] == "heartbeat"  # nothing to keep: the first
