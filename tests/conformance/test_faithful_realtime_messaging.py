"""Faithful implementations of the `realtime` and `messaging` documents, written from the
documents alone (tests/servers/realtime_starlette.py, tests/servers/messaging_starlette.py),
pass `apitwin check` on its defaults, every phase including the WebSocket one: where they
differ from the contract only the contract's assumptions are involved, listed as warnings,
and `--strict` fails on those."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conformance.test_conformance_command import apitwin
from tests.support.servers import ROOT, ServerProcess, free_port, start_process

SERVERS = ROOT / "tests" / "servers"


@contextmanager
def faithful(module: str) -> Iterator[ServerProcess]:
    """A fresh server per run: the messaging document's rate limits (5 logins a minute) would
    otherwise carry one run's logins into the next."""
    port = free_port()
    server = start_process([sys.executable, str(SERVERS / f"{module}.py"), "--port", str(port)], port)
    try:
        yield server
    finally:
        server.stop()


def run(api: str, module: str, tmp_path: Path, *extra: str) -> tuple[int, str, dict]:
    out = tmp_path / f"{api}.json"
    with faithful(module) as server:
        result = apitwin(api, "--base-url", server.url, "--seed", "1", "--max-examples", "5", "--quiet",
                         "--report", f"json:{out}", *extra, timeout=300)
    data = json.loads(out.read_text())["apis"][0] if out.exists() else {}
    return result.returncode, result.stdout + result.stderr, data


def warned(data: dict) -> dict[tuple[str, str], str]:
    return {(w["check"], w["operation"]): w["assumption"] for w in data["warnings"]}


def assert_all_phases_ran(data: dict) -> None:
    """Every phase passed; the stateful one may have had no time left (skipped, or never
    reached): these documents' rate limits cap a default run at 20 s."""
    ran = {phase: data["phases"].get(phase) for phase in ("examples", "coverage", "fuzzing", "websocket")}
    assert set(ran.values()) == {"success"}, data["phases"]
    assert data["phases"].get("stateful") in ("success", "skip", None), data["phases"]


def test_realtime_conforms_with_its_assumptions_as_warnings(tmp_path: Path) -> None:
    code, output, data = run("realtime", "realtime_starlette", tmp_path)
    assert code == 0, (data.get("findings"), output[-2000:])
    assert data["findings"] == [] and data["conforms"]
    assert_all_phases_ran(data)
    warnings = warned(data)
    # session ids are UUIDs: the document shows none, the `sess_` form is the contract's
    assert "its form is ours" in warnings[("response_schema_conformance", "POST /sessions")]
    # a method the document does not list is answered as Starlette does (plain-text 405)
    assert "a method it does not list here" in warnings[("error_envelope", "GET /health")]
    ws = {row["check"]: row for row in data["checks"] if row["operation"] == "WS /ws"}
    assert {"ws_welcome", "ws_handshake_auth", "ws_invalid_message", "ws_frame_limit"} <= set(ws)
    assert all(row["failed"] == 0 for row in ws.values()), ws
    delivered = {(row["operation"], row["check"]) for row in data["checks"] if row["passed"]}
    assert {("onBroadcast", "ws_fanout"), ("onDirectMessage", "ws_direct_delivery")} <= delivered

    code, output, _ = run("realtime", "realtime_starlette", tmp_path, "--strict")
    assert code == 1, output[-4000:]
    assert "[response_schema_conformance]" in output


def test_messaging_conforms_with_its_assumptions_as_warnings(tmp_path: Path) -> None:
    code, output, data = run("messaging", "messaging_starlette", tmp_path)
    assert code == 0, (data.get("findings"), output[-2000:])
    assert data["findings"] == [] and data["conforms"]
    assert_all_phases_ran(data)
    warnings = warned(data)
    # Starlette's default 200 for a creation: the document gives no status codes
    assert "201 is ours" in warnings[("status_code_conformance", "POST /api/messages")]
    # invalid input refused with 400 where the contract chose 422: the document gives no status
    assert "the target chose 400" in warnings[("status_code_conformance", "GET /api/messages")]
    # operations the document never shows are not served
    assert "this operation is ours" in warnings[("error_envelope", "GET /api/groups/{group_id}")]
    # no application-level ping: the document names no heartbeat
    assert "heartbeat" in warnings[("ws_reply", "onPing")]
    ws = {(row["operation"], row["check"]): row for row in data["checks"] if row["check"].startswith("ws_")}
    assert {("WS /ws", "ws_handshake_auth"), ("WS /ws", "ws_invalid_message"), ("sendMessageEvent", "ws_rest_events")} <= set(ws)
    assert all(row["failed"] == row["assumed"] for row in ws.values()), ws  # only assumptions fail over WebSocket

    code, output, _ = run("messaging", "messaging_starlette", tmp_path, "--strict")
    assert code == 1, output[-4000:]
    assert "[ws_reply]" in output and "[status_code_conformance]" in output


def test_messaging_websocket_alone_delivers_the_rest_event(tmp_path: Path) -> None:
    """The full run spends the document's 100 requests a minute long before its WebSocket
    phase, so its POST /api/messages may be refused (429) and the event never asked for. On a
    fresh server the WebSocket phase alone sends few requests: the event is really awaited."""
    code, output, data = run("messaging", "messaging_starlette", tmp_path, "--phases", "websocket")
    assert code == 0, (data.get("findings"), output[-2000:])
    passed = {(row["operation"], row["check"]) for row in data["checks"] if row["passed"]}
    assert ("sendMessageEvent", "ws_rest_events") in passed
    assert {w["check"] for w in data["warnings"]} == {"ws_reply"}  # no ping: the document names no heartbeat
