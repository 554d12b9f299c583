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
