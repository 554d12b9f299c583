"""Edges of the contracts: empty query values, GraphQL requests that are not GraphQL, events of
`{collection}` resources, what a client sent against generated data, plans in rate-limit
headers, private collections, fresh ids after a restart, WebSocket compression."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.mock.mockutil import client, login
from tests.mock.test_mock_units import call, in_process
from tests.support.servers import run_mock

# -- 1. an empty query value is a value, validated like any other ------------------------------

EMPTY_VALUES = [
    ("directory", "/api/v1/users?sort=", 422, "VALIDATION_ERROR"),
    ("enterprise", "/data/products?sort=", 400, "INVALID_REQUEST"),
    ("messaging", "/api/groups?before=", 422, "validation_error"),
    ("messaging", "/api/messages?to=", 422, "validation_error"),
]


@pytest.mark.parametrize(("api", "path", "status", "code"), EMPTY_VALUES)
def test_empty_query_values_are_validated(mock_server, api, path, status, code):
    server = mock_server(api)
    with client(server, api, login(server, api)) as http:
        response = http.get(path)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    name = path.split("?")[1].rstrip("=")
    assert [e["loc"] for e in error["details"]["errors"]] == [["query", name]]


# -- 2. GraphQL requests that break the contract get its 400 ------------------------------------


def test_graphql_request_that_breaks_the_contract_is_400(mock_server):
    server = mock_server("directory")
    with client(server, "directory", login(server, "directory")) as http:
        wrong_type = http.post("/graphql", json={"query": "{ __typename }", "operationName": {}})
        no_query = http.get("/graphql")
        empty_query = http.get("/graphql", params={"query": ""})
        bad_variables = http.get("/graphql", params={"query": "{ __typename }", "variables": "{not json"})
        fine = http.get("/graphql", params={"query": "{ __typename }", "operationName": ""})
    for response in (wrong_type, no_query, empty_query, bad_variables):
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
    assert fine.status_code == 200 and fine.json() == {"data": {"__typename": "Query"}}


JSON_PARAMETER = {
    "openapi": "3.1.0",
    "info": {"title": "json parameter", "version": "1"},
    "paths": {"/search": {"get": {
        "operationId": "search",
        "x-apitwin-resource": False,
        "parameters": [{"name": "filter", "in": "query", "content": {"application/json": {
            "schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}, "example": {}}}},
                      "400": {"description": "bad"}},
    }}},
}


def test_a_json_content_parameter_is_parsed_and_validated():
    app = in_process(JSON_PARAMETER)
    assert asyncio.run(call(app, "GET", "/search", params={"filter": '{"name": "x"}'})).status_code == 200
    assert asyncio.run(call(app, "GET", "/search", params={"filter": '{"name": 5}'})).status_code == 400
    assert asyncio.run(call(app, "GET", "/search", params={"filter": "{not json"})).status_code == 400


# -- 3. events of a `{collection}` resource carry a declared name and the record ---------------

RECORD = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "pattern": "^rec_[a-z0-9]{6}$"},
                                                               "data": {"type": "object"}}}
COLLECTION = {"name": "collection", "in": "path", "required": True, "schema": {"type": "string"}}
RECORDS_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "records", "version": "1"},
    "paths": {
        "/data/{collection}": {"post": {
            "operationId": "createRecord", "parameters": [COLLECTION],
            "x-apitwin-resource": {"collection": "{collection}", "name": "record"},
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "object"}}}}}},
            "responses": {"201": {"description": "made", "content": {"application/json": {"schema": RECORD}}},
                          "404": {"description": "no such collection"}},
        }, "get": {
            "operationId": "listRecords", "parameters": [COLLECTION],
            "x-apitwin-resource": {"collection": "{collection}", "name": "record"},
            "responses": {"200": {"description": "list", "content": {"application/json": {"schema": {"type": "array", "items": RECORD}}}},
                          "404": {"description": "no such collection"}},
        }},
        "/data/{collection}/{id}": {"delete": {
            "operationId": "deleteRecord", "parameters": [COLLECTION, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "x-apitwin-resource": {"collection": "{collection}", "name": "record"},
            "responses": {"204": {"description": "gone"}, "404": {"description": "missing"}},
        }},
        "/data/{collection}/batch-delete": {"post": {
            "operationId": "batchDelete", "parameters": [COLLECTION],
            "x-apitwin-resource": {"collection": "{collection}", "name": "record"},
            "x-apitwin-batch": {"action": "delete", "ids": "ids"},
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}}}},
            "responses": {"200": {"description": "done", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"deleted": {"type": "integer"}}}}}}},
        }},
    },
}


def test_collection_resources_publish_record_events_with_the_record():
    app = in_process(RECORDS_DOCUMENT)
    seen: list[tuple[str, dict, str]] = []
    app.runtime.events.subscribe("*", lambda event: seen.append((event.name, event.data, event.meta.get("collection"))))
    made = [asyncio.run(call(app, "POST", "/data/products", json={"data": {"n": n}})).json() for n in range(3)]
    assert asyncio.run(call(app, "DELETE", f"/data/products/{made[0]['id']}")).status_code == 204
    batch = asyncio.run(call(app, "POST", "/data/products/batch-delete", json={"ids": [made[1]["id"], made[2]["id"]]}))
    assert batch.json() == {"deleted": 2}
    assert [name for name, _, _ in seen] == ["record.created"] * 3 + ["record.deleted"] * 3
    assert [data for _, data, _ in seen[3:]] == made  # each delete carries the deleted record
    assert {collection for _, _, collection in seen} == {"products"}


# -- 6. private collections are out of reach of `{collection}` ---------------------------------


def test_private_collections_are_never_reachable_through_a_path_parameter():
    app = in_process(RECORDS_DOCUMENT)
    app.runtime.store.insert("_credentials", {"id": "rec_secret", "password": "hunter2"})
    assert asyncio.run(call(app, "GET", "/data/_credentials")).status_code == 404
    assert asyncio.run(call(app, "POST", "/data/_api_keys", json={"data": {}})).status_code == 404
    assert asyncio.run(call(app, "DELETE", "/data/_credentials/rec_secret")).status_code == 404
    assert app.runtime.store.get("_credentials", "rec_secret") is not None
    assert app.runtime.store.count("_api_keys") == 0
    assert asyncio.run(call(app, "GET", "/data/public_things")).status_code == 200


# -- 4. what the client sent and declared defaults win over generated data ---------------------


def test_new_webhooks_are_active_and_registrations_show_what_was_sent(mock_server):
    enterprise = mock_server("enterprise")
    with client(enterprise, "enterprise", login(enterprise, "enterprise")) as http:
        registered = [http.post("/webhooks", json={"url": f"https://example.org/hook/{n}", "events": ["record.created"], "secret": "s"})
                      for n in range(6)]
        assert all(r.status_code == 201 for r in registered)
        assert [r.json()["active"] for r in registered] == [True] * 6
    messaging = mock_server("messaging")
    with client(messaging, "messaging") as http:
        for n in range(3):
            sent = {"email": f"new.person{n}@example.org", "password": "secure_password", "username": f"newperson{n}", "display_name": "New Person"}
            answer = http.post("/api/users", json=sent)
            assert answer.status_code == 201, answer.text
            assert {k: answer.json()[k] for k in ("email", "username", "display_name")} == {k: sent[k] for k in ("email", "username", "display_name")}


def test_a_field_left_out_takes_the_request_schemas_default(mock_server):
    server = mock_server("messaging")
    with client(server, "messaging", login(server, "messaging")) as http:
        sent = [http.post("/api/messages", json={"receiver_id": "123e4567-e89b-12d3-a456-426614174000", "content": f"hi {n}"})
                for n in range(6)]
    assert all(r.status_code == 201 for r in sent)
    assert [r.json()["type"] for r in sent] == ["text"] * 6


# -- 5. the plan of the caller in enterprise's rate-limit headers ------------------------------


@pytest.mark.parametrize("limits", ["on", "off"])
def test_enterprise_rate_limit_headers_name_the_plan(mock_server, limits):
    server = mock_server("enterprise", "--rate-limits", limits)
    with client(server, "enterprise", login(server, "enterprise")) as http:
        response = http.get("/data/products")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Plan"] == "enterprise"
    assert response.headers["X-RateLimit-Limit"] == "1000"


# -- 7. a new record never takes the id of a stored one ----------------------------------------


def test_records_created_after_a_restart_get_fresh_ids(tmp_path):
    state = tmp_path / "enterprise.sqlite3"
    options = ("--state", str(state), "--seed", "5", "--rate-limits", "off")
    with run_mock("enterprise", *options) as server, client(server, "enterprise", login(server, "enterprise")) as http:
        before = [http.post("/data/keep", json={"data": {"n": n}}).json() for n in range(3)]
    with run_mock("enterprise", *options) as server, client(server, "enterprise", login(server, "enterprise")) as http:
        after = [http.post("/data/keep", json={"data": {"n": n + 3}}).json() for n in range(3)]
        assert not {r["id"] for r in before} & {r["id"] for r in after}
        for record in before:
            assert http.get(f"/data/keep/{record['id']}").json()["data"] == record["data"]
        assert http.get("/data/keep", params={"limit": 100}).json()["pagination"]["total"] == 6


# -- 8. WebSocket compression is a choice ------------------------------------------------------


@pytest.mark.parametrize(("option", "offered"), [("on", True), ("off", False)])
def test_ws_compression_option(option, offered):
    from websockets.sync.client import connect

    with run_mock("directory", "--ws-compression", option) as server:
        token = login(server, "directory")
        url = server.url.replace("http", "ws", 1) + f"/v1/ws?token={token}"
        with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, compression="deflate") as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
    assert ("permessage-deflate" in extensions) is offered
