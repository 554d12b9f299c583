"""In-process unit tests of the engine's parts: store, events, stats declarations, templates."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mock_server.app import MockApp
from mock_server.http.errors import ErrorFormat, MockError, fill
from mock_server.events import Event, EventBus
from mock_server.state.pagination import paginate
from mock_server.state.querying import parse_filter, sort_records
from mock_server.state.ratelimit import RateLimiter
from mock_server.runtime import ApiRuntime
from mock_server.settings import MockSettings, parse_latency
from mock_server.state.store import StateFileError, Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_crud_order_and_copies():
    store = Store()
    store.insert("users", {"id": "u1", "name": "a"})
    store.insert("users", {"id": "u2", "name": "b"})
    assert [r["id"] for r in store.list("users")] == ["u1", "u2"]
    copy = store.get("users", "u1")
    copy["name"] = "changed"
    assert store.get("users", "u1")["name"] == "a"
    assert store.patch("users", "u1", {"age": 3}) == {"id": "u1", "name": "a", "age": 3}
    assert store.replace("users", "u2", {"name": "c"}) == {"id": "u2", "name": "c"}
    assert store.find("users", name="c") == [{"id": "u2", "name": "c"}]
    assert store.delete("users", "u1")["id"] == "u1"
    assert store.get("users", "u1") is None and store.delete("users", "u1") is None
    assert store.patch("users", "missing", {}) is None


def test_store_revision_changes_on_every_write():
    store = Store()
    seen = {store.revision("c")}
    store.insert("c", {"id": 1})
    seen.add(store.revision("c"))
    store.patch("c", 1, {"x": 1})
    seen.add(store.revision("c"))
    store.delete("c", 1)
    seen.add(store.revision("c"))
    assert len(seen) == 4


def test_store_expiry_with_a_clock():
    clock = Clock()
    store = Store(clock=clock)
    store.insert("flash", {"id": "r1"}, expires_at=1010.0)
    store.insert("flash", {"id": "r2"})
    clock.now = 1009.0
    assert store.count("flash") == 2
    clock.now = 1010.0
    assert [r["id"] for r in store.list("flash")] == ["r2"]


def test_store_reset_loads_fixtures_and_keys():
    store = Store()
    store.insert("keys", {"key_id": "k1"}, key="key_id")
    assert store.get("keys", "k1") == {"key_id": "k1"}
    store.reset({"users": [{"id": 1}, {"id": 2}]})
    assert store.collections() == ["users"] and store.count("users") == 2 and store.count("keys") == 0


def test_store_sqlite_survives_reopen(tmp_path):
    path = tmp_path / "state.sqlite3"
    store = Store(path)
    store.reset({"users": [{"id": "a"}]})
    store.insert("users", {"id": "b", "n": 1})
    store.delete("users", "a")
    store.close()
    again = Store(path)
    assert again.list("users") == [{"id": "b", "n": 1}]


def test_store_rejects_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "not.sqlite3"
    path.write_text("hello, this is not a database" * 100)
    with pytest.raises(StateFileError, match="not a usable state file"):
        Store(path)


def test_event_bus_patterns_unsubscribe_and_isolation():
    bus = EventBus()
    got: list[str] = []
    bus.subscribe("message.*", lambda e: got.append("m:" + e.name))
    stop = bus.subscribe("*", lambda e: got.append("all:" + e.name))
    bus.subscribe("user.updated", lambda e: 1 / 0)  # a broken subscriber must not stop the others
    bus.publish(Event("message.created", {"id": 1}))
    bus.publish(Event("user.updated", {"id": 2}))
    stop()
    bus.publish(Event("message.deleted", {}))
    assert got == ["m:message.created", "all:message.created", "all:user.updated", "m:message.deleted"]


def test_error_templates_replace_whole_values_and_drop_missing():
    assert fill({"error": {"code": "{code}", "details": "{details}", "text": "at {status}"}}, {"code": "X", "details": None, "status": 404}) == {
        "error": {"code": "X", "text": "at 404"}
    }
    rendered = ErrorFormat({"body": {"detail": "{message}"}, "validation_status": 422, "validation_body": {"detail": "{errors}"}})
    errors = [{"loc": ["body", "email"], "msg": "field required", "type": "value_error.missing"}]
    assert rendered.render(MockError(400, errors=errors, validation=True))[:2] == (422, {"detail": errors})
    assert rendered.render(MockError(404, "User 7 not found"))[:2] == (404, {"detail": "User 7 not found"})


def test_filter_language_and_errors():
    records = [{"id": 1, "data": {"price": 5, "tag": "a"}}, {"id": 2, "data": {"price": 50, "tag": "b"}}]
    keep = parse_filter("price:gte:10;tag:in:b,c", nested_in="data")
    assert [r["id"] for r in records if all(p(r) for p in keep)] == [2]
    for bad in ("price", "price:between:1", "price:eq:", ":eq:1"):
        with pytest.raises(MockError) as caught:
            parse_filter(bad)
        assert caught.value.status == 400 and bad in caught.value.message


def test_sort_puts_missing_values_last_and_is_stable():
    records = [{"id": 1, "n": 2}, {"id": 2}, {"id": 3, "n": 1}, {"id": 4, "n": 2}]
    assert [r["id"] for r in sort_records(records, {"param": "sort"}, {"sort": "n"})] == [3, 1, 4, 2]
    assert [r["id"] for r in sort_records(records, {"param": "sort"}, {"sort": "-n"})] == [1, 4, 3, 2]


def test_cursor_pagination_facts():
    records = [{"id": str(n)} for n in range(5)]
    page = paginate(records, {"style": "cursor", "next": "before"}, {"limit": 2, "before": "1"})
    assert [r["id"] for r in page.items] == ["2", "3"]
    assert page.facts["has_more"] is True and page.facts["next_cursor"] == "3" and page.facts["page"] == 2
    assert paginate(records, {"style": "cursor", "next": "before"}, {"limit": 2, "before": "nope"}).items == []


def test_cursor_pagination_continues_with_after_by_default():
    records = [{"id": str(n)} for n in range(5)]
    first = paginate(records, {"style": "cursor"}, {"limit": 2})
    assert [r["id"] for r in first.items] == ["0", "1"] and first.facts["next_cursor"] == "1"
    second = paginate(records, {"style": "cursor"}, {"limit": 2, "after": first.facts["next_cursor"]})
    assert [r["id"] for r in second.items] == ["2", "3"] and second.facts["next_cursor"] == "3"
    assert [r["id"] for r in paginate(records, {"style": "cursor"}, {"limit": 2, "before": "3"}).items] == ["1", "2"]


def test_latency_option_parsing():
    assert parse_latency("50-200") == (50, 200) and parse_latency("10") == (10, 10)
    with pytest.raises(ValueError):
        parse_latency("200-50")


STATS_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "stats", "version": "1"},
    "paths": {
        "/health": {
            "get": {
                "operationId": "health",
                "x-apitwin-stats": {"active_connections": "active_connections", "limits.max": "max_connections", "uptime_seconds": "uptime_seconds"},
                "x-apitwin-capacity": {"status": 503},
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "object", "required": ["status"], "properties": {
                            "status": {"const": "healthy"}, "active_connections": {"type": "integer"}, "uptime_seconds": {"type": "integer"},
                            "limits": {"type": "object", "properties": {"max": {"type": "integer"}}}}},
                        "example": {"status": "healthy", "active_connections": 99, "uptime_seconds": 3600, "limits": {"max": 1}}}}},
                    "503": {"description": "full", "content": {"application/json": {
                        "schema": {"type": "object", "required": ["status", "reason"], "properties": {
                            "status": {"const": "unhealthy"}, "reason": {"type": "string"}, "active_connections": {"type": "integer"}}},
                        "example": {"status": "unhealthy", "reason": "At capacity", "active_connections": 1}}}},
                },
            }
        },
        "/things": {
            "post": {
                "operationId": "createThing",
                "x-apitwin-events": ["thing.announced"],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
                "responses": {"201": {"description": "made", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
            }
        },
        "/things/{id}": {
            "delete": {"operationId": "deleteThing", "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                       "responses": {"204": {"description": "gone"}, "404": {"description": "missing"}}},
        },
    },
    "components": {"schemas": {"Thing": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}}}}},
}


class OpenDoor:
    def authenticate(self, headers, query, security):
        return None


def in_process(document: dict, **settings) -> MockApp:
    runtime = ApiRuntime.from_document(document, MockSettings(**settings), name="unit", authenticator=OpenDoor(), limiter=RateLimiter([], enabled=False), fixtures={})
    return MockApp(runtime)


async def call(app: MockApp, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://unit") as http:
        return await http.request(method, path, **kwargs)


def test_stats_declaration_fills_live_figures_and_capacity():
    app = in_process(STATS_DOCUMENT, max_connections=3)
    stats = app.runtime.stats
    stats.connection_opened()
    healthy = asyncio.run(call(app, "GET", "/health")).json()
    assert healthy == {"status": "healthy", "active_connections": 1, "uptime_seconds": 0, "limits": {"max": 3}}
    stats.connection_opened()
    stats.connection_opened()
    full = asyncio.run(call(app, "GET", "/health"))
    assert full.status_code == 503
    assert full.json() == {"status": "unhealthy", "reason": "At capacity", "active_connections": 3}


def test_resource_changes_publish_events():
    app = in_process(STATS_DOCUMENT)
    seen: list[tuple[str, dict]] = []
    app.runtime.events.subscribe("*", lambda event: seen.append((event.name, event.data)))
    created = asyncio.run(call(app, "POST", "/things", json={"name": "lamp"})).json()
    assert asyncio.run(call(app, "DELETE", f"/things/{created['id']}")).status_code == 204
    assert [name for name, _ in seen] == ["thing.created", "thing.announced", "thing.deleted"]
    assert seen[0][1] == created


def test_a_lone_surrogate_is_a_validation_problem_not_a_crash():
    """JSON can spell "\\ud800"; schemas with patterns make the validator raise on such text."""
    from mock_server.http.validation import SchemaCompiler

    compiler = SchemaCompiler({"openapi": "3.1.0"})
    schema = {"type": "object", "properties": {"id": {"type": "string", "pattern": "^[a-z]+$"}}}
    problems = compiler.problems(schema, {"id": "\ud800"}, ["body"])
    assert problems and problems[0]["type"] == "value_error.unicode" and problems[0]["loc"] == ["body"]
    assert compiler.is_valid(schema, {"id": "\ud800"}) is False
    assert compiler.problems(schema, {"id": "abc"}, ["body"]) == []
