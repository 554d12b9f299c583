"""HTTP response semantics against a real `apitwin mock` process: `default` and range response
keys (for the answer and for `Prefer: code=`), HEAD where only GET is documented, content
negotiation with q values and 406, XML after the schema's `xml` object, CSV and text, static
answers composed down the schema, and errors in the documented status and body."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ServerProcess, run_mock

CONTRACT = Path(__file__).parent / "contracts" / "responses.yaml"
KEY = {"X-Key": "key-right-1234"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as process:
        yield process


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


# -- default and range keys -----------------------------------------------------------------

def test_a_range_key_is_the_success_response_with_its_required_headers(http):
    response = http.get("/things/3")
    assert response.status_code == 200
    assert response.json() == {"id": 7, "name": "Kettle"}
    assert response.headers["x-thing-version"] == "v7"


def test_prefer_code_answers_range_keys_and_refuses_undocumented_statuses(http):
    client_error = http.get("/things/3", headers={"Prefer": "code=404"})
    assert client_error.status_code == 404
    assert client_error.json() == {"code": 4000, "message": "Something about the request is wrong"}
    server_error = http.get("/things/3", headers={"Prefer": "code=503"})
    assert server_error.status_code == 503
    assert set(server_error.json()) == {"code", "message"} and isinstance(server_error.json()["code"], int)
    assert http.get("/things/3", headers={"Prefer": "code=201"}).status_code == 201
    refused = http.get("/things/3", headers={"Prefer": "code=302"})
    assert refused.status_code == 400 and "302" in refused.json()["message"]


def test_prefer_code_answers_the_default_response(http):
    response = http.get("/things", headers={"Prefer": "code=418"})
    assert response.status_code == 418
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == 418


def test_an_error_documented_by_default_only_has_its_body(http):
    response = http.post("/things")  # POST is not documented: 405 in the path's documented error body
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"code": 405, "message": "Method POST not allowed on /things"}


# -- HEAD -----------------------------------------------------------------------------------

def test_head_is_answered_where_only_get_is_documented(http):
    got = http.get("/things/3")
    head = http.head("/things/3")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["x-thing-version"] == "v7"
    csv_head = http.head("/things", headers={"Accept": "text/csv"})
    assert csv_head.headers["content-type"] == "text/csv" and csv_head.content == b""


# -- content negotiation --------------------------------------------------------------------

def test_no_accept_and_wildcards_answer_json(http):
    for accept in (None, "*/*", "application/*"):
        response = http.get("/things", headers={"Accept": accept} if accept else {})
        assert response.headers["content-type"] == "application/json"
        assert response.json()[0]["name"] == "Lamp"


def test_xml_follows_the_schema_xml_object(http):
    response = http.get("/things", headers={"Accept": "application/xml"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == "things"
    things = root.findall("{https://example.com/things}thing")
    assert [t.get("id") for t in things] == ["1", "2"]                       # attribute
    assert things[0].find("color").text == "red"                             # xml.name
    assert [t.text for t in things[0].find("tag-list").findall("tag")] == ["home", "light"]  # wrapped
    assert [s.text for s in things[0].findall("size")] == ["1", "2"]          # not wrapped
    assert things[1].find("name").text == "Chair & Table"
    assert b"<t:thing" in response.content                                    # prefix


def test_q_values_decide(http):
    xml = http.get("/things", headers={"Accept": "application/json;q=0.5, application/xml;q=0.8"})
    assert xml.headers["content-type"] == "application/xml"
    json_ = http.get("/things", headers={"Accept": "application/xml;q=0.2, application/json"})
    assert json_.headers["content-type"] == "application/json"
    browser = http.get("/things", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert browser.headers["content-type"] == "application/xml"


def test_csv_for_an_array_of_flat_objects(http):
    response = http.get("/things", headers={"Accept": "text/csv"})
    assert response.headers["content-type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["id"], r["name"]) for r in rows] == [("1", "Lamp"), ("2", "Chair & Table")]


def test_text_plain_uses_its_own_example(http):
    response = http.get("/greeting", headers={"Accept": "text/plain"})
    assert response.headers["content-type"] == "text/plain" and response.text == "hello there"
    assert http.get("/greeting").json() == {"text": "hello there"}


def test_406_in_the_envelope_as_json_when_nothing_fits(http):
    response = http.get("/things", headers={"Accept": "image/png, application/pdf"})
    assert response.status_code == 406
    assert "json" in response.headers["content-type"]
    assert "application/xml" in response.text and "image/png" in response.text
    assert http.get("/greeting", headers={"Accept": "text/plain;q=0, application/json;q=0"}).status_code == 406


def test_406_comes_before_any_work_but_after_auth(http):
    assert http.get("/guarded", headers={"Accept": "text/csv"}).status_code == 403
    assert http.get("/guarded", headers={"Accept": "text/csv", **KEY}).status_code == 406


# -- static answers -------------------------------------------------------------------------

COMPOSED = {"id": "cmp_001", "created": "2024-01-02T03:04:05Z", "owner": {"name": "Ada"},
            "items": [{"sku": "SKU-1", "qty": 1}], "mode": "slow"}


def test_examples_are_composed_down_the_schema_by_default_and_statically(http):
    assert http.get("/composed").json() == COMPOSED
    assert http.get("/composed", headers={"Prefer": "dynamic=false"}).json() == COMPOSED


def test_dynamic_true_generates_instead(http):
    generated = http.get("/composed", headers={"Prefer": "dynamic=true"}).json()
    assert generated != COMPOSED and {"id", "owner", "items", "mode"} <= set(generated)


def test_prefer_example_picks_a_named_one(http):
    assert http.get("/named", headers={"Prefer": "example=dear"}).json() == {"id": 2, "name": "Pen", "price": 120}
    assert http.get("/named").json() == {"id": 1, "name": "Pencil", "price": 0.5}


# -- documented error statuses and bodies ---------------------------------------------------

def test_validation_uses_the_documented_422_with_its_schema(http):
    response = http.post("/orders", json={"qty": 0})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors and errors[0]["loc"] == ["body", "qty"] and "minimum" in errors[0]["msg"]


def test_validation_uses_the_documented_400_with_its_schema(http):
    response = http.post("/payments", json={"amount": 0})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == 400 and "amount" in body["message"]


def test_a_broken_path_parameter_under_a_range_key_is_a_documented_400(http):
    response = http.get("/things/0")
    assert response.status_code == 400 and "'id'" in response.json()["message"]


def test_auth_failure_uses_the_documented_403_without_a_challenge(http):
    for headers in ({}, {"X-Key": "nope"}):
        response = http.get("/guarded", headers=headers)
        assert response.status_code == 403
        assert "www-authenticate" not in response.headers
        assert set(response.json()) == {"code", "message"}
    assert http.get("/guarded", headers=KEY).json() == {"ok": True}


def test_generated_error_bodies_stay_small(http):
    response = http.get("/composed", headers={"Prefer": "code=404"})
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error", "trace"} and body["trace"] == []
    assert set(body["error"]) == {"reason", "hint"} and body["error"]["reason"] == "Not Found"
    assert len(response.content) < 200


def test_an_error_does_not_echo_a_huge_value_back(http):
    response = http.post("/orders", json={"qty": 1, "note": "x" * 200_000})
    assert response.status_code == 422
    assert len(response.content) < 1000 and "longer than 5" in response.json()["errors"][0]["msg"]
