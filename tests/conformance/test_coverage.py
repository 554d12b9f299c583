"""The coverage measurement, in-process: what counts as documented, and what as observed."""

from __future__ import annotations

from types import SimpleNamespace

import schemathesis

from conformance.coverage import (
    FROM_SERVER,
    TO_SERVER,
    Coverage,
    GraphqlCoverage,
    HttpCoverage,
    count_checks,
    document_asyncapi,
    observe_frame,
    schema_paths,
    status_key,
)
from conformance.html_report import render
from conformance.results import Finding, Report, Tally
from conformance.websocket.asyncapi import AsyncContract
from mock_server.contracts.loader import load_document
from tests.faulty.pool import TOY

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items/{id}": {
            "put": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                "responses": {"200": {"description": "ok"}, "4XX": {"description": "client"}, "default": {"description": "other"}},
            }
        },
        "/health": {"get": {"responses": {"204": {"description": "up"}}}},
    },
    "components": {
        "schemas": {
            "Item": {
                "allOf": [{"$ref": "#/components/schemas/Named"}],
                "properties": {"tags": {"type": "array", "items": {"properties": {"label": {"type": "string"}}}}},
            },
            "Named": {"properties": {"name": {"type": "string"}, "meta": {"properties": {"owner": {"type": "string"}}}}},
        }
    },
}


def http_coverage() -> tuple[Coverage, HttpCoverage, dict]:
    schema = schemathesis.openapi.from_dict(OPENAPI)
    coverage = Coverage()
    operations = {result.ok().label: result.ok() for result in schema.get_all_operations()}
    return coverage, HttpCoverage(coverage, schema), operations


def recorder(*exchanges: tuple) -> SimpleNamespace:
    """A finished scenario: (case, status or None for a case never sent) pairs."""
    cases, interactions = {}, {}
    for index, (case, status) in enumerate(exchanges):
        cases[str(index)] = SimpleNamespace(value=case)
        if status is not None:
            interactions[str(index)] = SimpleNamespace(response=SimpleNamespace(status_code=status, elapsed=0.01 * (index + 1)))
    return SimpleNamespace(cases=cases, interactions=interactions)


def test_status_key_prefers_the_code_then_its_range_then_default() -> None:
    keys = ["200", "4XX", "default"]
    assert status_key(keys, 200) == "200"
    assert status_key(keys, 404) == "4XX"
    assert status_key(keys, 503) == "default"
    assert status_key(["200"], 500) is None


def test_documented_items_of_an_openapi_operation() -> None:
    coverage, _, _ = http_coverage()
    assert coverage.groups("status") == {"PUT /items/{id}": {"200": 0, "4XX": 0, "default": 0}, "GET /health": {"204": 0}}
    assert set(coverage.groups("parameter")["PUT /items/{id}"]) == {"path:id", "header:X-Trace", "query:dry_run"}
    # $ref and allOf followed, nested objects dotted, array items as []
    assert set(coverage.groups("property")["PUT /items/{id}"]) == {
        "body:name", "body:meta", "body:meta.owner", "body:tags", "body:tags[].label"
    }


def test_observed_statuses_parameters_and_body_properties() -> None:
    coverage, http, operations = http_coverage()
    put = operations["PUT /items/{id}"]
    http.observe(
        recorder(
            (put.Case(path_parameters={"id": "1"}, headers={"x-trace": "a", "X-Other": "b"}, body={"name": "n", "tags": [{"label": "x"}]}), 200),
            (put.Case(path_parameters={"id": "2"}, query={"undocumented": "1", "DRY_RUN": "1"}), 418),
            (put.Case(path_parameters={"id": "3"}, query={"dry_run": "true"}), None),  # never sent: not counted
        )
    )
    assert coverage.groups("status")["PUT /items/{id}"] == {"200": 1, "4XX": 1, "default": 0}
    assert coverage.groups("parameter")["PUT /items/{id}"] == {"path:id": 2, "header:X-Trace": 1, "query:dry_run": 0}
    assert coverage.groups("property")["PUT /items/{id}"] == {
        "body:name": 1, "body:meta": 0, "body:meta.owner": 0, "body:tags": 1, "body:tags[].label": 1
    }
    figure = coverage.figure("status")
    assert (figure.covered, figure.total, figure.percent) == (2, 4, 50.0)
    assert coverage.timings["PUT /items/{id}"].requests == 2
    assert ("status", "PUT /items/{id}", "418") not in coverage.hits  # undocumented answers add nothing


def test_graphql_fields_queried_through_fragments_and_nesting() -> None:
    coverage = Coverage()
    graphql = GraphqlCoverage(coverage, (TOY / "schema.graphql").read_text())
    assert coverage.figure("field").total == 5  # Note: id, title, body; Query: note, notes
    graphql.observe_query("query { notes(first: 2) { ...F } } fragment F on Note { id title }")
    graphql.observe_query("{ this is not graphql")
    assert coverage.groups("field") == {"Note": {"id": 1, "title": 1, "body": 0}, "Query": {"note": 0, "notes": 1}}


