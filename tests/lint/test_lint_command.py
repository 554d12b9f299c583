"""`apitwin lint` as a user runs it: a real process, its output lines and its exit status."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conformance.lint.rules import RULES
from mock_server.contracts.bundle import bundled_apis

from .fixtures import BROKEN, CLEAN, contract_files, expectations

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \[(?P<rule>[a-z0-9-]+)\] (?P<message>.+)$")


def apitwin(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )


def test_broken_contracts_give_one_located_line_per_problem_and_exit_1():
    files = contract_files(BROKEN)
    result = apitwin("lint", *[str(path.relative_to(ROOT)) for path in files])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    *lines, summary = result.stdout.strip().splitlines()
    expected = {
        (str(path.relative_to(ROOT)), e.line, e.rule) for path in files for e in expectations(path)
    }
    parsed = [PROBLEM_LINE.match(line) for line in lines]
    assert all(parsed), "\n".join(line for line, m in zip(lines, parsed) if not m)
    assert {(m["path"], int(m["line"]), m["rule"]) for m in parsed} == expected
    affected = len({m["path"] for m in parsed})
    warnings = sum(1 for m in parsed if m["message"].startswith("warning: "))
    assert warnings == sum(1 for path in files for e in expectations(path) if e.rule == "operation-id")
    assert summary == (f"{len(lines) - warnings} problems and {warnings} warning{'s' if warnings != 1 else ''} "
                       f"in {affected} files ({len(files)} contract files checked)")


def test_clean_contracts_exit_0():
    result = apitwin("lint", *[str(path) for path in contract_files(CLEAN)])
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == f"{len(contract_files(CLEAN))} contract files checked, no problems"


def test_a_directory_of_contracts_is_a_target(tmp_path):
    (tmp_path / "openapi.yaml").write_text((BROKEN / "missing_operation_id.yaml").read_text())
    (tmp_path / "schema.graphql").write_text((BROKEN / "unknown_type.graphql").read_text())
    result = apitwin("lint", str(tmp_path))
    assert result.returncode == 1
    rules = [PROBLEM_LINE.match(line)["rule"] for line in result.stdout.splitlines()[:-1]]
    assert sorted(rules) == ["graphql-schema", "operation-id", "operation-id-unique"]


def test_missing_file_is_a_usage_error():
    result = apitwin("lint", "specs/nowhere/openapi.yaml")
    assert result.returncode == 2
    assert result.stderr.strip() == "apitwin lint: specs/nowhere/openapi.yaml: file not found"
    assert result.stdout == ""


def test_unknown_api_is_a_usage_error_naming_the_bundled_apis():
    result = apitwin("lint", "no-such-api")
    assert result.returncode == 2
    names = [api.name for api in bundled_apis()]
    assert f"bundled APIs: {', '.join(names)}" in result.stderr


def test_list_rules_names_every_rule():
    result = apitwin("lint", "--list-rules")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == [rule.name for rule in RULES]


def test_without_the_official_asyncapi_schema_lint_fails_and_says_how_to_install_it(tmp_path):
    result = apitwin("lint", str(CLEAN / "asyncapi_2_6.yaml"), APITWIN_ASYNCAPI_SPECS=str(tmp_path))
    assert result.returncode == 1
    [line, _summary] = result.stdout.strip().splitlines()
    match = PROBLEM_LINE.match(line)
    assert match["rule"] == "asyncapi-version"
    assert "@asyncapi/specs" in match["message"] and "make install" in match["message"]


def test_list_and_lint_read_the_bundle_from_apitwin_specs_and_survive_a_broken_contract(tmp_path):
    good, broken = tmp_path / "good", tmp_path / "broken"
    good.mkdir()
    broken.mkdir()
    (good / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: Good API, version: 2.0.0}\npaths: {}\n"
        "x-apitwin: {port: 8123, source: 009_0123456789abcdef.txt}\n"
    )
    (broken / "openapi.yaml").write_text((BROKEN / "bad_yaml.yaml").read_text())

    listed = apitwin("list", "--json", APITWIN_SPECS=str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    entries = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert (entries["good"]["title"], entries["good"]["port"]) == ("Good API", 8123)
    assert entries["broken"]["problem"].endswith("YAML syntax error: while parsing a flow sequence "
                                                 "did not find expected ',' or ']' (it started at line 9)")
    table = apitwin("list", APITWIN_SPECS=str(tmp_path), COLUMNS="200")
    assert table.returncode == 0 and "unreadable: see apitwin lint broken" in table.stdout

    linted = apitwin("lint", APITWIN_SPECS=str(tmp_path))
    assert linted.returncode == 1
    assert linted.stdout.splitlines()[-1] == "1 problem in 1 file (2 contract files checked)"
    assert "Traceback" not in linted.stdout + linted.stderr
