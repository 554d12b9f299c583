"""The pytest plugin: `pytest --apitwin-api ... --apitwin-base-url ...` turns checks into items."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.faulty.pool import TOY


def run_pytest(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
            "--apitwin-api", str(TOY), "--apitwin-base-url", url, "--apitwin-seed", "1",
            "--apitwin-max-examples", "3", *extra,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_plugin_makes_one_item_per_check_and_fails_the_faulty_one(servers, tmp_path: Path) -> None:  # noqa: ANN001
    servers.start([("toy", "ws_missing_pong")])
    result = run_pytest(
        tmp_path, servers.url("toy", "ws_missing_pong"), "--apitwin-phases", "websocket", "-rf"
    )
    assert result.returncode == 1
    assert "1 failed" in result.stdout and " passed" in result.stdout  # one item per check
    assert "::ws_reply] - onPing: no reply to Ping" in result.stdout
