"""HTTP: the mock against Prism 5 on the same contract and the same authenticated requests.

Each peer starts fresh, gets the same wrk invocation (-t2 -c50) with the same bearer token (one
the mock issued through the contract's own login operation; Prism accepts any bearer), and is
probed with a handful of sequential requests first, so a peer answering errors fast shows up
as such. Prism is measured several ways (cold and warmed up, with --seed, static as a
reference) so that its figures are Prism's own and not an accident of start-up.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from bench import report, wrk
from bench.contracts import Contract, log_in
from bench.peers import Peer, apitwin_mock, prism
from bench.stats import ratio
from bench.system import cpu_seconds, load_average

THROUGHPUT_TARGET = 2.0  # at least this many times Prism's dynamic-mode requests/s
P99_TARGET = 0.2  # p99 at most this fraction of Prism's dynamic-mode p99
PROBE_REQUESTS = 10


@dataclass(frozen=True)
class Scenario:
    api: str
    #: path and query below the contract's base path
    request: str
    label: str


SCENARIOS = (
    Scenario("directory", "/api/v1/users?page=2&per_page=20", "directory GET /api/v1/users?page=2&per_page=20 (OAuth bearer)"),
    Scenario("accounts", "/api/v1/users/?skip=0&limit=20", "accounts GET /api/v1/users/?skip=0&limit=20 (bearer from login)"),
)


@dataclass(frozen=True)
class PeerSpec:
    label: str
    start: Callable[[Contract], AbstractContextManager[Peer]]
    #: counts as "Prism in dynamic mode" for the targets
    dynamic_prism: bool = False
    #: also report the first load on the fresh process, not only the warmed-up one
    report_cold: bool = False
    #: logs in through the contract's login operation; its token is then sent to every peer
    issues_tokens: bool = False


PEERS = (
    PeerSpec("apitwin mock", lambda c: apitwin_mock(c.name, "--rate-limits", "off"), issues_tokens=True),
    PeerSpec("Prism -d", lambda c: prism(c.openapi, dynamic=True), dynamic_prism=True, report_cold=True),
    PeerSpec("Prism -d --seed 1", lambda c: prism(c.openapi, dynamic=True, seed="1"), dynamic_prism=True),
    PeerSpec("Prism static (reference)", lambda c: prism(c.openapi, dynamic=False)),
)


@dataclass
class Probe:
    statuses: list[int]
    body_bytes: int
    #: median time of one request on an idle server, one connection: the per-request cost
    sequential_ms: float
    #: items in the listed page (the body's list, or the first list in the body's object)
    items: int | None = None

    @property
    def all_2xx(self) -> bool:
        return all(200 <= s < 300 for s in self.statuses)


@dataclass
class Measurement:
    label: str
    load: wrk.LoadResult | None = None
    probe: Probe | None = None
    dynamic_prism: bool = False
    load_average: float | None = None
    #: CPU the server process used during the run, in cores (1.0 = one core busy throughout)
    server_cpu: float | None = None
    error: str | None = None


@dataclass
class ScenarioResult:
    scenario: Scenario
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None


def probe(url: str, headers: dict[str, str], count: int = PROBE_REQUESTS) -> Probe:
    statuses, timings, size, items = [], [], 0, None
    with httpx.Client(headers=headers, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)
            size = len(response.content)
            items = page_size(response)
    return Probe(statuses, size, statistics.median(timings), items)


def page_size(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        body = next((value for value in body.values() if isinstance(value, list)), None)
    return len(body) if isinstance(body, list) else None


def measure(spec: PeerSpec, peer: Peer, url: str, headers: dict[str, str], seconds: int) -> list[Measurement]:
    """Warm-up (or the reported cold run), a probe, then the measured run, on one fresh peer."""
    warmup = max(2, seconds // 3)
    timeout = max(10, seconds)
    found = []
    first, cpu = loaded(peer, url, headers, seconds if spec.report_cold else warmup, timeout)
    if spec.report_cold:
        found.append(Measurement(f"{spec.label} (cold start)", first, None, spec.dynamic_prism, load_average(), cpu))
    checked = probe(url, headers)
    load, cpu = loaded(peer, url, headers, seconds, timeout)
    label = f"{spec.label} (warmed up)" if spec.report_cold else spec.label
    found.append(Measurement(label, load, checked, spec.dynamic_prism, load_average(), cpu))
    return found


def loaded(peer: Peer, url: str, headers: dict[str, str], seconds: int, timeout: int) -> tuple[wrk.LoadResult, float]:
    """One wrk run, and how many cores the server process kept busy meanwhile."""
    before, started = cpu_seconds(peer.pid), time.perf_counter()
    load = wrk.run(url, headers=headers, seconds=seconds, timeout_seconds=timeout)
    return load, (cpu_seconds(peer.pid) - before) / (time.perf_counter() - started)


def run_scenario(scenario: Scenario, seconds: int) -> ScenarioResult:
    result = ScenarioResult(scenario)
    contract = Contract.load(scenario.api)
    token: str | None = None  # issued by the mock, then sent to Prism too: the very same requests
    for spec in PEERS:
        try:
            with spec.start(contract) as peer:
                if spec.issues_tokens:
                    token = log_in(peer.url, contract)
                if token is None:
                    raise RuntimeError("no bearer token: the mock did not issue one")
                url = peer.url + contract.base_path() + scenario.request
                result.measurements += measure(spec, peer, url, {"Authorization": f"Bearer {token}"}, seconds)
        except Exception as error:  # one peer failing must not hide the others' figures
            result.measurements.append(Measurement(spec.label, dynamic_prism=spec.dynamic_prism, error=f"{type(error).__name__}: {error}"))
    return result


def run(seconds: int) -> report.Section:
    results = []
    for scenario in SCENARIOS:
        try:
            results.append(run_scenario(scenario, seconds))
        except Exception as error:
            results.append(ScenarioResult(scenario, error=f"{type(error).__name__}: {error}"))
    return summarize(results, seconds)


# -- presentation ----------------------------------------------------------------------------

def targets(result: ScenarioResult) -> dict[str, Any]:
    """Ratios against Prism's best dynamic-mode figures (its highest req/s, its lowest p99)."""
    ours = next((m for m in result.measurements if m.label == "apitwin mock" and m.load), None)
    prism_runs = [m.load for m in result.measurements if m.dynamic_prism and m.load and m.load.requests]
    best_rps = max((l.requests_per_second for l in prism_runs), default=None)
    best_p99 = min((l.p99_ms for l in prism_runs), default=None)
    throughput = ratio(ours.load.requests_per_second, best_rps) if ours and ours.load else None
    p99_fraction = ratio(ours.load.p99_ms, best_p99) if ours and ours.load else None
    clean = bool(ours and ours.load and ours.load.non_2xx == 0 and ours.load.errors == 0 and ours.probe and ours.probe.all_2xx)
    return {
        "mock_rps": ours.load.requests_per_second if ours and ours.load else None,
        "mock_p99_ms": ours.load.p99_ms if ours and ours.load else None,
        "prism_dynamic_best_rps": best_rps,
        "prism_dynamic_best_p99_ms": best_p99,
        "throughput_ratio": throughput,
        "p99_fraction": p99_fraction,
        "mock_all_2xx": clean,
        "throughput_met": None if throughput is None else clean and throughput >= THROUGHPUT_TARGET,
        "p99_met": None if p99_fraction is None else clean and p99_fraction <= P99_TARGET,
    }


