"""`apitwin lint [API|PATH ...]`: validate contracts; exit 0 clean (warnings allowed), 1 problems,
2 bad usage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.lint.problems import Problem
from conformance.lint.rules import RULES
from conformance.lint.runner import lint_api, lint_file
from mock_server.contracts.bundle import Api, bundled_apis, resolve_target
from mock_server.contracts.loader import ContractError

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets", nargs="*", metavar="API|PATH",
        help="a bundled API name, a contract file or a directory of contracts (default: every bundled API)",
    )
    parser.add_argument("--list-rules", action="store_true", help="print the rules and exit")


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        _print_rules()
        return EXIT_CLEAN
    targets = _targets(args.targets)
    if targets is None:
        return EXIT_USAGE
    if not targets:
        print("apitwin lint: no bundled APIs found and no target given", file=sys.stderr)
        return EXIT_USAGE
    problems: list[Problem] = []
    files = 0
    for target in targets:
        if isinstance(target, Api):
            files += len(target.contracts)
            problems.extend(lint_api(target))
        else:
            files += 1
            problems.extend(lint_file(target))
    for problem in problems:
        print(problem.format())
    print(_summary(problems, files))
    return EXIT_PROBLEMS if any(problem.is_error for problem in problems) else EXIT_CLEAN


def _targets(names: list[str]) -> list[Api | Path] | None:
    """What to lint, or None after a usage error has been printed."""
    if not names:
        return list(bundled_apis())
    targets: list[Api | Path] = []
    for name in names:
        path = Path(name)
        if path.is_file():
            targets.append(path)  # linted even when it cannot be parsed
            continue
        try:
            targets.append(resolve_target(name))
        except ContractError as error:
            cause = "file not found" if _looks_like_path(name) else error.cause
            print(f"apitwin lint: {name}: {cause}", file=sys.stderr)
            return None
    return targets


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or Path(name).suffix.lower() in (
        ".yaml", ".yml", ".json", ".graphql", ".graphqls", ".gql")


def _summary(problems: list[Problem], files: int) -> str:
    checked = f"{files} contract file{'s' if files != 1 else ''} checked"
    if not problems:
        return f"{checked}, no problems"
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    counts = [_count(errors, "problem")] if errors else []
    if warnings:
        counts.append(_count(warnings, "warning"))
    affected = len({problem.path for problem in problems})
    return f"{' and '.join(counts)} in {_count(affected, 'file')} ({checked})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _print_rules() -> None:
    width = max(len(current.name) for current in RULES)
    for current in RULES:
        kinds = ",".join(sorted(current.kinds))
        print(f"{current.name:<{width}}  {kinds:<16}  {current.severity:<7}  {current.summary}")
