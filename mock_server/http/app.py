"""One ASGI application per mocked API: HTTP through Connexion, plus a seam for other transports.

`create_app(target, settings)` returns the app for a bundled API name, a spec file or a
directory; tests import it, `apitwin mock` serves it with uvicorn.

How a request travels::

    MockApp (this module)
      lifespan                    -> answered here
      websocket                   -> runtime's WebSocket transport app, if any (else refused: 403)
      http  /__mock/...           -> control endpoints (journal, reset, stats, docs assets)
            docs paths (GET)      -> Swagger UI / ReDoc / the contract as JSON
            OPTIONS preflight     -> CORS answer
            everything else       -> Connexion's RoutingMiddleware (routes by the contract's
                                     3.0 view; unknown path -> operation None; wrong method ->
                                     405) -> Dispatcher -> the operation's OperationPipeline
                                     (or the GraphQL transport for ``x-apitwin-graphql``)
      then: errors rendered in the API's envelope, CORS headers, rate-limit headers, journal.

Connexion's own request validation, security and problem+json answers are deliberately left
out of the stack: the mock validates against the contract as written (3.1 included), checks
tokens with the authenticator, and answers in each API's envelope (see http/pipeline.py, validation,
errors). Its custom `MockResolver` maps every operationId to that operation's pipeline.

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
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connexion.middleware.main import API, ConnexionMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.resolver import Resolution, Resolver
from connexion.spec import OpenAPISpecification
from starlette.exceptions import HTTPException

from mock_server.http import docs
from mock_server.http.cors import CorsPolicy
from mock_server.http.errors import ErrorFormat, MockError
from mock_server.http.exchange import Reply, Request
from mock_server.http.context import Services
from mock_server.http.pipeline import OperationPipeline
from mock_server.http.journal import JournalEntry, decode_body
from mock_server.contracts.downgrade import routing_view
from mock_server.contracts.operations import _fallback_id
from mock_server.runtime import ApiRuntime
from mock_server.http.scenario import latency_seconds
from mock_server.settings import MockSettings

logger = logging.getLogger("apitwin.mock")

CONTROL_PREFIX = "/__mock"
DEFAULT_MAX_BODY = 1024 * 1024


class _ContractView(OpenAPISpecification):
    """The 3.0 view as Connexion's specification, without Connexion's JSON Schema pass over
    the whole document: the mock has checked the contract already (the downgrade, the
    operation index, every schema compiled for validation), and that pass would double the
    start-up time."""

    @classmethod
    def _validate_spec(cls, spec: Any) -> None:
        return None


class MockResolver(Resolver):
    """Resolves every operation of the contract to its `OperationPipeline`."""

    def __init__(self, handlers: dict[str, OperationPipeline]) -> None:
        super().__init__()
        self.handlers = handlers

    def resolve(self, operation: Any) -> Resolution:
        operation_id = self.resolve_operation_id(operation)
        return Resolution(self.handlers[operation_id].handle, operation_id)

    def resolve_operation_id(self, operation: Any) -> str:
        return operation.operation_id or _fallback_id(operation.method, operation.path)


class _Exchange:
    """Carries the parsed request into Connexion's routing and the reply back out."""

    __slots__ = ("request", "reply", "sent")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.reply: Reply | None = None
        self.sent = False


