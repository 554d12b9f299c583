"""Unit tests of the suite's reading of AsyncAPI contracts it did not write (channels sharing an
address, replies on another channel, correlation ids) and of which auth probes a contract
without declarations is held to."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.contract import Contract
from conformance.http.runner import is_unstated_credential_validity
from conformance.websocket.asyncapi import AsyncContract
from conformance.websocket.connection import Violated
from conformance.websocket.exchange import require_correlation
from mock_server.contracts.loader import load_document

ROOT = Path(__file__).resolve().parents[1]
KRAKEN = ROOT / "corpus" / "asyncapi" / "kraken-websocket-request-reply-multiple-channels.yml"


@pytest.fixture(scope="module")
def kraken() -> AsyncContract:
    return AsyncContract(load_document(KRAKEN))


def test_channels_at_one_address_are_one_endpoint(kraken: AsyncContract) -> None:
    endpoints = kraken.endpoints()
    assert [c.address for c in endpoints] == ["/"]
    served = {m.name for m in kraken.server_messages(endpoints[0])}
    assert {"pong", "heartbeat", "systemStatus", "subscriptionStatus", "dummyCurrencyInfo"} <= served
    assert {m.name for m in kraken.client_messages(endpoints[0])} == {"ping", "subscribe", "unsubscribe"}


def test_replies_named_by_channel_alone(kraken: AsyncContract) -> None:
    operations = {op.id: op for op in kraken.operations}
    assert [m.name for m in operations["receivePing"].messages] == ["ping"]  # none named: its channel's
    assert [m.name for m in operations["receivePing"].replies] == ["pong"]
    assert [m.name for m in operations["subscribe"].replies] == ["subscriptionStatus", "dummyCurrencyInfo"]
    assert [m.name for m in operations["unsubscribe"].replies] == ["subscriptionStatus"]


def test_a_reply_must_echo_a_documented_correlation_id(kraken: AsyncContract) -> None:
    operations = {op.id: op for op in kraken.operations}
    ping, pong = operations["receivePing"].messages[0], operations["receivePing"].replies[0]
    assert ping.correlation == "reqid" and pong.correlation == "reqid"
    run = SimpleNamespace()
    require_correlation(run, ping, {"event": "ping", "reqid": 5}, [pong], {"event": "pong", "reqid": 5})
    require_correlation(run, ping, {"event": "ping"}, [pong], {"event": "pong"})  # nothing sent, nothing owed
    with pytest.raises(Violated):
        require_correlation(run, ping, {"event": "ping", "reqid": 5}, [pong], {"event": "pong", "reqid": 6})
    status = operations["unsubscribe"].replies[0]  # documents no correlationId: not held to one
    require_correlation(run, operations["unsubscribe"].messages[0], {"event": "unsubscribe", "reqid": 1}, [status], {})


def test_made_up_credentials_count_only_where_the_contract_says_which_are_valid() -> None:
    bare = Contract(name="t", openapi_path=None, document={"paths": {}})
    declared = Contract(name="t", openapi_path=None, document={"paths": {}, "x-apitwin": {"auth": {"access_ttl": 60}}})
    invalid = SimpleNamespace(scenario="invalid_auth")
    assert is_unstated_credential_validity(bare, "ignored_auth", invalid)
    assert is_unstated_credential_validity(bare, "ignored_auth", SimpleNamespace(scenario="generated_auth"))
    assert not is_unstated_credential_validity(bare, "ignored_auth", SimpleNamespace(scenario="no_auth"))
    assert not is_unstated_credential_validity(declared, "ignored_auth", invalid)
    assert not is_unstated_credential_validity(bare, "auth_required", invalid)
