"""A faithful implementation of the `accounts` document's WebSocket, written from the document
alone (tests/servers/faithful_accounts_ws.py), is not failed on what the document never says:
its framework's answers to invalid frames are warnings, `--strict` fails them."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.test_conformance_command import apitwin
from tests.support.servers import ROOT, ServerProcess, free_port, start_process

FAITHFUL = ROOT / "tests" / "servers" / "faithful_accounts_ws.py"


@pytest.fixture(scope="module")
def faithful() -> Iterator[ServerProcess]:
    port = free_port()
    server = start_process([sys.executable, str(FAITHFUL), "--port", str(port)], port)
    try:
        yield server
    finally:
        server.stop()


def test_the_faithful_websocket_conforms_with_its_assumptions_as_warnings(faithful: ServerProcess, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    args = ("accounts", "--base-url", faithful.url, "--phases", "websocket", "--seed", "1", "--quiet")
    result = apitwin(*args, "--report", f"json:{out}")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())["apis"][0]
    assert data["findings"] == []
    warned = {w["check"]: w for w in data["warnings"]}
    # the error frame is the contract's choice: an echo (with `message: null`) of a frame it
    # cannot accept, and the socket closed on invalid JSON, as `receive_json` does, only warn
    assert set(warned) == {"ws_invalid_message", "ws_frame_schema"}
    assert "error frame is ours" in warned["ws_invalid_message"]["assumption"]
    assert "(connection closed)" in warned["ws_invalid_message"]["actual"]
    assert '"message": null' in warned["ws_frame_schema"]["actual"]
    checked = {row["check"] for row in data["checks"]}
    assert {"ws_reply", "ws_heartbeat"} <= checked and "ws_frame_limit" not in checked  # no limit in the document

    strict = apitwin(*args, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "[ws_invalid_message]" in strict.stdout


def test_the_listings_bounds_the_document_never_gives_only_warn(faithful: ServerProcess, tmp_path: Path) -> None:
    """A negative `skip` or a `limit` below 1 served as FastAPI's plain `int` parameters do: the
    contract's bounds there are its own, and there is no ceiling on `limit` to break."""
    out = tmp_path / "r.json"
    args = ("accounts", "--base-url", faithful.url, "--phases", "coverage", "--include", "listUsers", "--seed", "1", "--quiet")
    result = apitwin(*args, "--report", f"json:{out}")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())["apis"][0]
    assert data["findings"] == []
    assert {w["check"] for w in data["warnings"]} == {"negative_data_rejection"}
    assert all("only the default" in w["assumption"] for w in data["warnings"])
    assert apitwin(*args, "--strict").returncode == 1
