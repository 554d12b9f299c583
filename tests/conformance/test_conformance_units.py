"""In-process unit tests of the pieces the runs are made of."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.contract import Contract, dig
from conformance.http.checks import Page, check_single_page
from conformance.registry import Violation, load_all
from conformance.settings import SettingsError, find_config_file, from_sources
from conformance.websocket.asyncapi import AsyncContract
from conformance.websocket.generate import broken, draw, strategy
from tests.faulty.pool import TOY


def test_flags_override_environment_override_config() -> None:
    settings = from_sources(
        {"target": "x", "username": "flag-user", "max_examples": None},
        {"username": "config-user", "password": "config-pass", "max-examples": 4, "phases": "examples,fuzz"},
        {"APITWIN_PASSWORD": "env-pass", "APITWIN_TOKEN": "env-token"},
    )
    assert settings.username == "flag-user"
    assert settings.password == "env-pass"
    assert settings.token == "env-token"
    assert settings.max_examples == 4
    assert settings.phases == ["examples", "fuzz"]


def test_unknown_config_key_is_a_usage_error() -> None:
    with pytest.raises(SettingsError, match="max_exmaples"):
        from_sources({"target": "x"}, {"max_exmaples": 3}, {})


def test_config_file_discovery(tmp_path: Path) -> None:
    assert find_config_file(None, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert find_config_file(None, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.apitwin]\nseed = 3\n")
    assert find_config_file(None, tmp_path)[1] == {"seed": 3}
    (tmp_path / "apitwin.toml").write_text("seed = 5\n")
    assert find_config_file(None, tmp_path)[1] == {"seed": 5}
    with pytest.raises(SettingsError, match="not found"):
        find_config_file(str(tmp_path / "missing.toml"), tmp_path)


def test_every_check_has_a_unique_name_and_a_summary() -> None:
    checks = load_all().all()
    assert len({info.name for info in checks}) == len(checks)
    assert all(info.summary and info.transport in {"http", "websocket", "graphql"} for info in checks)
    apitwin_http = {info.name for info in checks if info.origin == "apitwin" and info.transport == "http"}
    assert {"error_envelope", "rate_limit_headers", "pagination_headers", "pagination_consistency", "auth_required"} <= apitwin_http


def test_dig_follows_dotted_paths() -> None:
    assert dig({"meta": {"total": 3}}, "meta.total") == 3
    assert dig([1, 2], "") == [1, 2]
    assert dig({"meta": {}}, "meta.total") is None


@pytest.mark.parametrize(
    ("facts", "size", "problem"),
    [
        ({"page": 1, "per_page": 5, "total": 12, "pages": 3}, 5, None),
        ({"page": 3, "per_page": 5, "total": 12, "pages": 3}, 2, None),
        ({"page": 3, "per_page": 5, "total": 12, "pages": 3}, 1, "page size does not match the total"),
        ({"page": 1, "per_page": 5, "total": 12, "pages": 2}, 5, "page count does not match the total"),
        ({"page": 1, "per_page": 5, "total": 0, "pages": 1}, 0, None),
        ({"limit": 2}, 3, "page holds more items than its size"),
    ],
)
def test_single_page_rules(facts: dict, size: int, problem: str | None) -> None:
    page = Page(items=list(range(size)), facts=facts, headers={})
    if problem is None:
        check_single_page({}, page, None)
    else:
        with pytest.raises(Violation, match=problem):
            check_single_page({}, page, None)


def test_generated_client_frames_are_valid_and_broken_ones_invalid() -> None:
    contract = AsyncContract(Contract.load("toy", None, TOY / "asyncapi.yaml").asyncapi)
    channel = contract.channels["live"]
    for message in contract.client_messages(channel):
        frames = draw(strategy(message.payload, contract.resolve), 3, 1, lambda value: True)
        assert frames and all(contract.valid(message, frame) for frame in frames)
        bad = draw(broken(message.payload, contract.resolve), 3, 1, lambda value: True)
        assert bad and not any(contract.valid(message, frame) for frame in bad)


def test_asyncapi_reading_of_the_toy_contract() -> None:
    contract = AsyncContract(Contract.load("toy", None, TOY / "asyncapi.yaml").asyncapi)
    channel = contract.channels["live"]
    assert [way.kind for way in channel.token_ways] == ["query", "bearer"]
    assert contract.error_message(channel).name == "Error"
    replies = {op.id: [m.name for m in op.replies] for op in contract.operations if op.replies}
    assert replies == {"onPing": ["Pong"], "onSubscribe": ["Subscribed"], "onPublish": ["Ack"]}


def test_declared_copies_expect_only_what_the_client_can_know() -> None:
    from conformance.websocket.copies import mismatches

    sent = {"type": "chat", "message": "Hello!", "data": {"timestamp": 7}}
    copies = {
        "message": "message",  # a path into the client's frame
        "data.timestamp": "$frame.data.timestamp",
        "client_id": "$param.client_id",  # the address parameter the client connected with
        "kind": "'echo'",  # a quoted literal
        "data.message_id": "$message.id",  # made by the server: never compared
        "at": "$now.iso",
        "missing": "data.not_sent",  # nothing to copy: nothing expected
    }
    good = {"message": "Hello!", "data": {"timestamp": 7, "message_id": "m1"}, "client_id": "c-1", "kind": "echo", "at": "x"}
    assert mismatches(copies, sent, good, {"client_id": "c-1"}) == []
    bad = {**good, "message": "Hello!!", "client_id": "other"}
    assert [m.target for m in mismatches(copies, sent, bad, {"client_id": "c-1"})] == ["message", "client_id"]
    assert mismatches({"message": ["$uuid", "message"]}, sent, {"message": "x"}) == []  # the server may fill it first


def test_what_the_document_does_not_state_is_no_violation() -> None:
    """A status on an operation without responses, and a negative case whose only broken parts
    are style-serialized arrays/objects, break nothing the document states."""
    from conformance.http.runner import documents_no_status, is_ambiguous_serialization

    root = Path(__file__).parents[1] / "corpus" / "params" / "parameters-style.yaml"
    contract = Contract.load("params", root)
    label = "GET /anything/path/label/{primitive}/{array}/{object}"
    assert documents_no_status(contract, "status_code_conformance", "GET /anything/query")
    assert not documents_no_status(contract, "not_a_server_error", "GET /anything/query")
    structured = "Invalid component: parameters `array`, `object` in path - incorrect type"
    assert is_ambiguous_serialization(contract, "negative_data_rejection", label, structured)
    primitive = "Invalid component: parameter `primitive` in path - incorrect type"
    assert not is_ambiguous_serialization(contract, "negative_data_rejection", label, primitive)
    assert not is_ambiguous_serialization(contract, "negative_data_rejection", label, "Invalid component: in body - x")

    toy = Contract.load("toy", TOY / "openapi.yaml")
    documented = next(iter(toy.operations.values()))
    assert not documents_no_status(toy, "status_code_conformance", documented.label)
