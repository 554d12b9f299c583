"""`apitwin lint` says only what is wrong, once, at its line, without going online."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conformance.lint import lint_file
from conformance.lint.problems import Finding
from conformance.lint.rules import RULES
from conformance.lint.rules.base import Rule

from .fixtures import BROKEN, CLEAN
from .test_lint_command import PROBLEM_LINE, apitwin

NO_OPERATION_ID = """\
openapi: 3.0.3
info: {title: No operationIds, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200': {description: OK}
"""


def test_a_missing_operation_id_is_a_warning_and_exits_0(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID)
    result = apitwin("lint", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    line, summary = result.stdout.strip().splitlines()
    match = PROBLEM_LINE.match(line)
    assert match and match["rule"] == "operation-id" and (match["line"], match["col"]) == ("5", "5")
    assert match["message"] == "warning: operation GET /pets has no operationId"
    assert summary == "1 warning in 1 file (1 contract file checked)"


def test_warnings_beside_an_error_still_exit_1(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID.replace("'200': {description: OK}", "'200': {descriptio: OK}"))
    result = apitwin("lint", str(path))
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1].startswith("1 problem and 1 warning in 1 file")


def test_schema_errors_reached_through_refs_are_placed_at_their_own_line():
    problems = lint_file(BROKEN / "schema_errors_through_refs.yaml")
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [
        (14, "'strin'"), (23, "Path"), (38, "'ten'"), (40, "Required"), (47, "'none'"),
    ]


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_every_problem_has_a_real_line(path):
    for problem in lint_file(path):
        assert problem.line is not None, problem.format()
        if (problem.line, problem.column) == (1, 1):  # only for what is wrong with the file itself
            assert problem.rule in ("parse", "openapi-version", "asyncapi-version"), problem.format()


def test_a_vague_one_of_error_is_not_said_beside_the_precise_one():
    """The whole-document pass says 'the parameter matches none of the allowed forms'; the schema
    check says 'strin' is not a type. One problem, one line."""
    problems = lint_file(BROKEN / "schema_errors_through_refs.yaml")
    assert not [p for p in problems if "oneOf" in p.message or "allowed forms" in p.message]


def test_identical_findings_of_two_rules_are_reported_once(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID)

    def same(contract):
        yield Finding("the same thing", pointer="/paths/~1pets/get")

    rules = [Rule("first", frozenset({"openapi"}), "t", same), Rule("second", frozenset({"openapi"}), "t", same)]
    [problem] = lint_file(path, rules=rules)
    assert (problem.rule, problem.line) == ("first", 5)


def test_one_value_breaking_several_keywords_is_one_problem(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID.replace(
        "'200': {description: OK}",
        "'200':\n          description: OK\n          content:\n            application/json:\n"
        "              schema: {type: string, enum: [GET, POST]}\n              example: null\n"))
    [problem] = [p for p in lint_file(path) if p.rule == "example"]
    assert problem.line == 12
    assert "not nullable" in problem.message and "not one of" in problem.message


def test_refs_inside_extensions_are_opaque_but_apitwins_own_are_checked(tmp_path):
    assert lint_file(CLEAN / "extensions_with_refs.yaml") == []
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID.replace(
        "    get:\n", "    get:\n      operationId: pets\n      x-apitwin-response: {$ref: '#/components/nothing'}\n"))
    [problem] = lint_file(path)
    assert (problem.rule, problem.line) == ("ref", 7) and "'#/components/nothing'" in problem.message


def test_lint_never_reaches_for_the_network(tmp_path, monkeypatch):
    """openapi-spec-validator resolves http(s) $refs on its own; lint must not let it."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    path = tmp_path / "openapi.yaml"
    path.write_text(NO_OPERATION_ID.replace(
        "    get:\n", "    get:\n      operationId: pets\n      parameters:\n"
        "        - $ref: 'https://example.com/common.yaml#/Limit'\n"))
    problems = lint_file(path)
    assert attempts == []
    assert [(p.rule, p.line) for p in problems] == [("ref", 8)]
    assert "unresolvable offline" in problems[0].message


def test_the_warning_rule_is_listed_as_such():
    [rule] = [r for r in RULES if r.name == "operation-id"]
    assert rule.severity == "warning"
    assert all(r.severity == "error" for r in RULES if r.name != "operation-id")


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "openapi"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")) + sorted(CORPUS.glob("*.json")), ids=lambda p: p.name)
def test_public_contracts_lint_without_false_alarms(path):
    """Real-world contracts we did not write (tests/corpus/SOURCES.md): valid, so no errors."""
    errors = [problem.format() for problem in lint_file(path) if problem.is_error]
    assert errors == []


NULLABLE_BESIDE_REF = """\
openapi: 3.0.3
info: {title: Nullable beside a $ref, version: '1'}
paths:
  /calls:
    get:
      operationId: calls
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  region: {$ref: '#/components/schemas/Region', nullable: true}
                  other: {$ref: '#/components/schemas/Region'}
              example:
                region: null
                other: OTHER
components:
  schemas:
    Region: {type: string, enum: [us1, ie1]}
"""


def test_null_where_nullable_sits_beside_a_ref_is_a_warning_naming_the_cause(tmp_path):
    """OpenAPI 3.0 ignores a $ref's siblings, so the null breaks the schema as written; the
    author meant it nullable (generated vendor contracts are full of this)."""
    path = tmp_path / "openapi.yaml"
    path.write_text(NULLABLE_BESIDE_REF)
    problems = [p for p in lint_file(path) if p.rule == "example"]
    assert [(p.line, p.severity) for p in problems] == [(18, "warning"), (19, "error")]
    assert "`nullable: true` beside a `$ref` is ignored in OpenAPI 3.0" in problems[0].message
    assert "'OTHER' is not one of" in problems[1].message
