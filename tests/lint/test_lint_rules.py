"""Each lint rule against fixtures that break it (and ones that must pass), in-process."""

from __future__ import annotations

import pytest

from conformance.lint import lint_file
from conformance.lint.rules import RULES
from .fixtures import BROKEN, CLEAN, contract_files, expectations


@pytest.mark.parametrize("path", contract_files(BROKEN), ids=lambda p: p.name)
def test_broken_fixture_reports_exactly_its_marked_problems(path):
    expected = expectations(path)
    assert expected, f"{path.name} marks no expected problem"
    problems = lint_file(path)
    reported = sorted((p.line, p.rule) for p in problems)
    assert reported == sorted((e.line, e.rule) for e in expected), "\n".join(p.format() for p in problems)
    for problem, want in zip(sorted(problems, key=lambda p: p.line or 0), sorted(expected, key=lambda e: e.line)):
        assert want.fragment in problem.message
        assert problem.path == path


@pytest.mark.parametrize("path", contract_files(CLEAN), ids=lambda p: p.name)
def test_clean_fixture_has_no_problem(path):
    assert [p.format() for p in lint_file(path)] == []


def test_every_rule_is_exercised_by_a_broken_fixture():
    marked = {e.rule for path in contract_files(BROKEN) for e in expectations(path)}
    assert {rule.name for rule in RULES} <= marked


def test_a_file_that_is_not_utf8_is_a_parse_problem(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_bytes(b"openapi: 3.1.0\ninfo: {title: \xff\xfe}\n")
    [problem] = lint_file(path)
    assert problem.rule == "parse" and "not UTF-8" in problem.message


def test_json_contract_problems_have_lines(tmp_path):
    path = tmp_path / "openapi.json"
    path.write_text('{\n  "openapi": "3.1.0",\n  "openapi": "3.0.0"\n}\n')
    [problem] = lint_file(path)
    assert (problem.rule, problem.line, problem.column) == ("parse", 3, 3)
    assert "duplicate key 'openapi'" in problem.message


def test_problem_in_a_referenced_file_is_reported_in_that_file(tmp_path):
    (tmp_path / "common.yaml").write_text("Error:\n  description: x\n  headers:\n    X: {$ref: '#/Nope'}\n")
    contract = tmp_path / "openapi.yaml"
    contract.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      operationId: getA\n      responses:\n        default: {$ref: 'common.yaml#/Error'}\n"
    )
    [problem] = lint_file(contract)
    assert problem.rule == "ref"
    assert (problem.path.name, problem.line) == ("common.yaml", 4)


def test_a_rule_that_crashes_becomes_a_problem_not_a_traceback(tmp_path):
    from conformance.lint.rules.base import Rule

    def explode(contract):
        raise RuntimeError("boom")

    path = CLEAN / "openapi_30.yaml"
    [problem] = lint_file(path, rules=[Rule("explodes", frozenset({"openapi"}), "test", explode)])
    assert problem.rule == "explodes" and "RuntimeError: boom" in problem.message
