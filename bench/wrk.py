"""Drive HTTP load with wrk and read back throughput and latency percentiles.

wrk runs as its own process, so the load generator never shares an interpreter (or a GIL) with
the server being measured; both peers get exactly the same wrk invocation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    #: requests completed in the run (answered, whatever the status)
    requests: int = 0
    #: requests wrk gave up on (counted in `errors` too); their latency is in no percentile
    timeouts: int = 0


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(output: str) -> LoadResult:
    """Parse `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _millis(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _millis(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    return LoadResult(
        requests_per_second=rps,
        p50_ms=p50,
        p99_ms=p99,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        requests=int(total.group(1)) if total else 0,
        timeouts=int(errors.group(4)) if errors else 0,
    )


def run(
    url: str,
    *,
    headers: dict[str, str],
    seconds: int = 10,
    connections: int = 50,
    threads: int = 2,
    timeout_seconds: int = 2,
) -> LoadResult:
    """One wrk run. wrk leaves a request that takes longer than `timeout_seconds` out of its
    latency percentiles, so a slow peer needs a timeout long enough for its p99 to be true."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (the Makefile's bench target installs it with apt-get)")
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_seconds}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    return parse(done.stdout)
