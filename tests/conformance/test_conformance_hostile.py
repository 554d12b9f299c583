"""`apitwin check` against broken targets stays bounded: it ends, in time, in little memory, and
says what is wrong in one line (issue 14, suite side).

Each test starts tests/conformance/hostile_server.py in one fault mode and runs `apitwin check`
against it as a subprocess, measuring its exit status, wall time and peak memory (ru_maxrss of
that very child, from os.wait4). Bounds are generous so CI stays stable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONTRACT = HERE / "hostile.yaml"
MAX_SECONDS = 120
MAX_MEMORY_MIB = 400


@dataclass
class Outcome:
    status: int
    seconds: float
    peak_mib: float
    stdout: str
    stderr: str


@contextmanager
def hostile(mode: str, tmp_path: Path) -> Iterator[int]:
    port_file = tmp_path / f"{mode}.port"
    server = subprocess.Popen([sys.executable, str(HERE / "hostile_server.py"), mode, str(port_file)])
    try:
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text()):
            assert server.poll() is None, f"hostile server ({mode}) exited with {server.returncode}"
            assert time.monotonic() < deadline, f"hostile server ({mode}) did not start"
            time.sleep(0.05)
        yield int(port_file.read_text())
    finally:
        server.kill()
        server.wait()


def check(url: str, tmp_path: Path, *options: str) -> Outcome:
    """Run `apitwin check` on the hostile contract; its own peak memory comes from wait4."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", url, "--quiet", *options],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > MAX_SECONDS * 2:
                process.send_signal(signal.SIGKILL)
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen
    return Outcome(
        status=process.returncode,
        seconds=time.monotonic() - started,
        peak_mib=usage.ru_maxrss / 1024,
        stdout=out.read_text(),
        stderr=err.read_text(),
    )


def bounded(outcome: Outcome) -> None:
    assert outcome.seconds < MAX_SECONDS, f"took {outcome.seconds:.0f} s"
    assert outcome.peak_mib < MAX_MEMORY_MIB, f"peak memory {outcome.peak_mib:.0f} MiB"
    assert "Traceback" not in outcome.stderr + outcome.stdout


def one_line(outcome: Outcome) -> str:
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, outcome.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("mode", "scheme", "says"),
    [
        ("hang", "http", "no answer to GET"),
        ("drip-head", "http", "no answer to GET"),
        ("garbage", "http", "does not speak HTTP"),
        ("reset", "http", "reset the connection"),
        ("tls", "http", "use an https:// URL"),
        ("tls", "https", "CERTIFICATE_VERIFY_FAILED"),
        ("garbage", "https", "TLS handshake"),
    ],
)
def test_an_unusable_target_is_one_line_and_exit_2(mode: str, scheme: str, says: str, tmp_path: Path) -> None:
    with hostile(mode, tmp_path) as port:
        outcome = check(f"{scheme}://127.0.0.1:{port}", tmp_path)
    bounded(outcome)
    assert outcome.status == 2, outcome.stdout + outcome.stderr
    assert says in one_line(outcome)
    if mode.startswith(("hang", "drip")):  # the probe waits 5 s at most, in total
        assert outcome.seconds < 30


def test_a_target_that_stops_answering_ends_the_run_with_exit_2(tmp_path: Path) -> None:
    with hostile("hang-after", tmp_path) as port:
        outcome = check(f"http://127.0.0.1:{port}", tmp_path, "--request-timeout", "2")
    bounded(outcome)
    assert outcome.status == 2, outcome.stdout + outcome.stderr
    assert "target stopped answering" in one_line(outcome)
    assert "no answer within 2 s" in outcome.stdout  # the timeouts are findings on their operations
    assert outcome.seconds < 60


def test_an_endless_body_is_a_finding_read_no_further(tmp_path: Path) -> None:
    with hostile("endless", tmp_path) as port:
        outcome = check(f"http://127.0.0.1:{port}", tmp_path)
    bounded(outcome)
    assert outcome.status == 1, outcome.stdout + outcome.stderr
    assert "response larger than 10 MiB" in outcome.stdout
    assert "bounded_response" in outcome.stdout


def test_the_size_cap_is_a_setting(tmp_path: Path) -> None:
    with hostile("endless", tmp_path) as port:
        outcome = check(f"http://127.0.0.1:{port}", tmp_path, "--max-response-size", "256KiB", "--phases", "examples,coverage")
    bounded(outcome)
    assert outcome.status == 1
    assert "response larger than 256 KiB" in outcome.stdout


def test_a_dripping_body_meets_the_total_timeout(tmp_path: Path) -> None:
    """A byte every half second never trips a read timeout; the total one cuts it off."""
    with hostile("drip", tmp_path) as port:
        outcome = check(f"http://127.0.0.1:{port}", tmp_path, "--request-timeout", "2")
    bounded(outcome)
    assert outcome.status == 2, outcome.stdout + outcome.stderr
    assert "no complete answer within 2 s" in outcome.stdout
    assert "target stopped answering" in one_line(outcome)
