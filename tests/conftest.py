"""Shared pytest set-up: a fixed Hypothesis profile so CI runs are repeatable."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "apitwin-ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
settings.load_profile("apitwin-ci")


def pytest_collection_finish(session: "pytest.Session") -> None:
    """Start the own-mock proof runs at once when they are selected: they mostly wait for
    rate-limit windows, which then overlaps the rest of the suite instead of adding to it.
    Under pytest-xdist the other worker overlaps them already: the module's fixture starts them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(item.nodeid.startswith("tests/conformance/test_conformance_own_mock.py") for item in session.items):
        from tests.conformance import test_conformance_own_mock

        test_conformance_own_mock.start_runs()


def pytest_sessionfinish(session: "pytest.Session", exitstatus: int) -> None:
    from tests.conformance import test_conformance_own_mock

    test_conformance_own_mock.stop_runs()
