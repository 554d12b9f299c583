"""Every deliberately faulty server is caught, by the check that names its fault.

Each faulty server is a real server: a correct implementation (the toy app, or the mock of a
bundled API) with exactly one injected mistake, on its own port (one process per upstream
serves all its faults, see `tests.faulty.server`). The same servers also go through a plain
Schemathesis run, the baseline; the comparison table is printed at the end of the session.
"""

from __future__ import annotations

import pytest

from conformance.auth import AuthSession, Credentials
from conformance.behaviour.checks import OPT_IN
from conformance.settings import CheckSettings
from conformance.suite import run_suite
from conformance.target import resolve
from tests.faulty.baseline import ROWS as BASELINE_ROWS
from tests.faulty.baseline import plain_schemathesis
from tests.faulty.pool import LOCAL, TOY
from tests.faulty.cases import BEHAVIOUR_CASES, BUNDLED_CASES, TOY_CASES, FaultCase

MAX_EXAMPLES = 5
CONTROL: dict[tuple, set[str]] = {}


def run(servers, case: FaultCase, fault: str):  # noqa: ANN001, ANN201
    settings = CheckSettings(
        target=case_target(case),
        base_url=servers.url(case.upstream, fault),
        phases=list(case.phases),
        include=list(case.include),
        max_examples=MAX_EXAMPLES,
        seed=1,
        quiet=True,
        checks=[case.check] if case.check in OPT_IN else [],
    )
    target = resolve(settings)
    return settings, target, run_suite(target, settings)


def case_target(case: FaultCase) -> str:
    name = case.upstream.partition("+")[0]
    return str(TOY) if name == "toy" else str(LOCAL.get(name, name))


def plain_on(servers, case: FaultCase, fault: str) -> set[str] | None:  # noqa: ANN001
    target = resolve(CheckSettings(target=case_target(case), base_url=servers.url(case.upstream, fault)))
    token = AuthSession(target.contract, target.base_url, Credentials()).current_token()
    return plain_schemathesis(target, case.transport, case.include, token, MAX_EXAMPLES, case.phases)


def baseline_run(servers, case: FaultCase) -> set[str] | None:  # noqa: ANN001
    """What plain Schemathesis flags on the faulty server and not on the same upstream without it."""
    key = ("plain", case.upstream, case.phases, case.include)
    if key not in CONTROL:
        CONTROL[key] = plain_on(servers, case, "none") or set()
    found = plain_on(servers, case, case.fault)
    return None if found is None else found - CONTROL[key]


def check_case(servers, case: FaultCase) -> None:  # noqa: ANN001
    # The same run against the upstream without the fault: the fault, not the upstream, must be
    # what the check catches.
    key = (case.upstream, case.phases, case.include)
    if key not in CONTROL:
        CONTROL[key] = {finding.check for finding in run(servers, case, "none")[2].findings}
    assert case.check not in CONTROL[key], f"{case.check} fails on {case.upstream} without the fault"
    _, _, report = run(servers, case, case.fault)
    caught = {finding.check for finding in report.findings}
    baseline = baseline_run(servers, case)
    BASELINE_ROWS.append(
        {
            "upstream": case.upstream,
            "fault": case.fault,
            "transport": case.transport,
            "check": case.check,
            "caught": case.check in caught,
            "baseline": baseline,
        }
    )
    details = "\n".join(f"[{f.check}] {f.operation}: {f.title} / {f.actual[:200]}" for f in report.findings)
    assert case.check in caught, f"{case.fault} not caught by {case.check}; found: {sorted(caught)}\n{details}\n{report.errors}"


@pytest.fixture(scope="module", autouse=True)
def start_toy_servers(servers) -> None:  # noqa: ANN001
    servers.start([(case.upstream, case.fault) for case in TOY_CASES + BUNDLED_CASES + BEHAVIOUR_CASES])  # six processes, in parallel


@pytest.mark.parametrize("case", TOY_CASES, ids=lambda case: case.id)
def test_toy_fault_is_caught(servers, case: FaultCase) -> None:  # noqa: ANN001
    check_case(servers, case)


@pytest.mark.parametrize("case", BUNDLED_CASES, ids=lambda case: case.id)
def test_bundled_fault_is_caught(servers, case: FaultCase) -> None:  # noqa: ANN001
    check_case(servers, case)


@pytest.mark.parametrize("case", BEHAVIOUR_CASES, ids=lambda case: case.id)
def test_behaviour_fault_is_caught(servers, case: FaultCase) -> None:  # noqa: ANN001
    check_case(servers, case)


def test_at_least_25_faults_across_five_apis_and_three_transports() -> None:
    cases = TOY_CASES + BUNDLED_CASES
    assert len(cases) >= 25
    assert {case.upstream for case in BUNDLED_CASES} == {"accounts", "directory", "enterprise", "messaging", "realtime"}
    assert {case.transport for case in BUNDLED_CASES} == {"http", "websocket", "graphql"}
    assert len({(case.upstream, case.fault) for case in cases}) == len(cases)


def test_a_refused_rest_trigger_leaves_the_event_checks_not_tested(servers) -> None:  # noqa: ANN001
    """ws_rest_events neither passes nor fails when the call that emits its event is refused."""
    case = FaultCase("toy", "rest_trigger_refused", "ws_rest_events", ("websocket",))
    _, _, report = run(servers, case, case.fault)
    assert not report.failures, [f.title for f in report.failures]
    assert "not tested: ws_rest_events" in report.phases["websocket"], report.phases
    assert not any(check == "ws_rest_events" and tally.passed for (_, check), tally in report.tallies.items())
