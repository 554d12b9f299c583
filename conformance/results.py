"""What a conformance run found: the one data model every reporter reads.

Each phase (HTTP via Schemathesis, WebSocket, GraphQL) turns its outcome into `Finding`s and
per-operation check tallies; the console, JUnit and JSON reporters only format this.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Finding:
    """One contract violation, with what is needed to reproduce it."""

    check: str
    operation: str
    transport: str  # http | websocket | graphql
    phase: str
    title: str
    expected: str = ""
    actual: str = ""
    reproduce: str = ""  # a curl command, or a WebSocket transcript

    def key(self) -> tuple[str, str, str, str]:
        return (self.check, self.operation, self.title, self.expected)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0


@dataclass
class Report:
    """The outcome of `apitwin check` for one API."""

    api: str
    base_url: str
    findings: list[Finding] = field(default_factory=list)
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (operation, check) -> tally
    errors: list[str] = field(default_factory=list)  # problems running a phase, not violations
    stopped: str | None = None  # why the run ended early (the target stopped answering): exit 2
    phases: dict[str, str] = field(default_factory=dict)  # phase -> passed | failed | skipped: why
    duration: float = 0.0

    @property
    def conforms(self) -> bool:
        return not self.findings and not self.errors

    def add_finding(self, finding: Finding) -> None:
        """Record a violation once: the same fault seen on many inputs is one finding."""
        if all(existing.key() != finding.key() for existing in self.findings):
            self.findings.append(finding)
        self.count(finding.operation, finding.check, passed=False)

    def count(self, operation: str, check: str, *, passed: bool) -> None:
        tally = self.tallies.setdefault((operation, check), Tally())
        if passed:
            tally.passed += 1
        else:
            tally.failed += 1

    def failed_checks(self) -> set[str]:
        return {finding.check for finding in self.findings}

    def merge(self, other: "Report") -> None:
        for finding in other.findings:
            if all(existing.key() != finding.key() for existing in self.findings):
                self.findings.append(finding)
        for key, tally in other.tallies.items():
            mine = self.tallies.setdefault(key, Tally())
            mine.passed += tally.passed
            mine.failed += tally.failed
        self.errors.extend(other.errors)
        self.phases.update(other.phases)

    def to_dict(self) -> dict:
        return {
            "api": self.api,
            "base_url": self.base_url,
            "conforms": self.conforms,
            "stopped": self.stopped,
            "duration_seconds": round(self.duration, 3),
            "phases": dict(self.phases),
            "findings": [asdict(finding) for finding in self.findings],
            "errors": list(self.errors),
            "checks": [
                {"operation": operation, "check": check, "passed": tally.passed, "failed": tally.failed}
                for (operation, check), tally in sorted(self.tallies.items())
            ],
        }
