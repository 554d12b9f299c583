"""Applying the rules to contract files and placing every finding on a line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from conformance.lint.contract import Contract, kind_of
from conformance.lint.problems import Finding, Problem
from conformance.lint.rules import RULES, Rule
from mock_server.contracts.bundle import Api
from mock_server.contracts.loader import locate


def lint_file(path: Path, kind: str | None = None, rules: Sequence[Rule] = RULES) -> list[Problem]:
    """Every problem in one contract file, in line order."""
    contract = Contract(Path(path), kind or kind_of(Path(path)))
    problems: list[Problem] = []
    for current in rules:
        if not current.applies_to(contract):
            continue
        found = [_place(contract, current, finding) for finding in _run(current, contract)]
        problems.extend(found)
        if found and current.gate:
            break
    return sorted(_once(problems), key=_order)


def _once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: two validators (or one walking a shared schema twice) that find the
    same thing at the same place say it once, under the first rule that found it."""
    seen: set[tuple[Path, int | None, int | None, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def lint_api(api: Api, rules: Sequence[Rule] = RULES) -> list[Problem]:
    """Every problem in the contracts of one API."""
    problems: list[Problem] = []
    for kind, path in api.contracts.items():
        problems.extend(lint_file(path, kind, rules))
    return problems


def _run(current: Rule, contract: Contract) -> Iterable[Finding]:
    """A rule's findings. A rule that crashes on a broken file is itself a finding, never a
    traceback: lint exists to explain broken files."""
    try:
        return list(current.check(contract))
    except Exception as error:  # noqa: BLE001 - reported, with the rule that failed
        return [Finding(f"this rule could not finish ({type(error).__name__}: {_first_line(error)})")]


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= 200 else text[:197] + "..."


def _place(contract: Contract, current: Rule, finding: Finding) -> Problem:
    path = finding.file or contract.path
    line, column = finding.line, finding.column
    if line is None and finding.pointer is not None:
        located = locate(path, finding.pointer)
        if located is not None:
            line, column = located
    return Problem(path=path, line=line, column=column, rule=current.name, message=finding.message,
                   severity=finding.severity or current.severity)


def _order(problem: Problem) -> tuple[str, int, int]:
    return (str(problem.path), problem.line or 0, problem.column or 0)
