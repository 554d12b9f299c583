"""Messages that document no payload (tests/realtime/contracts/no-payloads.yaml): AsyncAPI makes
`payload` optional, meaning any payload. The mock answers a client message of any JSON payload
(a string, `null`) with its documented reply and feeds its payload-less message; the suite sends
such payloads as JSON (a generated `""` is the JSON string, not an empty frame) and passes the
mock. Real mock process, real WebSocket client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from mock_server.contracts.loader import load_document
from tests.corpus.ws_harness import AsyncContractReading, exchange
from tests.support.servers import run_mock

CONTRACT = Path(__file__).parent / "contracts" / "no-payloads.yaml"


def test_any_payload_is_the_undocumented_message_and_gets_the_reply() -> None:
    reading = AsyncContractReading(load_document(CONTRACT))
    named = reading.document["channels"]["root"]["messages"]["named"]["payload"]
    with run_mock(str(CONTRACT)) as server:
        for payload in ("", None, 3, {"any": ["thing"]}):
            frames = asyncio.run(exchange(server.ws_url + "/", {}, [payload], seconds=2, limit=4))
            replies = [frame for frame in frames if reading.valid(named, frame)]
            assert replies == [{"type": "named"}], (payload, frames)
            assert len(frames) > 1, frames  # the feed's ticks beside it


def test_the_suite_passes_the_mock(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with run_mock(str(CONTRACT)) as server:
        run = subprocess.run([sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", server.url,
                              "--phases", "websocket", "--seed", "1", "--quiet", "--report", f"json:{report}"],
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    passed = {(entry["check"], entry["operation"]) for entry in json.loads(report.read_text())["apis"][0]["checks"] if entry["passed"]}
    assert {("ws_reply", "receivePing"), ("ws_feed", "sendTick"), ("ws_frame_schema", "WS /")} <= passed
