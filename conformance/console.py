"""What a person sees: live progress while the run goes, then a summary and each failure."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conformance.registry import CheckRegistry
from conformance.results import Finding, Report


class LiveProgress:
    """A one-line status: phase, operations done, failures so far."""

    def __init__(self, console: Console, api: str) -> None:
        self.console = console
        self.api = api
        self.done = 0
        self.status = None

    def __call__(self, phase: str, operation: str, failures: int) -> None:
        self.done += 1
        if self.status is not None:
            self.status.update(
                f"[bold]{escape(self.api)}[/] {phase}: {self.done} scenarios done, "
                f"[{'red' if failures else 'green'}]{failures} failures[/] · {escape(operation)}"
            )

    @contextmanager
    def running(self) -> Iterator["LiveProgress"]:
        if not self.console.is_terminal:
            yield self
            return
        with self.console.status(f"[bold]{escape(self.api)}[/] starting…") as status:
            self.status = status
            yield self
        self.status = None


def print_report(console: Console, report: Report) -> None:
    console.print()
    verdict = "[green]conforms[/]" if report.conforms else "[red]does not conform[/]"
    warned = f", {len(report.warnings)} warnings" if report.warnings else ""
    console.print(f"[bold]{escape(report.api)}[/] at {escape(report.base_url)}: {verdict} ({report.duration:.1f}s{warned})")
    if report.phases:
        console.print("phases: " + ", ".join(f"{name} {status}" for name, status in report.phases.items()))
    if report.auth:
        console.print(f"auth: {escape(report.auth)}")
    share = report.reach_share
    if share is not None:
        sent = sum(entry["sent"] for entry in report.reach.values())
        colour = "red" if report.below_min_reach else "green" if share >= 90 else "yellow"
        wanted = f" (--min-reach {report.min_reach:g}%)" if report.min_reach is not None else ""
        console.print(f"reach: [{colour}]{share:.0f}%[/] of {sent} requests reached the operations' logic{wanted}")
    for note in report.notes:
        console.print(f"note: {escape(note)}")
    per_operation: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for (operation, check), tally in report.tallies.items():
        per_operation[operation][check] = [tally.passed, tally.failed]
    for operation in report.not_tested:
        per_operation.setdefault(operation, {})
    table = Table(title=f"{report.api}: checks per operation", show_lines=False)
    table.add_column("operation")
    table.add_column("checks", justify="right")
    table.add_column("runs", justify="right")
    table.add_column("reached", justify="right")
    table.add_column("failed checks")
    for operation in sorted(per_operation):
        checks = per_operation[operation]
        failed = sorted({f.check for f in report.failures if f.operation == operation})
        runs = sum(good + bad for good, bad in checks.values())
        reach = report.reach.get(operation)
        if failed:
            verdict = "[red]" + escape(", ".join(failed)) + "[/]"
        elif operation in report.not_tested:
            verdict = "[yellow]not tested: " + escape(report.not_tested[operation]) + "[/]"
        else:
            verdict = "[green]none[/]"
        table.add_row(
            escape(operation),
            str(len(checks)),
            str(runs),
            f"{reach['reached']}/{reach['sent']}" if reach else "-",
            verdict,
        )
    if per_operation:
        console.print(table)
    for index, finding in enumerate(report.failures, 1):
        print_finding(console, f"[bold red]{index}.", finding)
    if report.warnings:
        console.print("\n[bold yellow]Warnings[/] (the document does not state these; --strict fails on them):")
    for index, finding in enumerate(report.warnings, 1):
        print_finding(console, f"[bold yellow]W{index}.", finding)
        console.print(f"   assumed:  {escape(finding.assumption)}", soft_wrap=True)
    for error in report.errors:
        console.print(f"[yellow]error:[/] {escape(error)}")


def print_finding(console: Console, number: str, finding: Finding) -> None:
    console.print(f"\n{number} {escape('[' + finding.check + ']')}[/] {escape(finding.operation)}: {escape(finding.title)}")
    for label, text in (("expected", finding.expected), ("actual", finding.actual)):
        lines = text.strip().splitlines()
        if lines:
            console.print(f"   {label + ':':<9} {escape(lines[0])}", soft_wrap=True)
            for line in lines[1:]:
                console.print(f"             {escape(line)}", soft_wrap=True)
    if finding.reproduce:
        label = "transcript" if finding.transport == "websocket" else "reproduce"
        console.print(f"   {label}:")
        for line in finding.reproduce.strip().splitlines():
            console.print(f"     {escape(line)}", soft_wrap=True)


def print_checks(console: Console, registry: CheckRegistry) -> None:
    table = Table(title="apitwin checks")
    table.add_column("check", no_wrap=True)
    table.add_column("transport")
    table.add_column("from")
    table.add_column("catches")
    for info in registry.all():
        table.add_row(info.name, info.transport, info.origin, info.summary)
    console.print(table)