def page_size_notes(result: ScenarioResult) -> list[str]:
    """Say so when a peer's page is not the mock's size: it is then doing more (or less) work."""
    sizes = {m.label: m.probe.items for m in result.measurements if m.probe and m.probe.items is not None}
    ours = sizes.pop("apitwin mock", None)
    return [
        f"{result.scenario.api}: {label} answered {items} items per page where the mock answered {ours} for the same request"
        for label, items in sizes.items()
        if ours is not None and items != ours
    ]


def summarize(results: list[ScenarioResult], seconds: int) -> report.Section:
    section = report.Section("http", "HTTP: apitwin mock vs Prism 5 (wrk -t2 -c50, one uvicorn worker)")
    summary = report.Table(
        "HTTP targets: ≥ 2× Prism dynamic throughput, p99 ≤ 1/5 of Prism dynamic p99",
        ["API", "mock req/s", "Prism -d req/s", "× throughput", "mock p99", "Prism -d p99", "p99 fraction", "mock all 2xx", "targets met"],
    )
    for result in results:
        if result.error:
            section.problems.append(f"{result.scenario.label}: {result.error}")
            continue
        table = report.Table(
            result.scenario.label,
            ["peer", "req/s", "p50", "p99", "non-2xx", "errors (timeouts)", "server CPU", "1-conn latency", "probe"],
        )
        for m in result.measurements:
            if m.error:
                table.rows.append([m.label, "-", "-", "-", "-", "-", "-", "-", "[red]failed[/]"])
                section.problems.append(f"{result.scenario.api} / {m.label}: {m.error}")
                continue
            load, checked = m.load, m.probe
            assert load is not None
            probe_cell = "-"
            if checked:
                codes = ",".join(str(s) for s in sorted(set(checked.statuses)))
                listed = "" if checked.items is None else f"{checked.items} items, "
                probe_cell = f"{codes}, {listed}{report.size(checked.body_bytes)}"
            table.rows.append([
                m.label,
                report.rate(load.requests_per_second),
                report.ms(load.p50_ms),
                report.ms(load.p99_ms),
                str(load.non_2xx),
                f"{load.errors} ({load.timeouts})",
                "-" if m.server_cpu is None else f"{m.server_cpu:.0%}",
                report.ms(checked.sequential_ms) if checked else "-",
                probe_cell,
            ])
        section.tables.append(table)
        section.notes += page_size_notes(result)
        figures = targets(result)
        met = [figures["throughput_met"], figures["p99_met"]]
        summary.rows.append([
            result.scenario.api,
            report.rate(figures["mock_rps"]),
            report.rate(figures["prism_dynamic_best_rps"]),
            report.times(figures["throughput_ratio"]),
            report.ms(figures["mock_p99_ms"]),
            report.ms(figures["prism_dynamic_best_p99_ms"]),
            "-" if figures["p99_fraction"] is None else f"{figures['p99_fraction']:.3f}",
            report.verdict(figures["mock_all_2xx"]),
            report.verdict(None if None in met else all(met)),
        ])
        section.data[result.scenario.api] = {
            "request": result.scenario.request,
            "targets": figures,
            "measurements": [
                {
                    "peer": m.label,
                    "load": asdict(m.load) if m.load else None,
                    "probe": asdict(m.probe) if m.probe else None,
                    "load_average": m.load_average,
                    "server_cpu_cores": m.server_cpu,
                    "error": m.error,
                }
                for m in result.measurements
            ],
        }
    if summary.rows:
        section.tables.append(summary)
    loads = [m.load_average for r in results for m in r.measurements if m.load_average is not None]
    if loads:
        section.notes.append(f"1-minute load average after the runs: {min(loads)}-{max(loads)} on {os.cpu_count()} CPUs (anything above the peer and wrk is other work).")
    section.notes += [
        f"{seconds} s per measured run; every peer starts fresh and is warmed up first (Prism -d is also shown on its first, cold run).",
        "Ratios use Prism's best dynamic-mode figures (highest req/s, lowest p99 of its dynamic runs).",
        "1-conn latency: median of sequential requests on an idle server, the cost of one answer without queueing.",
        "wrk's timeout is set long enough that slow answers count in the percentiles; timeouts are listed separately.",
        "server CPU: the server process's CPU time over the run's wall time (100% = one core busy throughout).",
    ]
    return section
