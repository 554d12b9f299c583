"""The behaviour phase's small decisions, in-process: which checks run, what counts as ordered,
matching, merged, and the bodies it writes. (Against real servers: test_conformance_faulty's
behaviour cases and test_conformance_mock.)"""

from __future__ import annotations

from conformance import registry
from conformance.behaviour.checks import BEHAVIOUR_CHECKS
from conformance.behaviour.listing import matches, ordered
from conformance.behaviour.resources import changed_value, collections, contains, new_body
from conformance.behaviour.runner import wanted_checks
from conformance.settings import CheckSettings
from conformance.target import resolve


def test_rate_limit_probe_runs_only_when_asked_for() -> None:
    names = set(registry.load_all().names())
    default = CheckSettings(target="accounts")
    assert "rate_limit_enforced" not in wanted_checks(default, default.enabled_checks(list(names)))
    assert "list_sort" in wanted_checks(default, default.enabled_checks(list(names)))
    named = CheckSettings(target="accounts", checks=["rate_limit_enforced"])
    assert wanted_checks(named, named.enabled_checks(list(names))) == {"rate_limit_enforced"}
    spend = CheckSettings(target="accounts", spend_quota=True)
    assert "rate_limit_enforced" in wanted_checks(spend, spend.enabled_checks(list(names)))


def test_every_behaviour_check_is_listed() -> None:
    names = registry.load_all().names()
    assert set(BEHAVIOUR_CHECKS) <= set(names)


def test_order_allows_either_collation_but_not_a_reversal() -> None:
    assert ordered("B", "a", False) and ordered("a", "B", False)  # by code point or without case
    assert ordered("2024-01-02", "2024-01-01", True)
    assert not ordered("2024-01-02", "2024-01-01", False)
    assert not ordered(3, 1, False) and ordered(3, 1.5, True)
    assert ordered(1, "x", False)  # mixed types are not compared


def test_filter_matching_compares_like_with_like() -> None:
    assert matches("sent", "eq", "sent") and not matches("read", "eq", "sent")
    assert matches(True, "eq", "true") and matches(10, "gte", 9.5) and not matches("2024-01-01", "gte", "2024-02-01")
    assert not matches(None, "eq", "x")


def test_read_back_holds_what_was_sent() -> None:
    assert contains({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})
    assert not contains({"b": {"c": 3}}, {"b": {"c": 2}})
    assert contains(29.99, 29.99) and not contains("x", 1)


def test_bodies_are_valid_and_unique_and_changes_differ() -> None:
    contract = resolve(CheckSettings(target="enterprise")).contract
    records = next(c for c in collections(contract, [], []) if "create" in c.bound and "patch" in c.bound)
    first, second = (new_body(contract, records.bound["create"], seed) for seed in (1, 2))
    assert first != second and first["data"]["name"] != second["data"]["name"]
    schema = contract.resolve({"$ref": "#/components/schemas/RecordInput"})
    assert not contract.schema_errors(schema, first)
    changed = changed_value(contract, {"type": "object"}, {"k": 1})
    assert isinstance(changed, dict) and changed != {"k": 1} and "k" not in changed
    assert changed_value(contract, {"type": "string", "enum": ["a", "b"]}, "a") == "b"
    assert changed_value(contract, {"type": "string", "readOnly": True}, "a") is None


def test_a_declaration_marked_assumed_makes_its_finding_a_warning() -> None:
    from conformance.behaviour.context import BehaviourRun, fail
    from conformance.contract import Operation
    from conformance.results import Report

    target = resolve(CheckSettings(target="enterprise"))
    operation = Operation("listThings", "get", "/things", {"x-apitwin-sort": {"default": "name", "x-apitwin-assumed": "the document shows no order"}}, [], ())
    report = Report(api="enterprise", base_url="")
    run = BehaviourRun(target, CheckSettings(target="enterprise"), {"list_sort"}, None, report)  # type: ignore[arg-type]

    def probe() -> None:
        raise fail("list is not sorted", "ascending", "descending")

    run.perform("list_sort", operation, probe, declarations=("sort",))
    assert report.findings[0].assumption == "the document shows no order"
    assert report.conforms and len(report.warnings) == 1


def test_a_deleted_record_read_back_is_an_assumption_where_the_read_documents_no_missing_answer() -> None:
    """write_delete_gone expects 404; where the item read documents no answer for a record that
    is not there, that expectation is ours, and the finding is a warning."""
    from types import SimpleNamespace

    from conformance.behaviour.persistence import unstated_gone

    def collection(*codes: str) -> SimpleNamespace:
        read = SimpleNamespace(definition={"responses": {code: {"description": "x"} for code in codes}})
        return SimpleNamespace(op=lambda action: read if action == "get" else None)

    assert unstated_gone(collection("200")) != ""
    assert unstated_gone(collection("200", "404")) == ""
    assert unstated_gone(collection("200", "4XX")) == ""
    assert unstated_gone(collection("200", "default")) == ""

