"""The request pipeline's parts on their own, without a server: operation plans built from the
bundled contracts, and actions called directly on an in-memory store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mock_server.contracts.bundle import resolve_target
from mock_server.http.actions import ACTIONS, batch, crud, listing
from mock_server.http.context import Services
from mock_server.http.exchange import Request
from mock_server.http.pipeline import OperationPipeline
from mock_server.http.plan import CredentialSource, build_plan, credential_sources
from mock_server.runtime import ApiRuntime
from mock_server.settings import MockSettings


@pytest.fixture(scope="module")
def enterprise() -> ApiRuntime:
    return ApiRuntime.build(resolve_target("enterprise"), MockSettings(rate_limits=False))


@pytest.fixture(scope="module")
def messaging() -> ApiRuntime:
    return ApiRuntime.build(resolve_target("messaging"), MockSettings(rate_limits=False))


def plan_of(runtime: ApiRuntime, operation_id: str):
    return build_plan(runtime.operations[operation_id], runtime.document)


# -- plans -------------------------------------------------------------------------------------

def test_plan_of_a_listing(enterprise: ApiRuntime) -> None:
    plan = plan_of(enterprise, "listRecords")
    assert plan.action == "list" and plan.store_backed
    assert plan.items_path == "data"
    assert plan.fields_param == "fields"
    assert plan.pagination["style"] == "offset"
    assert {"sort", "order"} <= plan.selection_params
    assert plan.permissions == ("read:data",)
    assert CredentialSource("header", "authorization") in plan.credential_sources
    assert CredentialSource("header", "x-api-key") in plan.credential_sources
    assert plan.item_schema is not None
    assert "listRecords" in repr(plan)  # printable as it is


def test_plan_of_an_update_with_a_field_map(messaging: ApiRuntime) -> None:
    plan = plan_of(messaging, "updateUser")
    assert plan.action == "patch"
    assert plan.update_mode == "merge"
    assert plan.field_map["bio"] == "profile.bio"
    assert plan.events == ("user.updated",)


def test_plans_of_batches_auth_flows_and_docs(enterprise: ApiRuntime) -> None:
    batch_plan = plan_of(enterprise, "batchCreateRecords")
    assert batch_plan.action == "batch-create" and batch_plan.batch["max"] == 1000
    assert plan_of(enterprise, "batchDeleteRecords").action == "batch-delete"
    login = plan_of(enterprise, "login")
    assert (login.action, login.auth_action, login.credential_sources, login.security) == ("auth", "login", (), [])
    accounts = ApiRuntime.build(resolve_target("accounts"), MockSettings())
    docs = plan_of(accounts, "getOpenApiDocument")
    assert (docs.action, docs.docs_kind) == ("docs", "openapi")


def test_every_bundled_operation_has_a_registered_action(enterprise: ApiRuntime, messaging: ApiRuntime) -> None:
    for runtime in (enterprise, messaging):
        for operation in runtime.operations.values():
            assert build_plan(operation, runtime.document).action in ACTIONS


def test_credential_sources_name_every_place_the_schemes_read() -> None:
    document = {"components": {"securitySchemes": {
        "h": {"type": "apiKey", "in": "header", "name": "Api-Key"},
        "q": {"type": "apiKey", "in": "query", "name": "api_key"},
        "c": {"type": "apiKey", "in": "cookie", "name": "sid"},
        "b": {"type": "http", "scheme": "basic"},
        "o": {"type": "oauth2", "flows": {}},
    }}}
    sources = credential_sources([{"h": [], "q": []}, {"c": []}, {"b": []}, {"o": []}], document)
    assert sources == (CredentialSource("header", "api-key"), CredentialSource("query", "api_key"),
                       CredentialSource("cookie", "sid"), CredentialSource("header", "authorization"))


class _Guarded(dict):
    """An operation object whose declarations may not be read any more."""

    def get(self, key: Any, default: Any = None) -> Any:
        if str(key).startswith("x-apitwin"):
            raise AssertionError(f"{key} read during a request")
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        if str(key).startswith("x-apitwin"):
            raise AssertionError(f"{key} read during a request")
        return super().__getitem__(key)


def test_a_request_reads_the_plan_not_the_declarations(messaging: ApiRuntime) -> None:
    services = Services(messaging)
    pipeline = OperationPipeline(messaging.operations["listMessages"], services)
    pipeline.operation.spec = _Guarded(pipeline.operation.spec)
    try:
        reply = pipeline.handle(_request("GET", "/api/messages", query="limit=2", authorization=_token(messaging)))
    finally:
        pipeline.operation.spec = dict(pipeline.operation.spec)
    assert reply.status == 200, reply.body
    assert len(reply.body["messages"]) <= 2


# -- actions on an in-memory store -------------------------------------------------------------

def _request(method: str, path: str, *, query: str = "", authorization: str | None = None,
             path_params: Mapping[str, Any] | None = None) -> Request:
    headers = {"authorization": f"Bearer {authorization}"} if authorization else {}
    return Request(method, path, query, headers, b"", "127.0.0.1", dict(path_params or {}))


def _token(runtime: ApiRuntime) -> str:
    user = runtime.authenticator.config.users[0]
    status, body, _ = runtime.authenticator.perform(
        "login", {}, {"username": user["username"], "password": user["password"]}, None, {})
    assert status == 200
    return body["access_token"]


def _context(runtime: ApiRuntime, operation_id: str, *, body: Any = None, query: Mapping[str, Any] | None = None,
             path_params: Mapping[str, Any] | None = None):
    pipeline = OperationPipeline(runtime.operations[operation_id], Services(runtime))
    ctx = pipeline.context(_request("GET", "/", path_params=path_params))
    ctx.body = body
    ctx.params = {"query": dict(query or {})}
    return ctx


def test_crud_actions_create_read_update_delete(enterprise: ApiRuntime) -> None:
    where = {"collection": "gadgets"}
    created = crud.create(_context(enterprise, "createRecord", body={"data": {"name": "lamp"}}, path_params=where))
    assert created.status == 201
    record_id = created.body["id"]
    assert created.body["collection"] == "gadgets" and created.body["data"] == {"name": "lamp"}
    assert enterprise.store.get("gadgets", record_id)["data"] == {"name": "lamp"}

    one = {**where, "id": record_id}
    assert crud.get(_context(enterprise, "getRecord", path_params=one)).body["id"] == record_id
    patched = crud.update(_context(enterprise, "updateRecord", body={"data": {"colour": "red"}}, path_params=one))
    assert patched.body["data"] == {"name": "lamp", "colour": "red"}  # merged, not replaced
    crud.delete(_context(enterprise, "deleteRecord", path_params=one))
    assert enterprise.store.get("gadgets", record_id) is None


def test_listing_action_pages_and_sorts(enterprise: ApiRuntime) -> None:
    where = {"collection": "widgets-listed"}
    for name in ("a", "b", "c"):
        crud.create(_context(enterprise, "createRecord", body={"data": {"name": name}}, path_params=where))
    page = listing.list_records(_context(enterprise, "listRecords", query={"limit": 2, "offset": 0}, path_params=where))
    assert page.status == 200
    assert len(page.body["data"]) == 2
    everything = listing.list_records(_context(enterprise, "listRecords", query={"limit": 10, "offset": 0}, path_params=where))
    assert len(everything.body["data"]) == 3


def test_batch_actions_create_and_delete(enterprise: ApiRuntime) -> None:
    where = {"collection": "batched"}
    made = batch.batch_create(_context(enterprise, "batchCreateRecords", body={"records": [{"data": {"n": 1}}, {"data": {"n": 2}}]}, path_params=where))
    assert made.status in (200, 201)
    assert enterprise.store.count("batched") == 2
    ids = [r["id"] for r in enterprise.store.list("batched")]
    gone = batch.batch_delete(_context(enterprise, "batchDeleteRecords", body={"ids": [*ids, "rec_missing"]}, path_params=where))
    assert enterprise.store.count("batched") == 0
    assert gone.status == 200


def test_a_cached_principal_is_found_only_from_the_same_credential_material() -> None:
    from dataclasses import replace

    from mock_server.http.steps.credentials import PrincipalCache

    class Counting:
        def __init__(self) -> None:
            self.seen: list[Any] = []

        def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str], security: Any) -> Any:
            self.seen.append((headers.get("api_key"), query.get("key"), headers.get("cookie")))
            return object() if headers.get("api_key") == "right" or query.get("key") == "right" else None

    document = {"components": {"securitySchemes": {"h": {"type": "apiKey", "in": "header", "name": "API_KEY"},
                                                   "q": {"type": "apiKey", "in": "query", "name": "key"}}}}
    security = [{"h": []}, {"q": []}]
    plan = replace(_bare_plan(), security=security, credential_sources=credential_sources(security, document))
    cache, auth = PrincipalCache(), Counting()

    def ask(headers: dict[str, str], query: str = "") -> Any:
        return cache.authenticate(Request("GET", "/", query, headers, b"", "127.0.0.1"), plan, auth)

    first = ask({"api_key": "right"})
    assert first is not None and ask({"api_key": "right"}) is first and len(auth.seen) == 1  # remembered
    assert ask({}) is None and ask({"api_key": "wrong"}) is None  # never the remembered one
    assert ask({"api_key": "wrong"}, "key=right") is not None and ask({"api_key": "wrong"}, "key=other") is None
    assert len(auth.seen) == 5


def _bare_plan():
    from mock_server.http.plan import OperationPlan

    return OperationPlan(operation_id="op", method="get", path="/", action="documented", security=[], credential_sources=())
