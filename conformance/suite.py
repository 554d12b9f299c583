"""One conformance run against one API: every selected phase, merged into one `Report`."""

from __future__ import annotations

import time

from conformance import registry as checks_registry
from conformance.auth import AuthSession
from conformance.http.runner import Progress, run_http
from conformance.results import Report
from conformance.settings import CheckSettings
from conformance.target import Target


def run_suite(target: Target, settings: CheckSettings, progress: Progress | None = None) -> Report:
    registry = checks_registry.load_all()
    enabled = settings.enabled_checks(registry.names())
    session = AuthSession(target.contract, target.base_url, settings.credentials, timeout=settings.request_timeout)
    started = time.monotonic()
    report = run_http(target, settings, enabled, session, [info for info in registry.select("http", enabled) if info.function], progress)
    if "websocket" in settings.phases:
        from conformance.websocket.runner import run_websocket

        report.merge(run_websocket(target, settings, enabled, session, progress))
    if "graphql" in settings.phases:
        from conformance.graphql_phase import run_graphql

        report.merge(run_graphql(target, settings, enabled, session, progress))
    report.duration = time.monotonic() - started
    return report
