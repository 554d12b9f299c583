"""Mock servers shared by the tests of this directory: one process per API and option set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.support.servers import ServerProcess, run_mock


@pytest.fixture(scope="session")
def mock_server() -> Iterator[Callable[..., ServerProcess]]:
    """`mock_server("enterprise")` -> a running `apitwin mock enterprise --rate-limits off`.

    Servers are started on first use and reused for the whole session; pass extra options to
    get a separate server (``mock_server("enterprise", "--rate-limits", "on")``).
    """
    started: dict[tuple[str, ...], ServerProcess] = {}
    with ExitStack() as stack:

        def get(api: str, *args: str) -> ServerProcess:
            options = args or ("--rate-limits", "off")
            key = (api, *options)
            if key not in started:
                started[key] = stack.enter_context(run_mock(api, *options))
            return started[key]

        yield get
