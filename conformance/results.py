"""What a conformance run found: the one data model every reporter reads.

Each phase (HTTP via Schemathesis, WebSocket, GraphQL) turns its outcome into `Finding`s and
per-operation check tallies; the console, JUnit and JSON reporters only format this.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from conformance.coverage import LABELS, Coverage, percent_text


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
    #: why this rests on an assumption rather than on the document ("" when the document states it)
    assumption: str = ""

    def key(self) -> tuple[str, str, str, str]:
        return (self.check, self.operation, self.title, self.expected)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    #: of the failed runs, those whose finding rests only on an assumption
    assumed: int = 0


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
    #: operation -> {"sent": n, "reached": m}: requests that got past auth and rate limits
    reach: dict[str, dict[str, int]] = field(default_factory=dict)
    not_tested: dict[str, str] = field(default_factory=dict)  # operation -> why
    auth: str = ""  # how the suite logged in
    session_lost: str | None = None  # the one line saying after which request, if it was
    notes: list[str] = field(default_factory=list)
    min_reach: float | None = None  # percent, from --min-reach

    @property
    def reach_share(self) -> float | None:
        """Reached / sent over all operations, in percent (None when nothing was counted)."""
        sent = sum(entry["sent"] for entry in self.reach.values())
        return None if not sent else 100.0 * sum(entry["reached"] for entry in self.reach.values()) / sent

    @property
    def below_min_reach(self) -> bool:
        share = self.reach_share
        return self.min_reach is not None and (share or 0.0) < self.min_reach

    #: assumptions fail the run too (--strict)
    strict: bool = False
    #: what the run exercised of the contracts (see conformance.coverage)
    coverage: Coverage = field(default_factory=Coverage)
    #: phase -> seconds it took
    timings: dict[str, float] = field(default_factory=dict)
    #: --min-coverage: the headline coverage percentage below which the run fails
    min_coverage: float | None = None
    #: phases with an error of their own (the transport's incidents and unsent requests aside)
    errored_phases: set[str] = field(default_factory=set)

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the run: what the document states, and with --strict everything."""
        return [f for f in self.findings if self.strict or not f.assumption]

    @property
    def warnings(self) -> list[Finding]:
        """Findings resting only on an assumption: listed, and failing the run only with --strict."""
        return [] if self.strict else [f for f in self.findings if f.assumption]

    @property
    def coverage_shortfall(self) -> str:
        """One line saying which coverage figure is below --min-coverage ("" when none is)."""
        if self.min_coverage is None:
            return ""
        kind, figure = self.coverage.headline()
        if figure.total and figure.ratio >= self.min_coverage:
            return ""
        return (
            f"coverage {percent_text(figure.percent)} ({figure.covered}/{figure.total} {LABELS[kind]}) "
            f"is below --min-coverage {self.min_coverage:g}%"
        )

    @property
    def conforms(self) -> bool:
        return not self.failures and not self.errors and not self.below_min_reach and not self.coverage_shortfall

    def add_finding(self, finding: Finding) -> None:
        """Record a violation once: the same fault seen on many inputs is one finding."""
        if all(existing.key() != finding.key() for existing in self.findings):
            self.findings.append(finding)
        self.count(finding.operation, finding.check, passed=False)
        if finding.assumption:
            self.tallies[(finding.operation, finding.check)].assumed += 1

    def count(self, operation: str, check: str, *, passed: bool) -> None:
        tally = self.tallies.setdefault((operation, check), Tally())
        if passed:
            tally.passed += 1
        else:
            tally.failed += 1

    def failed_checks(self) -> set[str]:
        return {finding.check for finding in self.failures}

    def merge(self, other: "Report") -> None:
        for finding in other.findings:
            if all(existing.key() != finding.key() for existing in self.findings):
                self.findings.append(finding)
        for key, tally in other.tallies.items():
            mine = self.tallies.setdefault(key, Tally())
            mine.passed += tally.passed
            mine.failed += tally.failed
            mine.assumed += tally.assumed
        self.errors.extend(other.errors)
        self.phases.update(other.phases)
        for operation, entry in other.reach.items():
            mine = self.reach.setdefault(operation, {"sent": 0, "reached": 0})
            mine["sent"] += entry["sent"]
            mine["reached"] += entry["reached"]
        self.not_tested.update(other.not_tested)
        self.notes.extend(other.notes)
        self.session_lost = self.session_lost or other.session_lost
        self.auth = self.auth or other.auth
        self.coverage.merge(other.coverage)
        self.timings.update(other.timings)
        self.errored_phases |= other.errored_phases

    def to_dict(self) -> dict:
        return {
            "api": self.api,
            "base_url": self.base_url,
            "conforms": self.conforms,
            "stopped": self.stopped,
            "duration_seconds": round(self.duration, 3),
            "phases": dict(self.phases),
            "auth": self.auth,
            "session_lost": self.session_lost,
            "reach_percent": None if self.reach_share is None else round(self.reach_share, 1),
            "min_reach_percent": self.min_reach,
            "reach": {operation: dict(entry) for operation, entry in sorted(self.reach.items())},
            "not_tested": dict(sorted(self.not_tested.items())),
            "notes": list(self.notes),
            "strict": self.strict,
            "findings": [asdict(finding) for finding in self.failures],
            "warnings": [asdict(finding) for finding in self.warnings],
            "errors": list(self.errors),
            "coverage": {**self.coverage.to_dict(), "min_coverage": self.min_coverage, "shortfall": self.coverage_shortfall},
            "timings": {phase: round(seconds, 3) for phase, seconds in self.timings.items()},
            "checks": [
                {"operation": operation, "check": check, "passed": tally.passed, "failed": tally.failed, "assumed": tally.assumed,
                 "not_tested": operation in self.not_tested}
                for (operation, check), tally in sorted(self.tallies.items())
            ],
        }
