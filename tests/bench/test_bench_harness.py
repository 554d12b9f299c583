"""The harness's own plumbing: options, splitting clients, fan-out bookkeeping, reports."""

import io
import json

import pytest
from rich.console import Console

from bench.__main__ import parse_args
from bench.check_section import Timed, summarize
from bench.report import Section, Table, render, write_json
from bench.ws_section import split
from bench.ws_worker import Arrivals


def test_only_takes_known_sections():
    assert parse_args(["--only", "http,check"]).sections == ["http", "check"]
    with pytest.raises(SystemExit):
        parse_args(["--only", "http,gpu"])
    with pytest.raises(SystemExit):
        parse_args(["--seconds", "0"])


@pytest.mark.parametrize("total,parts", [(10_000, 2), (10_000, 3), (1_000, 7), (1, 4)])
def test_split_covers_every_connection_without_empty_processes(total, parts):
    counts = split(total, parts)
    assert sum(counts) == total
    assert min(counts) >= 1
    assert max(counts) - min(counts) <= 1


def test_arrivals_report_once_every_subscriber_has_the_broadcast():
    arrivals = Arrivals(expected=3)
    assert arrivals.record(7, 100) is None
    assert arrivals.record(8, 150) is None
    assert arrivals.record(7, 120) is None
    done = arrivals.record(7, 180)
    assert done == {"event": "seq", "seq": 7, "received": 3, "first_ns": 100, "last_ns": 180}
    assert 7 not in arrivals.seen and 8 in arrivals.seen


def test_check_summary_totals_and_flags_unusable_runs():
    section = summarize({
        "accounts": (Timed(30.0, 0), Timed(20.0, 1)),
        "directory": (Timed(10.0, 2, "apitwin check: cannot reach"), Timed(10.0, 0)),
    }, max_examples=10)
    assert section.data["total_apitwin_check_seconds"] == 40.0
    assert section.data["ratio"] == pytest.approx(40 / 30)
    assert any("directory / apitwin check exited 2" in p for p in section.problems)
    incomplete = summarize({"accounts": (Timed(error="boom"), Timed(20.0, 0))}, max_examples=10)
    assert incomplete.data["ratio"] is None
    assert any("boom" in p for p in incomplete.problems)


def test_sections_render_and_write_json(tmp_path):
    section = Section("http", "HTTP", [Table("t", ["peer", "req/s"], [["mock", "1.0"]])], ["a note"], ["a problem"], {"rps": 1.0})
    out = io.StringIO()
    render(Console(file=out, width=120), section)
    assert "mock" in out.getvalue() and "a problem" in out.getvalue()
    path = tmp_path / "reports" / "bench.json"
    write_json(path, {"cpus": 2}, [section])
    written = json.loads(path.read_text())
    assert written["sections"]["http"]["figures"] == {"rps": 1.0}
    assert written["sections"]["http"]["problems"] == ["a problem"]
