"""Machine-readable reports of a run: JUnit XML for CI dashboards, JSON for everything else.

JUnit: one test suite per API, one test case per (operation, check) pair that ran, failed with
each finding's expected/actual and its reproduction (curl or WebSocket transcript); a finding
that rests only on an assumption is a warning, printed as the case's output (`--strict`: a failure).
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from conformance.results import Report


def write_json(reports: list[Report], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "conforms": all(report.conforms for report in reports),
        "apis": [report.to_dict() for report in reports],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_junit(reports: list[Report], path: Path) -> None:
    root = ElementTree.Element("testsuites", name="apitwin check")
    for report in reports:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=report.api,
            tests=str(len(report.tallies) + len(report.errors)),
            failures=str(len({(f.operation, f.check) for f in report.failures})),
            errors=str(len(report.errors)),
            time=f"{report.duration:.3f}",
        )
        properties = ElementTree.SubElement(suite, "properties")
        share = report.reach_share
        for name, value in (
            ("auth", report.auth),
            ("reach_percent", "" if share is None else f"{share:.1f}"),
            *((f"reach:{operation}", f"{entry['reached']}/{entry['sent']}") for operation, entry in sorted(report.reach.items())),
        ):
            ElementTree.SubElement(properties, "property", name=name, value=value)
        for (operation, check), tally in sorted(report.tallies.items()):
            case = ElementTree.SubElement(suite, "testcase", classname=f"{report.api}.{operation}", name=check)
            if operation in report.not_tested and not tally.failed:
                ElementTree.SubElement(case, "skipped", message=f"not tested: {report.not_tested[operation]}")
            for finding in report.failures:
                if finding.operation == operation and finding.check == check:
                    failure = ElementTree.SubElement(case, "failure", message=finding.title, type=check)
                    failure.text = (
                        f"Expected: {finding.expected}\nActual: {finding.actual}\n\nReproduce:\n{finding.reproduce}"
                    )
            notes = [f for f in report.warnings if f.operation == operation and f.check == check]
            if notes:  # JUnit has no warnings: they ride along as output of a passing case
                ElementTree.SubElement(case, "system-out").text = "\n\n".join(
                    f"warning: {f.title}\nassumed: {f.assumption}\nActual: {f.actual}\nReproduce:\n{f.reproduce}" for f in notes
                )
        for operation, why in sorted(report.not_tested.items()):
            if not any(key[0] == operation for key in report.tallies):
                case = ElementTree.SubElement(suite, "testcase", classname=f"{report.api}.{operation}", name="reach")
                ElementTree.SubElement(case, "skipped", message=f"not tested: {why}")
        if report.below_min_reach:
            case = ElementTree.SubElement(suite, "testcase", classname=f"{report.api}.run", name="min-reach")
            ElementTree.SubElement(case, "failure", message=f"reach {report.reach_share or 0:.1f}% is below --min-reach {report.min_reach:g}%")
        for index, error in enumerate(report.errors):
            case = ElementTree.SubElement(suite, "testcase", classname=f"{report.api}.run", name=f"error-{index + 1}")
            ElementTree.SubElement(case, "error", message=error.splitlines()[0][:200]).text = error
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


WRITERS = {"json": write_json, "junit": write_junit}


def write(kind: str, reports: list[Report], path: Path) -> None:
    WRITERS[kind](reports, path)
