"""Against the mock, every bundled API conforms: zero findings, no false alarms.

The mock runs as `apitwin mock API --rate-limits off` (fuzzing sends far more requests per
second than any documented limit allows; with limits on, the documented 429s are accepted by
the checks but make the run slow). A failure here is a bug in the mock or a false alarm in
the suite, and the finding says which check, what was expected and how to reproduce it.
"""

from __future__ import annotations

import pytest

from conformance.settings import CheckSettings
from conformance.suite import run_suite
from conformance.target import resolve
from mock_server.contracts.bundle import bundled_apis
from tests.support.servers import run_mock


@pytest.mark.parametrize("api", [api.name for api in bundled_apis()])
def test_mock_conforms_to_its_own_contract(api: str) -> None:
    with run_mock(api, "--rate-limits", "off", "--seed", "1") as server:
        settings = CheckSettings(target=api, base_url=server.url, max_examples=2, seed=1, quiet=True)
        report = run_suite(resolve(settings), settings)
    lines = [
        f"[{finding.check}] {finding.operation}: {finding.title}\n  expected: {finding.expected}\n"
        f"  actual: {finding.actual[:300]}\n  reproduce: {finding.reproduce[:400]}"
        for finding in report.findings
    ]
    assert report.conforms, "\n".join(lines + report.errors)
