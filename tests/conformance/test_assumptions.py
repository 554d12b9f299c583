"""Findings resting only on an assumption warn; the document's own statements fail; --strict fails both."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.assumptions import assumption
from conformance.contract import Contract
from conformance.results import Finding, Report
from tests.conformance.test_conformance_command import apitwin
from tests.faulty.pool import TOY


def undocumented(status: int, *listed: str) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, defined_status_codes=list(listed))


@pytest.mark.parametrize(
    ("check", "failure", "assumed"),
    [
        ("status_code_conformance", undocumented(404, "204"), True),  # silent on missing resources
        ("status_code_conformance", undocumented(415, "200", "400"), True),
        ("status_code_conformance", undocumented(422, "201"), True),  # silent on invalid input
        ("status_code_conformance", undocumented(422, "201", "400"), False),  # it says 400
        ("status_code_conformance", undocumented(400, "201", "422"), False),  # it says 422
        ("status_code_conformance", undocumented(200, "201"), False),
        ("status_code_conformance", undocumented(503, "200"), False),
        ("unsupported_method", SimpleNamespace(status_code=404), True),
        ("unsupported_method", SimpleNamespace(status_code=200), False),  # serving it is no nicety
        ("allow_header_conformance", SimpleNamespace(status_code=405), True),
        ("response_schema_conformance", SimpleNamespace(), False),
    ],
)
def test_what_rests_on_an_assumption(check: str, failure: object, assumed: bool) -> None:
    assert bool(assumption(None, check, "GET /x", failure)) is assumed


def test_any_answer_to_a_method_the_document_does_not_list_warns_short_of_a_5xx() -> None:
    assert assumption(None, "error_envelope", "GET /health", SimpleNamespace(), "TRACE")
    assert not assumption(None, "error_envelope", "GET /health", SimpleNamespace(), "GET")
    assert not assumption(None, "not_a_server_error", "GET /health", SimpleNamespace(), "TRACE")


def test_a_server_error_is_never_an_assumption() -> None:
    contract = Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {"/a": {"get": {"x-apitwin-assumed": "the document never shows this endpoint", "responses": {"200": {"description": "ok"}}}}},
    })
    assert assumption(contract, "not_a_server_error", "GET /a", SimpleNamespace(status_code=500)) == ""
    assert assumption(contract, "not_a_server_error", "GET /a", SimpleNamespace(status_code=500), "TRACE") == ""


def test_an_operation_marked_assumed_in_the_contract_warns() -> None:
    contract = Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {"/a": {"get": {"x-apitwin-assumed": "the document never shows this endpoint", "responses": {"200": {"description": "ok"}}}},
                  "/b": {"get": {"responses": {"200": {"description": "ok"}}}}},
    })
    assert assumption(contract, "response_schema_conformance", "GET /a", SimpleNamespace()) == "the document never shows this endpoint"
    assert assumption(contract, "response_schema_conformance", "GET /b", SimpleNamespace()) == ""


def test_the_other_validation_status_fails_only_where_the_listed_one_is_not_assumed() -> None:
    """A 400 where the contract lists 422 contradicts the document, unless that 422 is the
    contract's own choice (marked): then the document gave no status for invalid input."""
    contract = Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}, "422": {"$ref": "#/components/responses/Invalid"}}}},
                  "/b": {"get": {"responses": {"200": {"description": "ok"}, "422": {"description": "stated"}}}}},
        "components": {"responses": {"Invalid": {"description": "ours", "x-apitwin-assumed": "the document gives no status"}}},
    })
    assert "target chose 400" in assumption(contract, "status_code_conformance", "GET /a", undocumented(400, "200", "422"))
    assert assumption(contract, "status_code_conformance", "GET /b", undocumented(400, "200", "422")) == ""


def test_an_array_marking_its_items_covers_what_breaks_inside_an_item() -> None:
    """A batch whose document counts bad entries as failed: one invalid entry accepted with the
    request is a warning, while a broken envelope around the entries still fails."""
    contract = Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {"/batch": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}}},
            "responses": {"201": {"description": "ok"}}}}},
        "components": {"schemas": {
            "Batch": {"type": "object", "required": ["records"], "properties": {"records": {
                "type": "array", "x-apitwin-assumed": {"items": "bad entries are counted, not refused"},
                "items": {"$ref": "#/components/schemas/Entry"}}}},
            "Entry": {"type": "object", "required": ["data"], "properties": {"data": {"type": "object"}}},
        }},
    })

    def case(body: object) -> SimpleNamespace:
        return SimpleNamespace(body=body, media_type="application/json", query=None, path_parameters=None, headers=None, cookies=None, meta=None)

    failure = SimpleNamespace()
    assert assumption(contract, "negative_data_rejection", "POST /batch", failure, case=case({"records": [{"data": 5}]})) == "bad entries are counted, not refused"
    assert assumption(contract, "negative_data_rejection", "POST /batch", failure, case=case({"records": [{}]})) == "bad entries are counted, not refused"
    assert assumption(contract, "negative_data_rejection", "POST /batch", failure, case=case({"records": 3})) == ""


def test_valid_data_refused_warns_where_the_body_carried_a_property_with_a_bound_of_ours() -> None:
    contract = Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {"/keys": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                "days": {"type": "integer", "minimum": 1, "x-apitwin-assumed": {"minimum": "no bound in the document"}},
                "label": {"type": "string"}}}}}},
            "responses": {"201": {"description": "ok"}}}}},
    })

    def case(body: object) -> SimpleNamespace:
        return SimpleNamespace(body=body, media_type="application/json", query=None, path_parameters=None, headers=None, cookies=None, meta=None)

    refused = SimpleNamespace(status_code=400)
    assert assumption(contract, "positive_data_acceptance", "POST /keys", refused, case=case({"days": 10**8, "label": "x"})) == "no bound in the document"
    assert assumption(contract, "positive_data_acceptance", "POST /keys", refused, case=case({"label": "x"})) == ""


def test_warnings_do_not_fail_a_report_unless_strict() -> None:
    report = Report(api="t", base_url="http://x")
    report.add_finding(Finding("unsupported_method", "GET /a", "http", "coverage", "405 expected", assumption="nicety"))
    assert report.conforms and len(report.warnings) == 1 and not report.failures
    assert report.to_dict()["findings"] == [] and len(report.to_dict()["warnings"]) == 1
    report.strict = True
    assert not report.conforms and len(report.failures) == 1 and report.warnings == []
    report.strict = False
    report.add_finding(Finding("not_a_server_error", "GET /a", "http", "coverage", "500"))
    assert not report.conforms and [f.check for f in report.failures] == ["not_a_server_error"]


@pytest.fixture(scope="module")
def express(servers):  # noqa: ANN001, ANN201
    servers.start([("toy", "undocumented_method_404")])
    return servers.url("toy", "undocumented_method_404")


def test_a_framework_default_the_document_is_silent_on_warns_and_strict_fails(express: str, tmp_path: Path) -> None:
    args = (str(TOY), "--base-url", express, "--seed", "1", "--max-examples", "3", "--phases", "coverage", "--include", "getHealth", "--quiet")
    out = tmp_path / "r.json"
    result = apitwin(*args, "--report", f"json:{out}")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())["apis"][0]
    assert data["findings"] == []
    assert {w["check"] for w in data["warnings"]} == {"unsupported_method", "error_envelope"}
    assert "Warnings" in result.stdout and "assumed:" in result.stdout

    strict = apitwin(*args, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "[unsupported_method]" in strict.stdout
