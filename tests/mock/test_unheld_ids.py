"""An id the store does not hold, on an operation that documents no way to say "not found".

A 404 there would be an undocumented status for a valid request. Where the contract gives the
mock no 404, ``4XX`` or ``default`` answer, it answers as a stateless mock (Prism) does: the
documented success, generated from the schema, carrying the id asked for, and nothing stored.
Where a 404 is documented, an unknown id is still a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "contracts" / "unheld.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as process:
        yield process


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_an_unheld_id_gets_the_documented_success_with_that_id(http: httpx.Client) -> None:
    answer = http.get("/notes/987654")
    assert answer.status_code == 200, answer.text
    note = answer.json()
    assert note["id"] == 987654 and isinstance(note["text"], str) and note["text"]


def test_a_stored_record_is_still_answered_as_stored(http: httpx.Client) -> None:
    created = http.post("/notes", json={"text": "kept"})
    assert created.status_code == 201, created.text
    note = created.json()
    assert http.get(f"/notes/{note['id']}").json() == note


def test_replacing_or_deleting_an_unheld_id_answers_success_and_stores_nothing(http: httpx.Client) -> None:
    replaced = http.put("/notes/555000", json={"text": "new text"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == 555000 and replaced.json()["text"] == "new text"
    assert http.get("/notes/555000").json()["text"] != "new text", "the replacement was not stored"
    deleted = http.delete("/notes/555001")
    assert deleted.status_code == 204 and deleted.content == b""


def test_a_documented_404_still_answers_an_unknown_id(http: httpx.Client) -> None:
    assert http.get("/tasks/nothing-here").status_code == 404
