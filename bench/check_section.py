"""Conformance: wall time of a full default `apitwin check` against a plain `schemathesis run`.

Both run against a fresh mock of the same API with the same number of examples per operation;
the plain run gets a bearer token from the contract's login operation so that it reaches the
operations behind auth (without one it would be measuring fast 401s). `apitwin check` runs with
its defaults: every phase (examples, fuzz, stateful, and WebSocket and GraphQL where the API has
them), its own login.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import report
from bench.contracts import Contract, log_in
from bench.peers import apitwin_mock
from bench.stats import ratio
from tests.support.servers import ROOT

APIS = ("accounts", "directory", "messaging", "enterprise", "realtime")
RATIO_TARGET = 1.5
TOTAL_TARGET_SECONDS = 120.0
RUN_TIMEOUT = 1800
#: how each fresh mock runs: its rate limits off, so both checkers measure themselves, not 429s
MOCK_ARGS = ("--rate-limits", "off")


@dataclass
class Timed:
    seconds: float | None = None
    exit_code: int | None = None
    tail: str = ""
    error: str | None = None


def default_max_examples() -> int:
    from conformance.settings import DEFAULT_MAX_EXAMPLES

    return DEFAULT_MAX_EXAMPLES


def timed(argv: list[str]) -> Timed:
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Timed(error=f"still running after {RUN_TIMEOUT} s")
    output = (done.stdout + done.stderr).strip().splitlines()
    return Timed(time.perf_counter() - started, done.returncode, "\n".join(line[:300] for line in output[-3:]))


def apitwin_check(api: str) -> Timed:
    with apitwin_mock(api, *MOCK_ARGS) as mock:
        return timed([sys.executable, "-m", "mock_server", "check", api, "--base-url", mock.url, "--quiet"])


def schemathesis_run(api: str, max_examples: int) -> Timed:
    contract = Contract.load(api)
    binary = Path(sys.executable).with_name("schemathesis")
    with apitwin_mock(api, *MOCK_ARGS) as mock:
        token = log_in(mock.url, contract)
        return timed([
            str(binary), "run", str(contract.openapi),
            "--url", mock.url + contract.base_path(),
            "--max-examples", str(max_examples),
            "--header", f"Authorization: Bearer {token}",
        ])


def run(apis: tuple[str, ...] = APIS) -> report.Section:
    max_examples = default_max_examples()
    results: dict[str, tuple[Timed, Timed]] = {}
    for api in apis:
        ours = _guard(lambda: apitwin_check(api))
        plain = _guard(lambda: schemathesis_run(api, max_examples))
        results[api] = (ours, plain)
    return summarize(results, max_examples)


def _guard(measure) -> Timed:  # type: ignore[no-untyped-def]
    try:
        return measure()
    except Exception as error:
        return Timed(error=f"{type(error).__name__}: {error}")


def summarize(results: dict[str, tuple[Timed, Timed]], max_examples: int) -> report.Section:
    section = report.Section("check", f"Conformance: apitwin check vs plain schemathesis run ({max_examples} examples per operation)")
    table = report.Table("Wall time against a fresh mock", ["API", "apitwin check", "exit", "schemathesis run", "exit", "× plain"])
    total_ours = total_plain = 0.0
    complete = True
    for api, (ours, plain) in results.items():
        for name, item in (("apitwin check", ours), ("schemathesis run", plain)):
            if item.error:
                section.problems.append(f"{api} / {name}: {item.error}")
            elif item.exit_code not in (0, 1):
                section.problems.append(f"{api} / {name} exited {item.exit_code}: {item.tail}")
        complete = complete and ours.seconds is not None and plain.seconds is not None
        total_ours += ours.seconds or 0
        total_plain += plain.seconds or 0
        table.rows.append([
            api,
            report.seconds(ours.seconds),
            "-" if ours.exit_code is None else str(ours.exit_code),
            report.seconds(plain.seconds),
            "-" if plain.exit_code is None else str(plain.exit_code),
            report.times(ratio(ours.seconds, plain.seconds)),
        ])
    overall = ratio(total_ours, total_plain) if complete else None
    table.rows.append(["all five" if len(results) == 5 else "all", report.seconds(total_ours), "", report.seconds(total_plain), "", report.times(overall)])
    section.tables.append(table)
    targets = report.Table("Conformance targets", ["target", "measured", "met"])
    targets.rows += [
        [f"apitwin check ≤ {RATIO_TARGET}× plain run", report.times(overall), report.verdict(None if overall is None else overall <= RATIO_TARGET)],
        [f"all five ≤ {TOTAL_TARGET_SECONDS:.0f} s", report.seconds(total_ours), report.verdict(complete and total_ours <= TOTAL_TARGET_SECONDS if complete else None)],
    ]
    section.tables.append(targets)
    section.notes += [
        "exit: apitwin check 0 = conforms, 1 = violations, 2 = usage/unreachable; schemathesis 1 = failures found.",
        f"Each run gets its own fresh mock (`apitwin mock API {' '.join(MOCK_ARGS)}`); wall time covers only the checker.",
    ]
    section.data = {
        "max_examples": max_examples,
        "apis": {api: {"apitwin_check": asdict(o), "schemathesis_run": asdict(p)} for api, (o, p) in results.items()},
        "total_apitwin_check_seconds": total_ours,
        "total_schemathesis_seconds": total_plain,
        "ratio": overall,
    }
    return section
