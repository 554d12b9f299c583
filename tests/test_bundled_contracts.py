"""The bundled contracts are valid, and `apitwin list` shows them.

Every bundled API is linted with every rule, so a contract change that breaks its own
examples, a `$ref` or the official OpenAPI/AsyncAPI/GraphQL rules fails here first.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.lint import lint_api
from mock_server.contracts.bundle import SPECS_DIR, bundled_apis

ROOT = Path(__file__).resolve().parents[1]
APIS = bundled_apis()


def apitwin(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**os.environ, **env},
    )


def test_every_spec_directory_is_a_bundled_api():
    directories = sorted(p.name for p in SPECS_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert [api.name for api in APIS] == directories
    assert APIS, "no bundled API"


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_bundled_contract_lints_clean(api):
    problems = lint_api(api)
    assert not problems, "\n".join(problem.format() for problem in problems)


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_bundled_api_declares_what_list_shows(api):
    assert api.openapi is not None and api.problem is None
    assert isinstance(api.port, int) and 1 <= api.port <= 65535
    assert api.source is not None and re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", api.source)
    assert api.title and api.version


def test_list_prints_a_row_per_bundled_api():
    result = apitwin("list", COLUMNS="250")
    assert result.returncode == 0, result.stderr
    rows = {
        cells[0]: cells
        for line in result.stdout.splitlines() if line.startswith("│")
        for cells in [[cell.strip() for cell in line.strip("│").split("│")]]
    }
    assert sorted(rows) == sorted(api.name for api in APIS)
    for api in APIS:
        expected = [api.name, api.title, api.version, ", ".join(api.contracts), api.source, str(api.port)]
        assert rows[api.name] == expected


def test_list_json_matches_the_contracts():
    result = apitwin("list", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [entry["name"] for entry in listed] == [api.name for api in APIS]
    for entry, api in zip(listed, APIS):
        assert entry["contracts"] == sorted(api.contracts)
        assert (entry["title"], entry["version"], entry["source"], entry["port"]) == (
            api.title, api.version, api.source, api.port)
        assert Path(entry["openapi"]) == api.openapi
