"""The GraphQL phase: Schemathesis' GraphQL support against the contract's schema.graphql.

The endpoint is the OpenAPI operation that declares `x-apitwin-graphql` (e.g. `POST /graphql`),
so the same base URL and the same login apply. Schemathesis generates queries from the SDL and
runs its GraphQL checks; apitwin adds `graphql_response_format` (every answer is a GraphQL
result: `data` and/or `errors`, each error with a `message`). Check names carry a `graphql_`
prefix so they are told apart from the HTTP checks of the same origin.
"""

from __future__ import annotations

import json
import time
from typing import Any

import schemathesis

from conformance.auth import AuthSession
from conformance.coverage import EngineFollower, GraphqlCoverage
from conformance.http.runner import collect, drive, install_auth, registered
from conformance.registry import REGISTRY, Violation, register
from conformance.results import Report
from conformance.settings import CheckSettings
from conformance.target import Target

#: Schemathesis checks that apply to GraphQL, under their apitwin names
GRAPHQL_BUILTINS = {
    "graphql_not_a_server_error": ("not_a_server_error", "no 5xx answer and no server error in `errors`"),
    "graphql_response_schema_conformance": ("response_schema_conformance", "answers match the schema (no null in a non-null field)"),
    "graphql_positive_data_acceptance": ("positive_data_acceptance", "a valid query is executed, not rejected"),
}
for _name, (_builtin, _summary) in GRAPHQL_BUILTINS.items():
    REGISTRY.declare(_name, "graphql", _summary, origin="schemathesis")


@register("graphql", "every answer is a GraphQL result: `data` and/or `errors` (each with a message), nothing else")
def graphql_response_format(state: Any, response: Any, case: Any) -> None:
    if response.status_code >= 500 or response.status_code in (401, 403, 429):
        return
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    allowed = {"data", "errors", "extensions"}
    if not isinstance(body, dict) or not ({"data", "errors"} & set(body)) or set(body) - allowed:
        raise Violation(
            "answer is not a GraphQL result",
            expected="a JSON object with `data` and/or `errors` (and optionally `extensions`)",
            actual=(response.content or b"")[:300].decode("utf-8", "replace"),
        )
    errors = body.get("errors")
    if errors is not None and (
        not isinstance(errors, list) or not all(isinstance(item, dict) and isinstance(item.get("message"), str) for item in errors)
    ):
        raise Violation(
            "GraphQL `errors` is malformed",
            expected="a list of objects, each with a string `message`",
            actual=json.dumps(errors)[:300],
        )


def endpoint(target: Target) -> str | None:
    for operation in target.contract.operations.values():
        if operation.extension("graphql") and operation.method == "post":
            return target.base_url + operation.path
    return None


def run_graphql(target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, progress: Any = None) -> Report:
    report = Report(api=target.contract.name, base_url=target.base_url)
    url = endpoint(target)
    if target.contract.graphql_path is None or url is None:
        report.phases["graphql"] = "skipped: no endpoint declares x-apitwin-graphql"
        return report
    builtins = {builtin for name, (builtin, _) in GRAPHQL_BUILTINS.items() if name in enabled}
    config = schemathesis.Config.from_dict(
        {
            "workers": settings.workers,
            "cache": {"enabled": False},
            "request-timeout": settings.request_timeout,
            "generation": {"max-examples": settings.max_examples, "deterministic": settings.seed is not None, "database": "none"},
            "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
            "checks": {name: {"enabled": name in builtins} for name in ("not_a_server_error", "response_schema_conformance", "positive_data_acceptance", "status_code_conformance", "content_type_conformance", "response_headers_conformance", "negative_data_rejection", "missing_required_header", "unsupported_method", "allow_header_conformance", "ignored_auth", "use_after_free", "ensure_resource_availability")},
            **({"seed": settings.seed} if settings.seed is not None else {}),
            **({"max-time": max(1, int(settings.time_budget))} if settings.time_budget else {}),
        }
    )
    schema = schemathesis.graphql.from_path(str(target.contract.graphql_path), config=config)
    schema.config.update(base_url=url)
    install_auth(schema, session)
    own = [info for info in REGISTRY.select("graphql", enabled) if info.function is not None]
    started = time.monotonic()
    graph_report = Report(api=report.api, base_url=url)
    sdl = target.contract.graphql_path.read_text(encoding="utf-8")
    follow = EngineFollower(GraphqlCoverage(report.coverage, sdl))  # the phase is timed as a whole
    with registered(own, state=None):  # type: ignore[arg-type]

        def handle(event: Any) -> None:
            collect(event, graph_report, progress, transport="graphql")
            follow(event)

        drive(schema, handle, settings.generation_limit)
    graph_report.duration = time.monotonic() - started
    report.timings["graphql"] = graph_report.duration
    for finding in graph_report.findings:
        report.add_finding(finding)
    for key, tally in graph_report.tallies.items():
        report.tallies[key] = tally
    report.errors.extend(graph_report.errors)
    report.phases["graphql"] = "failure" if report.failures else "success"
    return report
