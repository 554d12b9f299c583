"""The behaviour phase: lists, writes, the auth lifecycle and (opt-in) rate limits, probed on
data the run creates itself and with sessions it opens itself.

Per collection: a few records of our own are created first (so sorting, filtering and
projection have something to work on, in a collection of our own where the contract lets the
client name it), the list probes run, then the write probes on a fresh record, and whatever
the run created is deleted at the end.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from conformance.auth import AuthSession
from conformance.behaviour import auth_lifecycle, listing, persistence, rate_limits
from conformance.behaviour.checks import BEHAVIOUR_CHECKS, OPT_IN
from conformance.behaviour.context import BehaviourRun, Inapplicable
from conformance.behaviour.resources import collections, fill, path_values
from conformance.http import transport as http_transport
from conformance.results import Report
from conformance.settings import CheckSettings
from conformance.target import Target

#: records made for the list probes in each collection
SEEDED = 3


def run_behaviour(target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, progress: Any = None) -> Report:
    report = Report(api=target.contract.name, base_url=target.base_url)
    wanted = wanted_checks(settings, enabled)
    if target.contract.openapi_path is None or not wanted:
        return report
    started = time.monotonic()
    run = BehaviourRun(target, settings, wanted, session, report)
    marker = secrets.token_hex(3)
    for collection in collections(target.contract, settings.include, settings.exclude):
        action = "list" if collection.op("list") else "create"
        values = path_values(target.contract, collection.bound[action], collection, marker)
        if values is None:
            continue
        try:
            for seed in range(SEEDED if collection.op("create") and collection.op("list") else 0):
                persistence.create(run, collection, values, seed)
        except Inapplicable:
            pass
        if collection.op("list") is not None:
            for name, probe, declared in (
                ("list_sort", listing.list_sort, ("sort",)),
                ("list_filter", listing.list_filter, ("filters", "filter")),
                ("list_fields", listing.list_fields, ("fields",)),
            ):
                run.perform(name, collection.op("list"), lambda probe=probe: probe(run, collection, values), declarations=declared)
        persistence.persistence(run, collection, values)
        if progress is not None:
            progress("behaviour", collection.anchor.label, len(report.failures))
    auth_lifecycle.run_all(run)
    rate_limits.run_all(run)
    clean_up(run)
    report.phases["behaviour"] = "failure" if report.failures else "success"
    asked = [name for name in settings.checks if name in wanted and not any(check == name for _, check in report.tallies)]
    for name in asked:
        run.untested.setdefault(name, "nothing in the contract to test it on")
    if run.untested:
        report.phases["behaviour"] += " (not tested: " + "; ".join(f"{name}: {why}" for name, why in run.untested.items()) + ")"
    report.duration = time.monotonic() - started
    return report


def wanted_checks(settings: CheckSettings, enabled: set[str]) -> set[str]:
    """The behaviour checks this run performs: opt-in ones only when named or --spend-quota."""
    return {name for name in BEHAVIOUR_CHECKS if name in enabled and (name not in OPT_IN or name in settings.checks or settings.spend_quota)}


def clean_up(run: BehaviourRun) -> None:
    """Delete what the run created and did not delete itself (best effort, waiting for the
    target's rate limit past the time budget if need be)."""
    with http_transport.current().patient(http_transport.CLEANUP_GRACE, try_late=True):
        for collection, values, record_id in list(run.created):
            bound = collection.bound.get("delete")
            if bound is None or bound.resource is None or not bound.resource.id_param:
                continue
            try:
                run.send("delete", fill(bound.path, {**values, bound.resource.id_param: record_id}))
            except Inapplicable:
                pass
    run.created.clear()
