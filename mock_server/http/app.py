"""One ASGI application per mocked API: HTTP by the contract's route table, plus a seam for other transports.

`create_app(target, settings)` returns the app for a bundled API name, a spec file or a
directory; tests import it, `apitwin mock` serves it with uvicorn.

How a request travels::

    MockApp (this module)
      lifespan                    -> answered here
      websocket                   -> runtime's WebSocket transport app, if any (else refused: 403)
      http  /__mock/...           -> control endpoints (journal, reset, stats, docs assets)
            docs paths (GET)      -> Swagger UI / ReDoc / the contract as JSON
            OPTIONS preflight     -> CORS answer
            everything else       -> the `RouteTable` (http/routing.py: concrete paths before
                                     templated ones, as OpenAPI says; unknown path -> 404; a
                                     method the path does not take -> 405 with Allow) ->
                                     Dispatcher -> the operation's OperationPipeline (or the
                                     GraphQL transport for ``x-apitwin-graphql``)
      then: errors rendered in the API's envelope, CORS headers, rate-limit headers, journal.

Routing is the mock's own, from the contract as written (3.1 included), not from the 3.0 view:
parameter names with hyphens or dots, literal text around parameters and the concrete-first
order are what OpenAPI defines, and a path parameter's value reaches the operation as sent, to be
deserialized and validated by its style and schema (http/parameters.py, validation). The mock
likewise validates, checks tokens and answers errors in each API's envelope itself (see
http/pipeline.py, validation, errors).

The seam for other transports: a module ``mock_server.websocket`` exposing
``build_app(runtime) -> ASGI app | None`` receives every WebSocket scope for this API (one port
serves HTTP and WebSocket), and a module ``mock_server.graphql_endpoint`` exposing the same
``build_app(runtime)`` receives the HTTP requests of operations declaring
``x-apitwin-graphql`` (the request body is replayed; ``scope["apitwin.request"]`` holds the parsed
`Request`). ``mock_server.webhooks`` is built the same way (it subscribes to the event bus). All
get the same `ApiRuntime` (store, authenticator, event bus, stats) as HTTP; a transport with a
``control(method, path)`` method answers its own ``/__mock/<path>`` endpoint (e.g. webhooks).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mock_server.http import docs, request_id
from mock_server.http.cors import CorsPolicy
from mock_server.http.errors import ErrorFormat, MockError
from mock_server.http.exchange import Reply, Request
from mock_server.http.context import Services
from mock_server.http.pipeline import OperationPipeline
from mock_server.http.journal import JournalEntry, decode_body
from mock_server.runtime import ApiRuntime
from mock_server.contracts.servers import server_path
from mock_server.http.routing import RouteTable
from mock_server.http.scenario import latency_seconds
from mock_server.settings import MockSettings

logger = logging.getLogger("apitwin.mock")

CONTROL_PREFIX = "/__mock"
DEFAULT_MAX_BODY = 1024 * 1024


class Dispatcher:
    """Runs the pipeline of the operation a request was routed to (or hands the request to the
    GraphQL transport); answers 404 and 405 for what the route table did not find."""

    def __init__(self, handlers: dict[str, OperationPipeline], transports: Transports, routes: RouteTable) -> None:
        self.handlers = handlers
        self.transports = transports
        self.routes = routes

    async def __call__(self, scope: dict[str, Any], request: Request, send: Any) -> Reply | None:
        """The reply, or None when a transport has answered on `send` itself."""
        found = self.routes.match(request.method, raw_path(scope))
        handler = self.handlers.get(found.operation_id) if found.operation_id else None
        if handler is None:
            if found.allowed:
                raise MockError(405, f"Method {request.method} not allowed on {request.path}", headers={"Allow": ", ".join(found.allowed)})
            raise MockError(404, f"No operation at {request.method} {request.path}")
        request.operation_id = found.operation_id
        request.path_params = dict(found.path_params)
        if handler.plan.graphql and self.transports.graphql is not None:
            refusal = handler.refusal(request)
            if refusal is not None:
                return refusal
            inner = dict(scope)
            inner["apitwin.request"] = request
            inner["path_params"] = dict(found.path_params)
            await self.transports.graphql(inner, _replay(request.body), send)
            return None
        return handler.handle(request)


def raw_path(scope: dict[str, Any]) -> str:
    """The request's path as sent (percent-encoding kept), so an encoded ``/`` stays in its
    parameter; the decoded path where a server gives no raw one."""
    raw = scope.get("raw_path")
    if isinstance(raw, (bytes, bytearray)) and raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return str(scope.get("path", "/"))


class Transports:
    """The non-REST sides of one API, built from the same runtime when their modules exist."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.websocket = _build_transport("mock_server.websocket", runtime)
        self.graphql = _build_transport("mock_server.graphql_endpoint", runtime)
        self.webhooks = _build_transport("mock_server.webhooks", runtime)

    def control(self, method: str, path: str) -> Any:
        """A transport's own ``/__mock`` endpoint (``control(method, path)`` -> JSON or None)."""
        for transport in (self.websocket, self.graphql, self.webhooks):
            answer = getattr(transport, "control", None)
            result = answer(method, path) if callable(answer) else None
            if result is not None:
                return result
        return None


