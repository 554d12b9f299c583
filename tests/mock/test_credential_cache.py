"""A principal proved by one request is never lent to another with a missing or different
credential: for every place a credential travels, accepted -> missing -> wrong gives 200, 401, 401
(the mock remembers principals for a few seconds, keyed on the credential's exact material)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "contracts" / "credentials.yaml"
KEY = "key-right-1234"
BASIC = base64.b64encode(b"alice:wonderland-42").decode()
WRONG_BASIC = base64.b64encode(b"alice:not-her-password").decode()

# path -> (request options with the right credential, with none, with a wrong one)
CASES = {
    "/header-key": ({"headers": {"api_key": KEY}}, {}, {"headers": {"api_key": "key-wrong-0000"}}),
    "/query-key": ({"params": {"api_key": KEY}}, {}, {"params": {"api_key": "key-wrong-0000"}}),
    "/cookie-key": ({"headers": {"cookie": f"session_key={KEY}"}}, {}, {"headers": {"cookie": "session_key=key-wrong-0000"}}),
    "/bearer": ({"headers": {"authorization": f"Bearer {KEY}"}}, {}, {"headers": {"authorization": "Bearer key-wrong-0000"}}),
    "/basic": ({"headers": {"authorization": f"Basic {BASIC}"}}, {}, {"headers": {"authorization": f"Basic {WRONG_BASIC}"}}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as process:
        yield process


@pytest.mark.parametrize("path", list(CASES))
def test_accepted_then_missing_then_wrong(server: ServerProcess, path: str) -> None:
    right, missing, wrong = CASES[path]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        statuses = [http.get(path, **options).status_code for options in (right, missing, wrong)]
        assert statuses == [200, 401, 401]
        assert http.get(path, **right).status_code == 200  # the right credential still works


def test_a_key_for_one_place_is_not_found_from_another(server: ServerProcess) -> None:
    """The header key proved on one operation does not open the query-key operation."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/header-key", headers={"api_key": KEY}).status_code == 200
        assert http.get("/query-key", headers={"api_key": KEY}).status_code == 401
