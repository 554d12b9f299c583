"""pytest plugin entry point for `pytest --apitwin-api NAME --apitwin-base-url URL`.

With `--apitwin-api`, the session gains one test item per check (`apitwin[accounts::error_envelope]`).
The conformance run happens once, when the first item runs; each item then passes or fails
with its own findings (expected, actual, curl or transcript), so QA gets the same verdict as
`apitwin check` in pytest's own reports (JUnit via `--junitxml`, `-k` to pick checks). Nothing
is imported from the suite until the options are used: this module is loaded by every pytest
run in an environment where apitwin is installed.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apitwin", "apitwin conformance checks")
    group.addoption("--apitwin-api", help="bundled API name or contract path to check")
    group.addoption("--apitwin-base-url", help="where the implementation answers (default: the bundled mock)")
    group.addoption("--apitwin-phases", help="comma-separated phases (default: all)")
    group.addoption("--apitwin-max-examples", type=int, help="examples per operation and phase")
    group.addoption("--apitwin-seed", type=int, help="seed for a reproducible run")
    group.addoption("--apitwin-checks", help="comma-separated checks to run (default: all)")
    group.addoption("--apitwin-token", help="a ready bearer token (or APITWIN_TOKEN)")


class ApitwinRun:
    """The one conformance run the items share, started lazily."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report: Any = None
        self.problem: str | None = None

    def settings(self) -> Any:
        from conformance.settings import from_sources

        option = self.config.getoption
        flags = {
            "target": option("apitwin_api"),
            "base_url": option("apitwin_base_url"),
            "phases": option("apitwin_phases"),
            "max_examples": option("apitwin_max_examples"),
            "seed": option("apitwin_seed"),
            "checks": option("apitwin_checks"),
            "token": option("apitwin_token"),
            "quiet": True,
        }
        return from_sources(flags, None)

    def get(self) -> Any:
        if self.report is None and self.problem is None:
            from conformance.settings import SettingsError
            from conformance.suite import run_suite
            from conformance.target import Unreachable, probe, resolve

            try:
                settings = self.settings()
                target = resolve(settings)
                probe(target.base_url)
                self.report = run_suite(target, settings)
            except (SettingsError, Unreachable) as exc:
                self.problem = str(exc)
        if self.problem is not None:
            pytest.fail(f"apitwin: {self.problem}", pytrace=False)
        return self.report


class ApitwinItem(pytest.Item):
    def __init__(self, *, check: str, run: ApitwinRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.run = run

    def runtest(self) -> None:
        report = self.run.get()
        findings = [finding for finding in report.failures if finding.check == self.check]
        if findings:
            raise ApitwinFailure(findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ApitwinFailure):
            lines = []
            for finding in excinfo.value.findings:
                lines += [
                    f"{finding.operation}: {finding.title}",
                    f"  expected: {finding.expected}",
                    f"  actual:   {finding.actual}",
                ]
                if finding.reproduce:
                    lines += ["  reproduce:"] + [f"    {line}" for line in finding.reproduce.splitlines()]
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return "apitwin", 0, self.name


class ApitwinFailure(Exception):
    def __init__(self, findings: list[Any]) -> None:
        super().__init__(f"{len(findings)} finding(s)")
        self.findings = findings


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    api = config.getoption("apitwin_api", default=None)
    if not api:
        return
    from conformance import registry

    run = ApitwinRun(config)
    chosen = config.getoption("apitwin_checks")
    names = [name.strip() for name in chosen.split(",")] if chosen else registry.load_all().names()
    registry.load_all()
    for name in names:
        items.append(ApitwinItem.from_parent(session, name=f"apitwin[{api}::{name}]", check=name, run=run))