def _build_transport(module_name: str, runtime: ApiRuntime) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    build = getattr(module, "build_app", None)
    return build(runtime) if callable(build) else None


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


def base_path_of(document: dict[str, Any]) -> str:
    """The base path to serve under: the local server entry's path, else the first server's."""
    servers = [s for s in document.get("servers") or [] if isinstance(s, dict) and "url" in s]
    chosen = next((s for s in servers if urlsplit(s["url"]).hostname in ("localhost", "127.0.0.1", "0.0.0.0")), None)
    chosen = chosen or (servers[0] if servers else None)
    return server_path(chosen) if chosen is not None else ""


class MockApp:
    """The ASGI app of one mocked API (see the module docstring for the request's route)."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.runtime = runtime
        services = self.services = Services(runtime)
        self.errors: ErrorFormat = services.errors
        self.handlers = {op_id: OperationPipeline(op, services) for op_id, op in runtime.operations.items()}
        self.transports = Transports(runtime)
        self.cors = CorsPolicy(runtime.settings.cors_origin)
        self.rng = random.Random(runtime.settings.seed + 1)
        self.base_path = base_path_of(runtime.document)
        declarations = runtime.declarations
        self.max_body = int(declarations.get("max_body_size", DEFAULT_MAX_BODY))
        self.docs_paths = self._docs_paths()
        self.routes = RouteTable(runtime.operations.values(), self.base_path)
        self.dispatcher = Dispatcher(self.handlers, self.transports, self.routes)
        self.title = str((runtime.document.get("info") or {}).get("title", runtime.name))

    def _docs_paths(self) -> dict[str, str]:
        """Declared docs paths that do not collide with one of the contract's own GET paths."""
        taken = {self.base_path + path for path, item in (self.runtime.document.get("paths") or {}).items() if isinstance(item, dict) and "get" in item}
        return {path: kind for kind, path in docs.docs_paths(self.runtime.document).items() if path not in taken}

    # -- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            if self.transports.websocket is not None:
                await self.transports.websocket(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
        elif kind == "lifespan":
            await _lifespan(receive, send)

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        self.runtime.stats.requests += 1
        request = Request.from_scope(scope, b"")
        reply: Reply | None = None
        sent = False
        try:
            request.body = await self._read_body(request, receive)
            reply = await self._route(scope, request, send)
            if reply is None:
                sent = True
        except MockError as error:
            reply = self._error_reply(error, request, scope)
        except Exception:
            reply = self._fault_reply(request, scope)
        if not sent and reply is not None:
            client_id = request_id.from_client(request.headers)
            if client_id is not None:
                reply.headers.setdefault(request_id.HEADER, client_id)
            reply.headers.update(self.cors.response_headers(request.headers, reply.headers))
            body = reply.encode()
            await send({"type": "http.response.start", "status": reply.status, "headers": reply.raw_headers(body)})
            await send({"type": "http.response.body", "body": body if request.method != "HEAD" else b""})
        if not request.path.startswith(CONTROL_PREFIX) and request.path not in self.docs_paths:
            self._journal(request, reply.status if reply else 200, started)

    async def _route(self, scope: dict[str, Any], request: Request, send: Any) -> Reply | None:
        path, method = request.path, request.method
        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            return self.control(request)
        if method in ("GET", "HEAD") and path in self.docs_paths:
            return self.docs(self.docs_paths[path])
        if self.cors.is_preflight(method, request.headers):
            headers = self.cors.preflight_headers(request.headers)
            if headers is not None:
                return Reply(204, None, headers, None)
        delay = latency_seconds(self.runtime.settings.latency, self.rng)
        if delay:
            await asyncio.sleep(delay)
        return await self.dispatcher(scope, request, send)

    async def _read_body(self, request: Request, receive: Any) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise MockError(413, f"Request body of {declared} bytes exceeds the limit of {self.max_body} bytes")
        chunks, size = [], 0
        pause = self.runtime.settings.read_timeout
        while True:
            try:  # a body that stops arriving must not hold the connection forever
                async with asyncio.timeout(pause):
                    message = await receive()
            except TimeoutError:
                raise MockError(408, f"Request body not received: nothing arrived for {pause:g} s",
                                headers={"Connection": "close"}) from None
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise MockError(413, f"Request body exceeds the limit of {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    def _fault_reply(self, request: Request, scope: dict[str, Any]) -> Reply:
        """The mock's own fault: logged once with a request id, answered 500 with the same id."""
        error = request_id.fault(request.headers, f"serving {request.method} {request.path}")
        self.runtime.stats.error()
        try:
            return self._error_reply(error, request, scope)
        except Exception:  # the operation's own error rendering failed too: the API's base envelope
            status, body, headers = self.errors.render(error)
            return Reply(status, body, dict(headers), self.errors.media_type)

    def _error_reply(self, error: MockError, request: Request | None = None, scope: dict[str, Any] | None = None) -> Reply:
        """An error raised outside an operation's handler (body too large, unknown path, wrong
        method): in the envelope of the operation the request was for, if there is one."""
        operation_id = None
        if request is not None and scope is not None:
            found = self.routes.match(request.method, raw_path(scope))
            operation_id = found.operation_id
            if operation_id is None:
                # a method the path does not document: an operation there (one in the API's own
                # envelope, not one with an envelope of its own) documents the path's error body
                others = (self.handlers.get(self.routes.match(m, raw_path(scope)).operation_id or "") for m in found.allowed)
                fallback = next((h for h in others if h is not None and not h.plan.errors), None)
                if fallback is not None:
                    return fallback.error_reply(error, {})
        if operation_id is not None and operation_id in self.handlers:
            return self.handlers[operation_id].error_reply(error, {})
        status, body, headers = self.errors.render(error)
        return Reply(status, body, dict(headers), self.errors.media_type)

    def _journal(self, request: Request, status: int, started: float) -> None:
        self.runtime.journal.record(
            JournalEntry(
                time=time.time(),
                method=request.method,
                path=request.path,
                query={k: [v for key, v in request.query_pairs if key == k] for k, _ in request.query_pairs},
                headers=dict(request.headers),
                body=decode_body(request.body, request.headers.get("content-type", "")),
                status=status,
                operation_id=request.operation_id,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        )

    # -- docs and control endpoints ------------------------------------------------------------

    def docs(self, kind: str) -> Reply:
        if kind == "spec":
            return Reply(200, self.runtime.written_json or docs.as_json(self.runtime.document), {}, "application/json")
        if kind == "ui":
            return Reply(200, docs.swagger_ui_page(self.title), {}, "text/html; charset=utf-8")
        spec_path = next((p for p, k in self.docs_paths.items() if k == "spec"), docs.VIEW_PATH)
        return Reply(200, docs.redoc_page(self.title, spec_path), {}, "text/html; charset=utf-8")

    def control(self, request: Request) -> Reply:
        """``/__mock/*``: the journal, reset, stats and the docs assets."""
        path = request.path[len(CONTROL_PREFIX):]
        method = request.method
        if path == "/requests":
            if method == "GET":
                filters = dict(parse_qsl(request.query_string))
                entries = [e.to_json() for e in self.runtime.journal.entries(filters)]
                return Reply(200, {"requests": entries, "count": len(entries)}, {}, "application/json")
            if method == "DELETE":
                self.runtime.journal.clear()
                return Reply(204, None, {}, None)
            raise MockError(405, f"{method} not allowed on {request.path}", headers={"Allow": "GET, DELETE"})
        if path == "/reset":
            if method != "POST":
                raise MockError(405, f"{method} not allowed on {request.path}", headers={"Allow": "POST"})
            self.runtime.reset()
            self.services.principals.clear()
            counts = {name: self.runtime.store.count(name) for name in self.runtime.store.collections()}
            return Reply(200, {"reset": True, "collections": counts}, {}, "application/json")
        if path == "/stats" and method == "GET":
            return Reply(200, self.runtime.stats.snapshot(), {}, "application/json")
        if path == "/openapi-3.0.json" and method == "GET":
            return Reply(200, docs.as_json(self.runtime.view), {}, "application/json")
        if path.startswith("/swagger-ui/") and method == "GET":
            asset = docs.swagger_asset(path[len("/swagger-ui/"):])
            if asset is not None:
                return Reply(200, asset[0], {"Cache-Control": "max-age=3600"}, asset[1])
        extra = self.transports.control(method, path)
        if extra is not None:
            return Reply(200, extra, {}, "application/json")
        raise MockError(404, f"No mock control endpoint at {request.path}")


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(target: str | Path, settings: MockSettings | None = None) -> MockApp:
    """The ASGI app for a bundled API name, a spec file or a directory of contracts."""
    from mock_server.contracts.bundle import resolve_target

    settings = settings or MockSettings()
    api = resolve_target(str(target))
    runtime = ApiRuntime.build(api, settings)
    return MockApp(runtime)


__all__ = ["MockApp", "create_app", "base_path_of"]
