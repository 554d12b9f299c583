"""Fixtures for the conformance suite's own tests: faulty servers as real processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.faulty` and `tests.support` are imported as packages
    sys.path.insert(0, str(ROOT))

from tests.faulty.baseline import ROWS, table  # noqa: E402
from tests.faulty.pool import Servers  # noqa: E402


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    pool = Servers()
    yield pool
    pool.stop()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the own-mock proof runs at once when they are selected: they mostly wait for
    rate-limit windows, which then overlaps the rest of the suite instead of adding to it."""
    if any(item.nodeid.startswith("tests/conformance/test_conformance_own_mock.py") for item in session.items):
        from tests.conformance import test_conformance_own_mock

        test_conformance_own_mock.start_runs()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.conformance import test_conformance_own_mock

    test_conformance_own_mock.stop_runs()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """The baseline comparison: what apitwin check and plain Schemathesis caught."""
    if not ROWS:
        return
    text = table(ROWS)
    terminalreporter.write_sep("=", "apitwin check vs plain Schemathesis on the faulty servers")
    terminalreporter.write_line(text)
    out = ROOT / "build" / "conformance-baseline.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    terminalreporter.write_line(f"(written to {out.relative_to(ROOT)})")