def test_websocket_messages_sent_and_received() -> None:
    coverage = Coverage()
    contract = AsyncContract(load_document(TOY / "asyncapi.yaml"))
    document_asyncapi(coverage, contract)
    channel = contract.endpoints()[0]
    observe_frame(coverage, contract, channel, TO_SERVER, {"type": "subscribe", "topic": "news"})
    observe_frame(coverage, contract, channel, FROM_SERVER, '{"type": "welcome", "user": "u_1"}')
    observe_frame(coverage, contract, channel, FROM_SERVER, "not json")
    observe_frame(coverage, contract, channel, TO_SERVER, {"type": "welcome", "user": "u_1"})  # a server message, sent
    hits = coverage.groups("message")["WS /ws"]
    assert hits[f"{TO_SERVER}: Subscribe"] == 1 and hits[f"{FROM_SERVER}: Welcome"] == 1
    assert sum(hits.values()) == 2 and len(hits) == 10


def test_named_checks_run_and_not_run() -> None:
    coverage = Coverage()
    checks = [SimpleNamespace(name="a", transport="http"), SimpleNamespace(name="b", transport="http")]
    count_checks(coverage, checks, {("GET /x", "a"): Tally(passed=2, failed=1), ("GET /y", "a"): Tally(passed=1)})
    assert coverage.groups("check") == {"http": {"a": 4, "b": 0}}


def test_min_coverage_headline_falls_back_to_messages_and_fails_the_report() -> None:
    report = Report(api="ws-only", base_url="ws://x", min_coverage=60)
    contract = AsyncContract(load_document(TOY / "asyncapi.yaml"))
    document_asyncapi(report.coverage, contract)
    observe_frame(report.coverage, contract, contract.endpoints()[0], TO_SERVER, {"type": "subscribe", "topic": "news"})
    assert report.coverage.headline()[0] == "message"
    assert report.coverage_shortfall == "coverage 10% (1/10 documented WebSocket messages sent and received) is below --min-coverage 60%"
    assert not report.conforms
    data = report.to_dict()
    assert data["conforms"] is False and data["coverage"]["headline"]["percent"] == 10.0
    report.min_coverage = 10
    assert report.conforms and report.to_dict()["coverage"]["shortfall"] == ""


def test_percent_is_rounded_down_and_the_floor_compares_exactly() -> None:
    report = Report(api="a", base_url="", min_coverage=100)
    for index in range(3000):
        report.coverage.document("status", "GET /x", str(index))
        report.coverage.observe("status", "GET /x", str(index), 0 if index == 0 else 1)
    assert report.coverage.figure("status").percent == 99.9
    assert "99.9% (2999/3000" in report.coverage_shortfall
    report.min_coverage = 99.97  # above 2999/3000 = 99.966...%
    assert report.coverage_shortfall and not report.conforms
    report.min_coverage = 99.96  # below it, though above the 99.9 shown
    assert report.conforms


def test_a_schema_that_contains_itself_is_followed_once() -> None:
    document = {"components": {"schemas": {"Node": {"allOf": [{"$ref": "#/components/schemas/Node"}],
                                                     "properties": {"children": {"items": {"$ref": "#/components/schemas/Node"}}}}}}}
    coverage = Coverage()
    http = HttpCoverage(coverage, SimpleNamespace(raw_schema=document, get_all_operations=lambda: []))
    schema = {"$ref": "#/components/schemas/Node"}
    assert schema_paths(schema, http.resolver(schema)) == ["children"]


def test_merge_adds_hits() -> None:
    one, two = Report(api="a", base_url=""), Report(api="a", base_url="")
    one.coverage.document("status", "GET /x", "200")
    two.coverage.document("status", "GET /x", "200")
    two.coverage.observe("status", "GET /x", "200", 3)
    one.merge(two)
    assert one.coverage.hits[("status", "GET /x", "200")] == 3


def test_html_escapes_what_the_target_sent() -> None:
    report = Report(api="a", base_url="http://x")
    hostile = "<script>alert(1)</script>"
    report.add_finding(Finding(check="c", operation="GET /x", transport="http", phase="fuzzing", title=hostile,
                               actual=hostile, reproduce=f"curl -X GET 'http://x/?q={hostile}'"))
    report.add_finding(Finding(check="ws_reply", operation="WS /ws", transport="websocket", phase="websocket", title="no reply",
                               reproduce=f"# connect ws://x/ws\n> {hostile}"))
    report.coverage.document("status", f"GET /{hostile}", "200")
    page = render([report])
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only the page's own
    assert "<b>WebSocket transcript:</b>" in page and "&gt; &lt;script&gt;" in page
