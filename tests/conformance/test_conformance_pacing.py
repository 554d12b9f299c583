"""Pacing (conformance.http.pacing): what the suite reads from rate-limit headers and declared
limits, and that `--rate-limit` holds on the wire against a real server."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.contract import Contract
from conformance.http.pacing import (
    OperationIndex,
    Pacer,
    RateLimitError,
    Window,
    declared_rules,
    parse_rate,
    retry_after,
    scarce_operations,
    server_window,
)
from conformance.http.transport import HttpClient, Limits

ROOT = Path(__file__).resolve().parents[2]


def contract(name: str) -> Contract:
    return Contract.load(name, ROOT / "specs" / name / "openapi.yaml")


def test_rates_parse_and_bad_ones_are_refused() -> None:
    assert parse_rate("10/s") == (10, 1.0)
    assert parse_rate("300/m") == (300, 60.0)
    for bad in ("10", "0/s", "x/s", "10/d"):
        with pytest.raises(RateLimitError):
            parse_rate(bad)


def test_server_headers_in_all_three_spellings() -> None:
    assert server_window({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}) == (100, 0, 30.0)
    limit, remaining, reset = server_window({"x-ratelimit-limit": "5", "x-ratelimit-remaining": "2", "x-ratelimit-reset": str(int(time.time()) + 20)})
    assert (limit, remaining) == (5, 2) and 18 <= reset <= 21  # a Unix time becomes seconds from now
    assert server_window({"RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "7"}) == (10, 3, 7.0)
    assert server_window({"RateLimit": "limit=10, remaining=0, reset=4"}) == (10, 0, 4.0)
    assert server_window({"Content-Type": "application/json"}) == (None, None, None)


def test_retry_after_in_seconds_as_a_date_or_from_the_reset() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 10))
    assert 8 <= retry_after({"Retry-After": date}) <= 11
    assert retry_after({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5"}) == 5.0
    assert retry_after({}) is None


def test_a_window_holds_a_caller_to_its_limit_and_to_the_servers_reset() -> None:
    window = Window(limit=2, period=10.0)
    window.take(0.0)
    window.take(1.0)
    assert window.delay(2.0) > 8.0  # the third request waits for the first to leave the window
    assert window.delay(11.0) == 0.0
    told = Window(limit=2, period=10.0, remaining=0, reset_at=5.0, told=True)
    told.take(0.0)
    told.take(0.5)
    assert told.delay(1.0) == 4.0  # the server's reset, not the declared window
    told.remaining = 50
    assert told.delay(1.0) == 0.0  # the server says requests remain: the declaration gives way


def test_declared_rules_match_operations_and_plans_count_as_the_strictest() -> None:
    messaging = contract("messaging")
    rules = declared_rules(messaging)
    index = OperationIndex(messaging)
    login = index.find("POST", "/api/auth/login")
    assert login is not None and login.id == "login"
    assert next(rule for rule in rules if rule.covers(login)).limit == 5
    assert index.find("GET", "/api/users/123") is not None
    enterprise = declared_rules(contract("enterprise"))
    assert [(rule.name, rule.limit) for rule in enterprise] == [("(plan)", 60)]


def test_operations_with_a_few_requests_a_minute_get_a_few_cases() -> None:
    assert scarce_operations(contract("messaging")) == {"login": 1, "refreshToken": 1}
    assert scarce_operations(contract("accounts")) == {}  # 10 a second is plenty


def test_the_pacer_waits_out_a_429_for_as_long_as_it_is_told() -> None:
    pacer = Pacer([], OperationIndex(None))
    wait = pacer.observe("GET", "/x", {}, 429, {"Retry-After": "1"})
    assert wait is not None and 1.0 <= wait < 1.2
    started = time.monotonic()
    pacer.wait_turn("GET", "/x", {})
    assert time.monotonic() - started >= 0.9


class Limited(http.server.BaseHTTPRequestHandler):
    """Two requests a second per server, enforced (with 0.1 s of slack for a loaded machine: the
    server sees arrivals, the client paces departures): the third too soon gets 429."""

    sent: list[float] = []
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802
        now = time.monotonic()
        with self.lock:
            recent = [moment for moment in self.sent if now - moment < 0.9]
            allowed = len(recent) < 2
            if allowed:
                self.sent.append(now)
        body = b"{}"
        self.send_response(200 if allowed else 429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if not allowed:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def limited() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Limited)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Limited.sent = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_429_is_retried_so_the_caller_gets_the_answer(limited: str) -> None:
    client = HttpClient(limits=Limits(timeout=5), pacer=Pacer([], OperationIndex(None)))
    statuses = [client.request("GET", limited + "/x").status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert client.pacer.retried >= 1


def test_rate_limit_paces_from_the_first_request(limited: str) -> None:
    client = HttpClient(limits=Limits(timeout=5), pacer=Pacer([], OperationIndex(None), parse_rate("2/s")))
    statuses = [client.request("GET", limited + "/x").status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert client.pacer.retried == 0  # never needed to be told


def test_past_the_time_budget_a_request_is_not_sent_rather_than_waited_for(limited: str) -> None:
    """A run with a time budget: a request whose turn comes after it fails at once (OutOfTime)
    and is counted; inside `patient()` (the run's login) it waits its turn."""
    from conformance.http.transport import OutOfTime

    client = HttpClient(limits=Limits(timeout=5), pacer=Pacer([], OperationIndex(None), parse_rate("1/s")), waits_end=0.0)
    assert client.request("GET", limited + "/x").status_code == 200  # the first needs no wait
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        client.request("GET", limited + "/x")
    assert time.monotonic() - started < 0.5 and client.unsent == 1
    with client.patient():
        assert client.request("GET", limited + "/x").status_code == 200
    assert time.monotonic() - started >= 0.9


def test_a_late_cleanup_request_goes_anyway_until_the_target_answers_429(limited: str) -> None:
    """`try_late`: a server that reports limits without enforcing them still gets the run's
    deletions; one that enforces them answers 429 once, and the rest are not sent."""
    from conformance.http.transport import OutOfTime

    client = HttpClient(limits=Limits(timeout=5), pacer=Pacer([], OperationIndex(None), parse_rate("1/m")), waits_end=0.0)
    outcomes = []
    with client.patient(0.0, try_late=True):
        for _ in range(4):
            try:
                outcomes.append(client.request("GET", limited + "/x").status_code)
            except OutOfTime:
                outcomes.append("stopped")
    # the server allows two a second: the third is refused, and after that nothing goes
    assert outcomes == [200, 200, "stopped", "stopped"]
    assert len(Limited.sent) == 2


def test_a_429_is_evidence_only_for_apitwins_own_checks() -> None:
    from types import SimpleNamespace

    from conformance.http.runner import not_about_rate_limits
    from conformance.registry import Violation

    limited, fine = SimpleNamespace(status_code=429), SimpleNamespace(status_code=200)
    builtin_failure = AssertionError("ignored_auth")
    assert not not_about_rate_limits(None, builtin_failure, None, limited)
    assert not_about_rate_limits(None, builtin_failure, None, fine)
    assert not_about_rate_limits(None, Violation("429 answer while requests remain", expected="", actual=""), None, limited)


def test_sizes_read_as_people_write_them() -> None:
    from conformance.settings import SettingsError, parse_size

    assert parse_size("10MiB") == 10 * 1024 * 1024
    assert parse_size("512 KiB") == 512 * 1024
    assert parse_size(2048) == 2048
    for bad in ("ten", "5 parsecs", "0"):
        with pytest.raises(SettingsError):
            parse_size(bad)


def test_the_rate_limit_flag_holds_on_the_wire_against_the_mock() -> None:
    """`apitwin check --rate-limit 4/s`: no second of the mock's journal holds more than 4."""
    import subprocess
    import sys

    import requests

    from tests.support.servers import run_mock

    with run_mock("accounts", "--rate-limits", "off") as mock:
        result = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", "accounts", "--base-url", mock.url, "--quiet",
             "--phases", "examples", "--rate-limit", "4/s"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
        journal = requests.get(mock.url + "/__mock/requests", timeout=10).json()["requests"]
    assert result.returncode in (0, 1), result.stderr
    times = sorted(entry["time"] for entry in journal)
    assert len(times) >= 8
    busiest = max(sum(1 for other in times if moment <= other < moment + 1.0) for moment in times)
    assert busiest <= 4 + 1  # one of slack: the server sees arrivals, the client paces departures


def test_errors_reported_elsewhere_are_not_reported_twice() -> None:
    """A case not sent for lack of time, alone, grouped, or behind Hypothesis' "flaky" verdict
    (its own error is reported by itself) is no error of the run; any other error is."""
    from hypothesis.errors import FlakyFailure
    from schemathesis.engine.errors import UnexpectedError

    from conformance.http.runner import reported_elsewhere
    from conformance.http.transport import OutOfTime

    assert reported_elsewhere(OutOfTime("not sent"))
    assert reported_elsewhere(ExceptionGroup("two", [OutOfTime("a"), OutOfTime("b")]))
    assert reported_elsewhere(FlakyFailure("unreliable", [UnexpectedError()]))
    assert not reported_elsewhere(FlakyFailure("unreliable", [ValueError("a real one")]))
    assert not reported_elsewhere(ValueError("a real one"))
