"""``readOnly``/``writeOnly`` and number formats, against a real mock of a contract of our own.

The contract (contracts/rwformats.yaml, 3.1; contracts/rwformats30.yaml, its 3.0 spelling with
the account composed by ``allOf``) requires the server's ``id`` and ``created_at`` (``readOnly``)
and the client's ``password`` (``writeOnly``), and bounds its integers by ``int32``/``int64``.
A create without the server's fields is valid; an answer never shows the password; an integer
outside its format's range is refused in the query and in the body, and the largest one inside
it is accepted. And the suite, which reads both keywords the same way, finds nothing to report
on the mock of this contract.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ROOT, ServerProcess, run_mock

CONTRACTS = Path(__file__).parent / "contracts"
SPECS = {"3.1": CONTRACTS / "rwformats.yaml", "3.0": CONTRACTS / "rwformats30.yaml"}
INT32_MAX = 2**31 - 1
GENERATED = {"Prefer": "code=200, dynamic=true"}


@pytest.fixture(scope="module", params=sorted(SPECS))
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    with run_mock(str(SPECS[request.param]), "--rate-limits", "off") as process:
        process.spec = SPECS[request.param]  # type: ignore[attr-defined]
        yield process


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def account(**fields: object) -> dict[str, object]:
    return {"name": "Ada", "password": "correct horse", "quota": 10, **fields}


def test_a_create_without_the_read_only_required_fields_is_created(http: httpx.Client) -> None:
    created = http.post("/accounts", json=account())
    assert created.status_code == 201, created.text
    body = created.json()
    assert isinstance(body["id"], int) and body["created_at"], "the server sets its required fields"
    assert "password" not in body, "a writeOnly field is never answered"
    read = http.get(f"/accounts/{body['id']}")
    assert read.status_code == 200 and read.json() == body


def test_a_read_only_value_the_client_sends_is_ignored(http: httpx.Client) -> None:
    created = http.post("/accounts", json=account(id=987654, created_at="2001-01-01T00:00:00Z"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] != 987654 and body["created_at"] != "2001-01-01T00:00:00Z"
    assert http.get("/accounts/987654").status_code == 404


def test_the_write_only_password_is_required_in_a_request(http: httpx.Client) -> None:
    answer = http.post("/accounts", json={"name": "Ada", "quota": 1})
    assert answer.status_code == 422, answer.text
    assert "password" in answer.json()["message"]


def test_the_write_only_password_never_appears_in_an_answer(http: httpx.Client) -> None:
    created = http.post("/accounts", json=account(name="Grace")).json()
    answers = [http.get(f"/accounts/{created['id']}").json(), *http.get("/accounts").json()]
    for number in range(40):  # generated answers: every draw leaves it out, though it is required
        answers.append(http.get(f"/accounts/{number + 1000}", headers=GENERATED).json())
        answers.extend(http.get("/accounts", headers=GENERATED).json())
    assert len(answers) > 40
    for answer in answers:
        assert "password" not in answer, answer
        assert {"id", "created_at", "name", "quota"} <= set(answer), answer


def test_a_documented_example_is_answered_without_its_write_only_values(http: httpx.Client) -> None:
    answer = http.get("/profile")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": 7, "created_at": "2024-05-01T10:00:00Z", "name": "Ada", "quota": 10}


def test_generated_integers_stay_inside_their_formats(http: httpx.Client) -> None:
    quotas = [http.get("/accounts/1", headers=GENERATED).json()["quota"] for _ in range(60)]
    assert all(-(2**31) <= quota <= INT32_MAX for quota in quotas)
    assert any(abs(quota) > 1000 for quota in quotas), "the whole int32 range is drawn from"


@pytest.mark.parametrize("value", [INT32_MAX + 1, -(2**31) - 1, 2**63])
def test_an_int32_out_of_range_is_refused_in_the_query(http: httpx.Client, value: int) -> None:
    answer = http.get("/accounts", params={"offset": value})
    assert answer.status_code == 400, answer.text  # the operation documents 400
    assert "offset" in answer.json()["message"]


@pytest.mark.parametrize("value", [INT32_MAX + 1, -(2**31) - 1])
def test_an_int32_out_of_range_is_refused_in_the_body(http: httpx.Client, value: int) -> None:
    answer = http.post("/accounts", json=account(quota=value))
    assert answer.status_code == 422, answer.text  # the operation documents 422
    assert "quota" in answer.json()["message"]


def test_the_int32_boundaries_are_accepted(http: httpx.Client) -> None:
    assert http.get("/accounts", params={"offset": INT32_MAX, "limit": INT32_MAX}).status_code == 200
    assert http.get("/accounts", params={"offset": -(2**31)}).status_code == 200
    for quota in (INT32_MAX, -(2**31)):
        created = http.post("/accounts", json=account(quota=quota))
        assert created.status_code == 201, created.text
        assert created.json()["quota"] == quota


def test_a_declared_bound_tighter_than_the_format_still_holds(http: httpx.Client) -> None:
    assert http.get("/accounts", params={"limit": 0}).status_code == 400


def test_the_suite_finds_nothing_on_the_mock_of_this_contract(server: ServerProcess) -> None:
    spec = str(server.spec)  # type: ignore[attr-defined]
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "check", spec, "--base-url", server.url],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
