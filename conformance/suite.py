"""One conformance run against one API: every selected phase, merged into one `Report`.

The behaviour and WebSocket phases run first (bounded by the contract's declarations and
messages), then Schemathesis' HTTP phases, then GraphQL. A run may have a time budget
(`--time-budget`: generation keeps going until it is spent) or a cap (chosen by pacing for a
target whose declared limits are slow: generation stops there at the latest, sooner when its
cases run out). Either way the first two phases may wait for the target's rate limit only
within the first `FIRST_SHARE` of it, GraphQL gets a fifth of what is left when the API has a
schema, and no request waits for the rate limit past the end (`HttpClient.waits_end`): one
that would is not sent, and the summary counts it, so the run ends close to its limit however
strict the target's limits are.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from conformance import registry as checks_registry
from conformance.auth import AuthSession
from conformance.coverage import count_checks
from conformance.http import transport as http_transport
from conformance.http.pacing import OperationIndex, paced_budget
from conformance.http.runner import PHASE_MAP, Progress, run_http
from conformance.results import Report
from conformance.session.guard import SessionGuard
from conformance.session.reach import ReachCounter
from conformance.settings import CheckSettings
from conformance.target import Target

#: of a time budget, what GraphQL gets of what the first phases leave
GRAPHQL_SHARE = 0.2
#: of a time budget, how far into it the behaviour and WebSocket phases may wait for their turn
FIRST_SHARE = 0.3


def run_suite(target: Target, settings: CheckSettings, progress: Progress | None = None) -> Report:
    """Every phase through one bounded, paced transport (conformance.http.transport); a target
    that stops answering ends the run early with `Report.stopped` set."""
    budget, sized = paced_budget(settings, target.contract)
    if sized:  # pacing's bound: not filled, only not passed
        settings = dataclasses.replace(settings, time_cap=budget)
    client = http_transport.for_run(settings, target.contract, target.base_url)
    with http_transport.active(client):
        report = _run_phases(target, settings, progress, client)
    if sized:
        report.notes.append(sized)
    if client.unsent:
        report.notes.append(
            f"{client.unsent} request(s) not sent: the target's rate limit would have held them past the "
            f"run's time limit of {budget:g} s (--time-budget N runs longer)"
        )
    report.stopped = client.stopped
    if client.stopped:
        report.errors.append(f"the run stopped early: {client.stopped}")
    if "bounded_response" in settings.enabled_checks(checks_registry.load_all().names()):
        index = OperationIndex(target.contract, urlsplit(target.base_url).path)
        for finding in http_transport.incident_findings(client, index):
            report.add_finding(finding)
    return report


def _run_phases(target: Target, settings: CheckSettings, progress: Progress | None, client: http_transport.HttpClient) -> Report:
    registry = checks_registry.load_all()
    enabled = settings.enabled_checks(registry.names())
    session = AuthSession(target.contract, target.base_url, settings.credentials, timeout=settings.request_timeout, patient=True)
    guard = SessionGuard(target.contract, session, destructive=settings.destructive, timeout=settings.request_timeout)
    started = time.monotonic()
    with_graphql = "graphql" in settings.phases and target.contract.graphql_path is not None
    # The behaviour and WebSocket phases go first: a few purposeful requests each, which a
    # target with strict rate limits would otherwise never answer once generation had spent its
    # allowance. Within a time limit they may wait for their turn only within their share.
    first = Report(api=target.contract.name, base_url=target.base_url)
    if any(phase in PHASE_MAP for phase in settings.phases):
        guard.open_spare()  # before the first phases spend a strict login allowance
    limit = settings.generation_limit
    if limit:
        client.waits_end = limit * FIRST_SHARE
    if "behaviour" in settings.phases and not client.stopped:
        from conformance.behaviour.runner import run_behaviour

        with timed(first, "behaviour"):
            first.merge(run_behaviour(target, settings, enabled, session, progress))
    if "websocket" in settings.phases and not client.stopped:
        from conformance.websocket.runner import run_websocket

        with timed(first, "websocket"):
            first.merge(run_websocket(target, settings, enabled, session, progress))
    http_settings = settings
    if limit:
        client.waits_end = limit
        share = 1 - (GRAPHQL_SHARE if with_graphql else 0.0)
        http_settings = within(settings, max(1.0, (limit - (time.monotonic() - started)) * share))
    http_checks = [info for info in registry.select("http", enabled) if info.function]
    report = run_http(target, http_settings, enabled, session, http_checks, progress, guard=guard)
    report.merge(first)
    if with_graphql and not client.stopped:
        from conformance.graphql_phase import run_graphql

        graphql_settings = settings
        if limit:
            graphql_settings = within(settings, max(1.0, limit - (time.monotonic() - started)))
        with timed(report, "graphql"):
            report.merge(run_graphql(target, graphql_settings, enabled, session, progress))
    elif "graphql" in settings.phases and not with_graphql:
        report.phases["graphql"] = "skipped: no GraphQL schema"
    report.duration = time.monotonic() - started
    record_reach(report, guard.reach, target, settings)
    report.auth = session.method + (f"; logged in again {guard.relogins} time(s)" if guard.relogins else "")
    report.min_reach = settings.min_reach
    report.strict = settings.strict
    tested = {
        "http": target.contract.openapi_path is not None and any(phase in PHASE_MAP for phase in settings.phases),
        "websocket": "websocket" in settings.phases and bool(target.contract.asyncapi) and bool(target.ws_url),
        "graphql": with_graphql,
    }
    checks = [info for transport, ran in tested.items() if ran for info in registry.select(transport, enabled)]
    count_checks(report.coverage, checks, report.tallies)
    report.min_coverage = settings.min_coverage
    return report


def within(settings: CheckSettings, seconds: float) -> CheckSettings:
    """The settings for a phase given `seconds` of the run's budget or cap, whichever it has."""
    if settings.time_budget:
        return dataclasses.replace(settings, time_budget=seconds)
    return dataclasses.replace(settings, time_cap=seconds)


@contextmanager
def timed(report: Report, phase: str) -> Iterator[None]:
    """Time a phase into the report (Schemathesis' phases are timed from its own events)."""
    started = time.monotonic()
    try:
        yield
    finally:
        report.timings[phase] = round(time.monotonic() - started, 3)


def record_reach(report: Report, counter: ReachCounter, target: Target, settings: CheckSettings) -> None:
    """Reach per operation, and every selected HTTP operation no request reached listed as
    not tested (the WebSocket handshake operations are the WebSocket phase's)."""
    report.reach = {label: {"sent": tally.sent, "reached": tally.reached} for label, tally in counter.tallies.items()}
    if not any(phase in ("examples", "fuzz", "coverage", "fuzzing", "stateful") for phase in settings.phases):
        return
    for operation in target.contract.operations.values():
        if "101" in {str(code) for code in (operation.definition.get("responses") or {})}:
            continue
        names = {operation.id, operation.path, operation.label, *operation.tags}
        if (settings.include and not names & set(settings.include)) or names & set(settings.exclude):
            continue
        if operation.label in report.not_tested:
            continue
        entry = report.reach.get(operation.label)
        if entry is None:
            report.not_tested[operation.label] = "no request with valid credentials was sent"
        elif not entry["reached"]:
            report.not_tested[operation.label] = f"all {entry['sent']} request(s) were turned away (401/403 with valid credentials, or 429)"
