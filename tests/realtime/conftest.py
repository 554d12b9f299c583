"""Servers for the real-time tests: one realtime mock shared by a module, on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.helpers import serve
from tests.support.servers import ServerProcess


@pytest.fixture(scope="module")
def realtime() -> Iterator[ServerProcess]:
    with serve("realtime", "--rate-limits", "off") as server:
        yield server