class Dispatcher:
    """The innermost ASGI app: runs the handler of the operation Connexion routed to."""

    def __init__(self, handlers: dict[str, OperationPipeline], transports: Transports) -> None:
        self.handlers = handlers
        self.transports = transports

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        exchange: _Exchange = scope["apitwin.exchange"]
        routing = (scope.get("extensions") or {}).get("connexion_routing") or {}
        operation_id = routing.get("operation_id")
        handler = self.handlers.get(operation_id) if operation_id else None
        request = exchange.request
        if handler is None:
            raise MockError(404, f"No operation at {request.method} {request.path}")
        request.operation_id = operation_id
        request.path_params = dict(scope.get("path_params") or {})
        if handler.plan.graphql and self.transports.graphql is not None:
            refusal = handler.refusal(request)
            if refusal is not None:
                exchange.reply = refusal
                return
            exchange.sent = True
            await self.transports.graphql(scope, _replay(request.body), send)
            return
        exchange.reply = handler.handle(request)


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
    if chosen is None:
        return ""
    url = chosen["url"]
    for name, variable in (chosen.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    path = urlsplit(url).path if "://" in url else url
    return path.rstrip("/")


class PathIndex:
    """Which documented operations a concrete path belongs to (for Allow and error envelopes)."""

    def __init__(self, operations: Any, base_path: str) -> None:
        entries = []
        for operation in operations:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(base_path + operation.path))
            entries.append((operation.path.count("{"), re.compile(pattern + "$"), operation.method.upper(), operation.operation_id))
        self.entries = sorted(entries, key=lambda e: e[0])

    def _matching(self, path: str) -> list[tuple[str, str]]:
        found, best = [], None
        for params, regex, method, operation_id in self.entries:
            if regex.match(path):
                if best is None:
                    best = params
                if params == best:
                    found.append((method, operation_id))
        return found

    def allowed(self, path: str) -> list[str]:
        return sorted({method for method, _ in self._matching(path)})

    def operation_id(self, method: str, path: str) -> str | None:
        return next((operation_id for m, operation_id in self._matching(path) if m == method), None)


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
        self.paths = PathIndex(runtime.operations.values(), self.base_path)
        self.title = str((runtime.document.get("info") or {}).get("title", runtime.name))
        self.connexion = ConnexionMiddleware(
            Dispatcher(self.handlers, self.transports),
            middlewares=[RoutingMiddleware],
            resolver=MockResolver(self.handlers),
        )
        options = self.connexion.options.replace(resolver=MockResolver(self.handlers))
        self.connexion.apis.append(API(_ContractView(routing_view(runtime.view)), base_path=self.base_path, **options.__dict__))
        # Route table now, not on the first request: start-up errors surface at start-up.
        self.connexion.app, self.connexion.middleware_stack = self.connexion._build_middleware_stack()

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
            reply = self._error_reply(error, request)
        except HTTPException as error:
            headers = dict(error.headers or {})
            if error.status_code == 405:
                headers["Allow"] = ", ".join(self.paths.allowed(request.path)) or headers.get("Allow", "")
            reply = self._error_reply(MockError(error.status_code, _http_message(error, request), headers=headers), request)
        except Exception:
            logger.exception("unexpected error serving %s %s", request.method, request.path)
            self.runtime.stats.error()
            reply = self._error_reply(MockError(500))
        if not sent and reply is not None:
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
        exchange = _Exchange(request)
        inner_scope = dict(scope)
        inner_scope["apitwin.exchange"] = exchange
        inner_scope["apitwin.request"] = request
        started = {"sent": False}

        async def tracking_send(message: dict[str, Any]) -> None:
            started["sent"] = True
            await send(message)

        await self.connexion(inner_scope, _replay(request.body), tracking_send)
        if exchange.sent or started["sent"]:
            return None
        return exchange.reply

    async def _read_body(self, request: Request, receive: Any) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise MockError(413, f"Request body of {declared} bytes exceeds the limit of {self.max_body} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
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

    def _error_reply(self, error: MockError, request: Request | None = None) -> Reply:
        """An error raised outside an operation's handler (body too large, unknown path, wrong
        method): in the envelope of the operation the request was for, if there is one."""
        operation_id = self.paths.operation_id(request.method, request.path) if request is not None else None
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
            return Reply(200, docs.as_json(self.runtime.document), {}, "application/json")
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


def _http_message(error: HTTPException, request: Request) -> str:
    if error.status_code == 405:
        return f"Method {request.method} not allowed on {request.path}"
    if error.status_code == 404:
        return f"No operation at {request.method} {request.path}"
    return str(error.detail)


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


__all__ = ["MockApp", "MockResolver", "create_app", "base_path_of"]
