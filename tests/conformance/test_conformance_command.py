"""`apitwin check` as a user runs it: a real command against real server processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conformance import registry
from tests.faulty.pool import ROOT, TOY
from tests.support.servers import free_port


def apitwin(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def one_clean_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def toy(servers):  # noqa: ANN001, ANN201
    servers.start([("toy", "none"), ("toy", "wrong_error_envelope")])
    return servers


def test_list_checks_names_every_registered_check() -> None:
    result = apitwin("--list-checks")
    assert result.returncode == 0
    for name in registry.load_all().names():
        assert name in result.stdout


def test_conforming_server_exits_0_with_junit_and_json_reports(toy, tmp_path: Path) -> None:  # noqa: ANN001
    junit, report = tmp_path / "out" / "apitwin.xml", tmp_path / "apitwin.json"
    result = apitwin(
        str(TOY), "--base-url", toy.url("toy", "none"), "--seed", "1", "--max-examples", "3",
        "--report", f"junit:{junit}", "--report", f"json:{report}", "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["conforms"] is True and data["apis"][0]["findings"] == []
    assert {"examples", "fuzzing", "stateful", "websocket", "graphql"} <= set(data["apis"][0]["phases"])
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests")) > 20 and suite.get("failures") == "0"
    assert "conforms" in result.stdout


def test_violations_exit_1_naming_the_check_with_curl(toy, tmp_path: Path) -> None:  # noqa: ANN001
    junit = tmp_path / "apitwin.xml"
    result = apitwin(
        str(TOY), "--base-url", toy.url("toy", "wrong_error_envelope"), "--seed", "1", "--max-examples", "3",
        "--phases", "fuzz", "--include", "getNote", "--report", f"junit:{junit}", "--quiet",
    )
    assert result.returncode == 1
    assert "[error_envelope]" in result.stdout
    assert "curl -X GET" in result.stdout
    failures = [node for node in ElementTree.parse(junit).iter("failure") if node.get("type") == "error_envelope"]
    assert failures and "Expected:" in failures[0].text


def test_same_seed_gives_the_same_findings(toy, tmp_path: Path) -> None:  # noqa: ANN001
    runs = []
    for index in range(2):
        out = tmp_path / f"run{index}.json"
        apitwin(
            str(TOY), "--base-url", toy.url("toy", "wrong_error_envelope"), "--seed", "7", "--max-examples", "3",
            "--phases", "fuzz", "--include", "getNote", "--report", f"json:{out}", "--quiet",
        )
        findings = json.loads(out.read_text())["apis"][0]["findings"]
        runs.append([(f["check"], f["operation"], f["title"], f["actual"]) for f in findings])
    assert runs[0] and runs[0] == runs[1]


def test_config_file_supplies_the_settings(toy, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "apitwin.toml").write_text(
        f'[check]\nbase_url = "{toy.url("toy", "none")}"\nphases = ["examples"]\nmax_examples = 2\n'
        f'report = ["json:{(tmp_path / "r.json").as_posix()}"]\nquiet = true\n'
    )
    result = apitwin(str(TOY), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(json.loads((tmp_path / "r.json").read_text())["apis"][0]["phases"]) == {"examples"}


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.apitwin.check]\nphases = ["nonsense"]\n')
    result = apitwin(str(TOY), cwd=tmp_path)
    assert result.returncode == 2
    assert "nonsense" in one_clean_line(result)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("no-such-api",), "no-such-api"),
        ((str(TOY), "--checks", "no_such_check"), "no_such_check"),
        ((str(TOY), "--report", "pdf:x.pdf"), "junit:FILE, json:FILE or html:FILE"),
        ((str(TOY), "--min-coverage", "150"), "--min-coverage must be a percentage"),
        ((str(TOY), "--base-url", "ftp://example.com"), "http(s)"),
        ((str(TOY), "--max-examples", "0"), "max-examples"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...], expected: str) -> None:
    result = apitwin(*args)
    assert result.returncode == 2
    assert expected in one_clean_line(result)


def test_refused_connection_exits_2_with_one_line() -> None:
    result = apitwin(str(TOY), "--base-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "refused" in one_clean_line(result)


def test_unknown_host_exits_2_with_one_line() -> None:
    result = apitwin(str(TOY), "--base-url", "http://apitwin-no-such-host.invalid:8080")
    assert result.returncode == 2
    assert "resolve" in one_clean_line(result)


def test_bundled_name_defaults_to_the_mock_address() -> None:
    """No --base-url: the contract's x-apitwin.port on localhost with its base path."""
    from conformance.settings import CheckSettings
    from conformance.target import resolve

    target = resolve(CheckSettings(target="enterprise"))
    assert target.base_url == "http://localhost:8003/v2"
    assert resolve(CheckSettings(target="realtime")).ws_url == "ws://localhost:8081"
