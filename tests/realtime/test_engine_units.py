"""Unit tests of the WebSocket engine's pieces and the webhook signature (in-process)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from mock_server.websocket.audience import collect
from mock_server.websocket.contract import AsyncContractError, build_contract, load_contract
from mock_server.websocket.errorframes import ErrorFrames
from mock_server.websocket.frames import MISSING, Context, FrameBuilder
from mock_server.websocket.handshake import ConnectionRateLimit, Refusal, find_token
from mock_server.webhooks import canonical, sign
from tests.realtime.helpers import SPECS


class FixedGenerator:
    """Stands in for the DataGenerator: a recognisable value per call."""

    def value(self, schema, *, name=None, root=None):
        return {"integer": 7, "string": "made-up"}.get(schema.get("type"), "made-up")


def test_source_expressions() -> None:
    context = Context(frame={"data": {"topic": "t", "n": 0}}, user_id="u1", params={"client_id": "c"},
                      connection_id="conn", size=3, event={"id": "e1"})
    assert context.evaluate("data.topic") == "t"
    assert context.evaluate("data.n") == 0
    assert context.evaluate("data.missing") is MISSING
    assert context.evaluate("$user.id") == "u1"
    assert context.evaluate("$param.client_id") == "c"
    assert context.evaluate("$connection.id") == "conn"
    assert context.evaluate("$size") == 3
    assert context.evaluate("$event.id") == "e1"
    assert context.evaluate(["data.missing", "$user.id"]) == "u1"
    assert context.evaluate("'literal text'") == "literal text"
    assert context.evaluate({}) == {}
    assert isinstance(context.evaluate("$now.unix"), int)
    assert context.evaluate("$now.iso").endswith("Z")


def test_frames_fill_required_fields_only_and_prune_what_the_schema_forbids() -> None:
    contract = load_contract(SPECS / "realtime" / "asyncapi.yaml")
    channel = contract.channels[0]
    builder = FrameBuilder(FixedGenerator(), contract.document)
    delivery = builder.build(channel.messages["BroadcastDelivery"],
                             {"data.topic": "data.topic", "data.payload": "data.payload", "data.extra": "data.topic"},
                             Context(frame={"data": {"topic": "news", "payload": [1]}}))
    assert delivery == {"type": "Broadcast", "data": {"topic": "news", "payload": [1]}}  # no made-up from_user
    ack = builder.build(channel.messages["Ack"], {}, Context())
    assert ack == {"type": "Ack", "data": {"message_id": "made-up"}}
    assert channel.messages["Ack"].errors(ack) == []


def test_contract_model_of_the_bundled_realtime_api() -> None:
    channel = load_contract(SPECS / "realtime" / "asyncapi.yaml").channels[0]
    assert channel.match("/ws") == {} and channel.match("/wss") is None
    assert channel.heartbeat() == (30, 60) and channel.max_frame_size == 65536
    types = {m.discriminator for m in channel.client_messages() if m.discriminator}
    assert ("type", "Subscribe") in types and ("type", "Ping") in types
    assert [m.key for m in channel.client_messages() if m.binary] == ["BinaryFrame"]
    assert [s.operation_id for s in channel.triggered("connect")] == ["sendWelcome"]
    accounts = load_contract(SPECS / "accounts" / "asyncapi.yaml").channels[0]
    assert accounts.match("/api/v1/ws/user-123") == {"client_id": "user-123"}


def test_only_asyncapi_3_drives_the_engine() -> None:
    with pytest.raises(AsyncContractError, match="AsyncAPI 3"):
        build_contract({"asyncapi": "2.6.0"}, {"asyncapi": "2.6.0"})


def test_token_places_come_from_the_security_schemes() -> None:
    channel = load_contract(SPECS / "realtime" / "asyncapi.yaml").channels[0]
    assert find_token(channel, {}, {"token": "a"}, []) == ("a", None)
    assert find_token(channel, {}, {"access_token": "b"}, []) == ("b", None)
    assert find_token(channel, {"authorization": "Bearer c"}, {}, []) == ("c", None)
    assert find_token(channel, {}, {}, ["chat", "access_token.d"]) == ("d", "access_token.d")
    assert find_token(channel, {"authorization": "Basic x"}, {}, ["access_token."]) == (None, None)
    messaging = load_contract(SPECS / "messaging" / "asyncapi.yaml").channels[0]
    assert find_token(messaging, {"authorization": "Bearer c"}, {}, []) == (None, None)  # only ?token= there


def test_connection_rate_limit_window() -> None:
    now = [0.0]
    limit = ConnectionRateLimit({"limit": 2, "window": 60}, clock=lambda: now[0])
    limit.check("a")
    limit.check("a")
    limit.check("b")
    with pytest.raises(Refusal) as refused:
        limit.check("a")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "60"
    now[0] = 60.5
    limit.check("a")


def test_error_frame_codes_by_kind_then_status() -> None:
    channel = load_contract(SPECS / "directory" / "asyncapi.yaml").channels[0]
    frames = ErrorFrames(channel, FrameBuilder(FixedGenerator(), {}))
    assert frames.render("invalid-json")["error"]["code"] == "INVALID_REQUEST"
    assert frames.render("unknown-type")["error"]["code"] == "VALIDATION_ERROR"
    realtime = load_contract(SPECS / "realtime" / "asyncapi.yaml").channels[0]
    frames = ErrorFrames(realtime, FrameBuilder(FixedGenerator(), {}))
    assert frames.render("not-connected", "gone", code=404) == {"type": "Error", "data": {"code": 404, "message": "gone"}}


def test_members_paths_walk_through_lists() -> None:
    group = {"owner_id": "o", "members": [{"user_id": "a"}, {"user_id": "b"}]}
    assert collect(group, "members.user_id") == ["a", "b"]
    assert collect(group, "owner_id") == ["o"]
    assert collect(group, "nothing") == []


def test_signature_is_the_hmac_of_the_canonical_payload_without_it() -> None:
    payload = {"event": "record.deleted", "timestamp": "2024-02-09T12:00:00Z",
               "data": {"collection": "products", "record_id": "rec_abc123", "changes": {}}}
    expected = hmac.new(b"your_webhook_secret", json.dumps(payload, separators=(",", ":"), sort_keys=True).encode(),
                        hashlib.sha256).hexdigest()
    assert sign("your_webhook_secret", payload) == "sha256=" + expected
    assert canonical({**payload, "signature": "x"}) == canonical(payload)


@pytest.mark.parametrize(("api", "secret"), [("enterprise", "your_webhook_secret"), ("messaging", "webhook_secret")])
def test_signatures_match_the_contracts_own_webhook_examples(api: str, secret: str) -> None:
    from mock_server.contracts.loader import load_document
    from mock_server.contracts.refs import resolve_refs

    path = SPECS / api / "openapi.yaml"
    document = resolve_refs(load_document(path), base=path)
    examples = [example["value"] for item in document["webhooks"].values()
                for example in item["post"]["requestBody"]["content"]["application/json"]["examples"].values()]
    assert examples
    for example in examples:
        assert sign(secret, example) == example["signature"]


def test_token_expiry_reads_the_exp_claim() -> None:
    from types import SimpleNamespace

    from mock_server.websocket.liveness import token_expired

    assert token_expired(SimpleNamespace(claims={"exp": 100}), 100.0)
    assert not token_expired(SimpleNamespace(claims={"exp": 100}), 99.0)
    assert not token_expired(SimpleNamespace(claims={}), 1e12)
    assert not token_expired(None, 1e12)


@pytest.mark.parametrize("api", ["realtime", "messaging", "accounts", "directory"])
def test_every_error_frame_is_valid_against_the_contracts_error_message(api: str) -> None:
    channel = load_contract(SPECS / api / "asyncapi.yaml").channels[0]
    frames = ErrorFrames(channel, FrameBuilder(FixedGenerator(), {}))
    assert channel.error_message is not None
    for kind, status in (("invalid-json", 400), ("unknown-type", 400), ("invalid-data", 400), ("binary", 400),
                         ("internal", 500)):
        frame = frames.render(kind, "something went wrong", status=status)
        assert channel.error_message.errors(frame) == [], (kind, frame)
    for operation in channel.receives:  # the failures the contract's effects declare
        for effect in operation.effect.values():
            for failure in (effect.get("not_connected"), effect.get("not_found")) if isinstance(effect, dict) else ():
                if failure:
                    frame = frames.render("not-found", failure["message"], status=404, code=failure.get("code"))
                    assert channel.error_message.errors(frame) == [], (operation.operation_id, frame)
