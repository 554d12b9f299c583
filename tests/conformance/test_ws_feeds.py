"""The WebSocket phase on a feed (tests/realtime/contracts/market-feed.yaml): the mock of the
contract passes, every feed checked (`ws_feed`) and every frame held to the schema; a server whose
trades break the schema, and one that never sends its feed, are caught
(tests/servers/market_feed_ws.py). The declared ticker feed fails when silent; the trade feed,
whose cadence the contract does not state, only warns."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tests.conformance.test_conformance_command import apitwin
from tests.support.servers import ROOT, ServerProcess, free_port, run_mock, start_process

CONTRACT = ROOT / "tests" / "realtime" / "contracts" / "market-feed.yaml"
SERVER = ROOT / "tests" / "servers" / "market_feed_ws.py"


@contextmanager
def market(fault: str) -> Iterator[ServerProcess]:
    port = free_port()
    server = start_process([sys.executable, str(SERVER), "--port", str(port), "--fault", fault], port)
    try:
        yield server
    finally:
        server.stop()


def check(url: str, tmp_path: Path, contract: Path = CONTRACT) -> tuple[int, dict, str]:
    out = tmp_path / "report.json"
    result = apitwin(str(contract), "--base-url", url, "--phases", "websocket", "--seed", "1", "--quiet",
                     "--report", f"json:{out}")
    return result.returncode, json.loads(out.read_text())["apis"][0], result.stdout + result.stderr


def passed(data: dict) -> set[tuple[str, str]]:
    return {(entry["check"], entry["operation"]) for entry in data["checks"] if entry["passed"]}


def test_the_mock_of_a_feed_passes_its_own_check(tmp_path: Path) -> None:
    with run_mock(str(CONTRACT)) as server:
        code, data, output = check(server.url, tmp_path)
    assert code == 0, output[-3000:]
    assert data["findings"] == [] and data["warnings"] == []
    assert {("ws_feed", "sendTicker"), ("ws_feed", "sendTrade"), ("ws_frame_schema", "WS /")} <= passed(data)


def test_a_faithful_feed_server_passes(tmp_path: Path) -> None:
    with market("none") as server:
        code, data, output = check(server.url, tmp_path)
    assert code == 0, output[-3000:]
    assert {("ws_feed", "sendTicker"), ("ws_feed", "sendTrade")} <= passed(data)


def test_a_feed_frame_that_breaks_its_schema_is_caught(tmp_path: Path) -> None:
    with market("invalid-trade") as server:
        code, data, output = check(server.url, tmp_path)
    assert code == 1, output[-3000:]
    found = [f for f in data["findings"] if f["check"] == "ws_frame_schema"]
    assert len(found) == 1 and "'hold' is not one of" in found[0]["actual"], data["findings"]


def test_a_silent_feed_fails_where_declared_and_warns_where_inferred(tmp_path: Path) -> None:
    with market("silent") as server:
        code, data, output = check(server.url, tmp_path)
    assert code == 1, output[-3000:]
    assert [(f["check"], f["operation"]) for f in data["findings"]] == [("ws_feed", "sendTicker")]
    warned = {(w["check"], w["operation"]): w["assumption"] for w in data["warnings"]}
    assert "x-apitwin-feed" in warned[("ws_feed", "sendTrade")]


def test_a_declared_feed_marked_assumed_only_warns(tmp_path: Path) -> None:
    document = yaml.safe_load(CONTRACT.read_text())
    document["operations"]["sendTicker"]["x-apitwin-assumed"] = {"feed": "The exchange documents no ticker cadence."}
    marked = tmp_path / "asyncapi.yaml"
    marked.write_text(yaml.safe_dump(document, sort_keys=False))
    with market("silent") as server:
        code, data, output = check(server.url, tmp_path, marked)
    assert code == 0, output[-3000:]
    warned = {(w["check"], w["operation"]): w["assumption"] for w in data["warnings"]}
    assert warned[("ws_feed", "sendTicker")] == "The exchange documents no ticker cadence."
