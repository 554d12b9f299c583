"""Mock servers shared by the tests of this directory: one process per API and option set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.mock.mockutil import client, login
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


@pytest.fixture(scope="module")
def server(mock_server, request) -> ServerProcess:
    """The shared mock of the API the test module names in its `API` constant."""
    return mock_server(request.module.API)


@pytest.fixture(scope="module")
def http(server, request) -> Iterator[httpx.Client]:
    """A client of that mock, logged in with the API's demo credentials."""
    with client(server, request.module.API, login(server, request.module.API)) as http:
        yield http
