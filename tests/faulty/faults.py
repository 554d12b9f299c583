"""One mistake at a time, injected into a correct implementation.

A faulty server is a correct upstream app (the toy app, or the mock of a bundled API) behind
`FaultMiddleware`, which makes exactly one mistake a real backend team makes: a 500 on an edge
input, a dropped required field, a wrong status, an ignored token, a delete that does not
delete, a missing Pong, a fan-out that never arrives, ... Each fault is a small function that
reads the contract, so the same fault applies to any API; the contract is the only thing that
tells it which field is required or which frame is the Pong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from conformance.contract import Contract, Operation, dig

Scope = dict[str, Any]


@dataclass
class HttpExchange:
    """One buffered HTTP request/response a fault may rewrite."""

    method: str
    path: str  # without the base path
    query: dict[str, str]
    headers: dict[str, str]
    operation: Operation | None
    status: int = 200
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()
        self.set_header("content-type", "application/json")

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers:
            if key.decode().lower() == name.lower():
                return value.decode()
        return None

    def set_header(self, name: str, value: str | None) -> None:
        self.response_headers = [(k, v) for k, v in self.response_headers if k.decode().lower() != name.lower()]
        if value is not None:
            self.response_headers.append((name.lower().encode(), value.encode()))


@dataclass
class FaultState:
    """What a fault remembers while the server runs (e.g. a token it saw work)."""

    contract: Contract
    good_authorization: str | None = None
    good_ws_query: bytes | None = None
    #: anything else a fault keeps between requests (an answer to replay, a token seen)
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    name: str
    mistake: str
    on_request: Callable[[FaultState, HttpExchange], HttpExchange | None] | None = None  # return = answer now
    on_response: Callable[[FaultState, HttpExchange], None] | None = None
    on_handshake: Callable[[FaultState, Scope], Scope] | None = None
    on_frame: Callable[[FaultState, dict], dict | None] | None = None  # None drops the frame
    #: a client frame on its way to the server (None drops it)
    on_client_frame: Callable[[FaultState, dict], dict | None] | None = None


FAULTS: dict[str, Fault] = {}


def fault(name: str, mistake: str, **hooks: Any) -> Fault:
    FAULTS[name] = Fault(name=name, mistake=mistake, **hooks)
    return FAULTS[name]


# ---- contract helpers ----------------------------------------------------------------------
def match_operation(contract: Contract, method: str, path: str) -> Operation | None:
    for operation in contract.operations.values():
        if operation.method == method.lower() and path_regex(operation.path).fullmatch(path):
            return operation
    return None


def path_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def response_schema(contract: Contract, exchange: HttpExchange) -> dict | None:
    if exchange.operation is None:
        return None
    response = contract.response_for(exchange.operation, exchange.status) or {}
    for media_type, media in (response.get("content") or {}).items():
        if "json" in media_type and isinstance(media, dict):
            return contract.resolve(media.get("schema") or {})
    return None


def target_objects(contract: Contract, exchange: HttpExchange, body: Any) -> tuple[list[dict], dict]:
    """The response's resource objects (the body, its list items) and their schema.

    Auth operations are left alone: a fault in the login would hide every other fault."""
    if exchange.operation is None or exchange.operation.extension("auth"):
        return [], {}
    schema = response_schema(contract, exchange) or {}
    declaration = exchange.operation.extension("pagination") if exchange.operation else None
    if declaration:
        items = dig(body, declaration.get("items", "data") or "")
        item_schema = contract.resolve(dig_schema(contract, schema, declaration.get("items", "data") or ""))
        if isinstance(items, list):
            return [item for item in items if isinstance(item, dict)], item_schema
    if schema.get("type") == "array" or isinstance(body, list):
        return [item for item in body or [] if isinstance(item, dict)], contract.resolve(schema.get("items") or {})
    return ([body] if isinstance(body, dict) else []), schema


def dig_schema(contract: Contract, schema: dict, path: str) -> dict:
    for part in [p for p in path.split(".") if p]:
        schema = contract.resolve((schema.get("properties") or {}).get(part) or {})
    return contract.resolve(schema.get("items") or {}) if schema.get("type") == "array" else schema


def first_required(contract: Contract, schema: dict, objects: list[dict]) -> str | None:
    for name in schema.get("required") or []:
        if objects and all(name in item for item in objects):
            return name
    return None


def asyncapi_type(contract: Contract, message_name: str) -> str | None:
    """The `type` constant of a message's payload: how a frame of that message is recognised."""
    document = contract.asyncapi
    for channel in (document.get("channels") or {}).values():
        message = (channel.get("messages") or {}).get(message_name)
        if message is None:
            continue
        message = resolve_in(document, message)
        payload = resolve_in(document, message.get("payload") or {})
        kind = resolve_in(document, (payload.get("properties") or {}).get("type") or {})
        if "const" in kind:
            return kind["const"]
        if len(kind.get("enum") or []) == 1:
            return kind["enum"][0]
    return None


def resolve_in(document: dict, node: Any) -> Any:
    from conformance.contract import pointer_get

    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = pointer_get(document, node["$ref"])
    return node


def operations_where(contract: Contract, predicate: Callable[[str, dict], bool]) -> list[dict]:
    return [op for name, op in (contract.asyncapi.get("operations") or {}).items() if predicate(name, op)]


def message_names(refs: list) -> list[str]:
    return [ref["$ref"].rsplit("/", 1)[-1] for ref in refs or [] if isinstance(ref, dict) and "$ref" in ref]


def frame_types(contract: Contract, names: list[str]) -> set[str]:
    return {kind for name in names if (kind := asyncapi_type(contract, name)) is not None}


# ---- HTTP faults ---------------------------------------------------------------------------
def _edge_500(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    if exchange.operation is None:
        return None
    for parameter in exchange.operation.definition.get("parameters") or []:
        parameter = state.contract.resolve(parameter)
        schema = state.contract.resolve(parameter.get("schema") or {})
        value = exchange.query.get(parameter.get("name", ""))
        if parameter.get("in") == "query" and value is not None and "maximum" in schema and value == str(schema["maximum"]):
            exchange.status = 500
            exchange.response_headers = [(b"content-type", b"text/plain")]
            exchange.body = b"Internal Server Error"
            return exchange
    return None


fault("server_error_on_edge", "a 500 when a numeric query parameter sits on its documented maximum", on_request=_edge_500)


def _drop_required(state: FaultState, exchange: HttpExchange) -> None:
    body = exchange.json()
    if not 200 <= exchange.status < 300 or body is None:
        return
    objects, schema = target_objects(state.contract, exchange, body)
    name = first_required(state.contract, schema, objects)
    if name:
        for item in objects:
            item.pop(name, None)
        exchange.set_json(body)


fault("missing_required_field", "a required response field is left out", on_response=_drop_required)


def _wrong_type(state: FaultState, exchange: HttpExchange) -> None:
    body = exchange.json()
    if not 200 <= exchange.status < 300 or body is None:
        return
    objects, schema = target_objects(state.contract, exchange, body)
    name = first_required(state.contract, schema, objects)
    if name:
        for item in objects:
            value = item[name]
            item[name] = 12345 if isinstance(value, str) else str(value)
        exchange.set_json(body)


fault("wrong_type", "a response field has the wrong JSON type (a number as a string, ...)", on_response=_wrong_type)


def _created_as_200(state: FaultState, exchange: HttpExchange) -> None:
    if exchange.status == 201:
        exchange.status = 200


fault("wrong_status_code", "a create answers 200 instead of the documented 201", on_response=_created_as_200)


def _ignore_token(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    auth = exchange.headers.get("authorization")
    if exchange.operation is not None and exchange.operation.is_protected and state.good_authorization:
        if auth != state.good_authorization:
            exchange.headers["authorization"] = state.good_authorization
    return None


def _remember_token(state: FaultState, exchange: HttpExchange) -> None:
    auth = exchange.headers.get("authorization")
    if auth and 200 <= exchange.status < 300 and exchange.operation is not None and exchange.operation.is_protected:
        state.good_authorization = state.good_authorization or auth


fault("ignored_token", "protected operations serve any caller once one token has worked", on_request=_ignore_token, on_response=_remember_token)


def _forbidden_for_unauthenticated(state: FaultState, exchange: HttpExchange) -> None:
    if exchange.status == 401:
        exchange.status = 403


fault("forbidden_instead_of_unauthorized", "a missing or bad token answers 403 instead of 401", on_response=_forbidden_for_unauthenticated)


def _plain_error(state: FaultState, exchange: HttpExchange) -> None:
    if exchange.status >= 400 and exchange.method != "HEAD":
        exchange.set_json({"message": f"request failed with status {exchange.status}", "status": exchange.status})


fault("wrong_error_envelope", "errors use a generic {message, status} body instead of the API's envelope", on_response=_plain_error)


def _off_by_one(state: FaultState, exchange: HttpExchange) -> None:
    declaration = exchange.operation.extension("pagination") if exchange.operation else None
    body = exchange.json()
    if not declaration or not 200 <= exchange.status < 300 or body is None:
        return
    path = declaration.get("items", "data") or ""
    items = dig(body, path)
    if isinstance(items, list) and items:
        items.pop()
        exchange.set_json(body)


fault("off_by_one_page", "every page loses its last item (an off-by-one in the slice)", on_response=_off_by_one)


def _no_delete(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    if exchange.method == "DELETE" and exchange.operation is not None:
        exchange.method = "GET"
        exchange.headers["x-fault-was-delete"] = "1"
    return None


def _deleted(state: FaultState, exchange: HttpExchange) -> None:
    if exchange.headers.get("x-fault-was-delete") and 200 <= exchange.status < 300:
        exchange.status = 204
        exchange.body = b""
        exchange.set_header("content-type", None)


fault("delete_does_not_delete", "DELETE answers 204 but the resource stays", on_request=_no_delete, on_response=_deleted)


def _strip(prefix: str) -> Callable[[FaultState, HttpExchange], None]:
    def strip(state: FaultState, exchange: HttpExchange) -> None:
        exchange.response_headers = [
            (key, value) for key, value in exchange.response_headers if not key.decode().lower().startswith(prefix)
        ]

    return strip


fault("missing_rate_limit_header", "X-RateLimit-Remaining is forgotten while the other rate-limit headers are sent", on_response=_strip("x-ratelimit-remaining"))
fault("missing_pagination_headers", "the X-Pagination-* headers are not sent", on_response=_strip("x-pagination-"))


def _total_header_plus_one(state: FaultState, exchange: HttpExchange) -> None:
    value = exchange.header("x-pagination-total")
    if value is not None and value.isdigit():
        exchange.set_header("x-pagination-total", str(int(value) + 1))


fault("pagination_header_mismatch", "X-Pagination-Total counts one more item than the body's total", on_response=_total_header_plus_one)


def _any_method(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    known_path = any(path_regex(op.path).fullmatch(exchange.path) for op in state.contract.operations.values())
    if known_path and exchange.operation is None and exchange.method not in ("HEAD", "OPTIONS"):
        exchange.status = 200
        exchange.response_headers = [(b"content-type", b"application/json")]
        exchange.body = b"{}"
        return exchange
    return None


fault("undocumented_method_accepted", "an undocumented method answers 200 instead of 405", on_request=_any_method)


def _express_not_found(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    if exchange.operation is None and exchange.method not in ("HEAD", "OPTIONS"):
        exchange.status = 404
        exchange.response_headers = [(b"content-type", b"text/html; charset=utf-8")]
        exchange.body = f"Cannot {exchange.method} {exchange.path}".encode()
        return exchange
    return None


# Not a fault: what Express does where a document is silent. The suite must warn, not fail.
fault("undocumented_method_404", "an undocumented method is answered 404 without Allow, as Express does", on_request=_express_not_found)


def _accept_invalid(state: FaultState, exchange: HttpExchange) -> None:
    validation = {400, 422, state.contract.errors.get("validation_status", 400)}
    if exchange.status in validation and exchange.method in ("POST", "PUT", "PATCH"):
        exchange.status = 200
        exchange.set_json({})


fault("accepts_invalid_input", "bodies that break the contract are accepted with 200", on_response=_accept_invalid)


def _text_plain(state: FaultState, exchange: HttpExchange) -> None:
    if 200 <= exchange.status < 300 and exchange.body:
        exchange.set_header("content-type", "text/plain; charset=utf-8")


fault("wrong_content_type", "JSON answers are labelled text/plain", on_response=_text_plain)


# ---- GraphQL faults ------------------------------------------------------------------------
def _graphql_negative_500(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    if exchange.operation is not None and exchange.operation.extension("graphql") and re.search(rb":\s*-\d", exchange.body or b""):
        exchange.status = 500
        exchange.response_headers = [(b"content-type", b"text/plain")]
        exchange.body = b"Internal Server Error"
        return exchange
    return None


fault("graphql_server_error", "a GraphQL query with a negative argument crashes the resolver (500)", on_request=_graphql_negative_500)


def _graphql_errors_as_string(state: FaultState, exchange: HttpExchange) -> None:
    if exchange.operation is not None and exchange.operation.extension("graphql") and exchange.status == 200:
        body = exchange.json()
        if isinstance(body, dict):
            exchange.set_json({"result": body.get("data"), "error": "none"})


fault("graphql_wrong_shape", "GraphQL answers are not {data, errors} (a custom wrapper instead)", on_response=_graphql_errors_as_string)


# ---- WebSocket faults ----------------------------------------------------------------------
def _first_integer_to_string(value: Any) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, int) and not isinstance(item, bool):
                value[key] = str(item)
                return True
            if _first_integer_to_string(item):
                return True
    elif isinstance(value, list):
        return any(_first_integer_to_string(item) for item in value)
    return False


def _wrong_frame(state: FaultState, frame: dict) -> dict | None:
    _first_integer_to_string(frame)
    return frame


fault("ws_wrong_frame", "server frames carry numbers as strings", on_frame=_wrong_frame)


def _drop_types(select: Callable[[FaultState], set[str]]) -> Callable[[FaultState, dict], dict | None]:
    def drop(state: FaultState, frame: dict) -> dict | None:
        return None if frame.get("type") in select(state) else frame

    return drop


def _pong_types(state: FaultState) -> set[str]:
    ops = operations_where(state.contract, lambda name, op: op.get("action") == "receive" and "ping" in name.lower())
    return frame_types(state.contract, [n for op in ops for n in message_names((op.get("reply") or {}).get("messages"))])


def _reply_types(state: FaultState) -> set[str]:
    ops = operations_where(state.contract, lambda name, op: op.get("action") == "receive" and op.get("reply"))
    return frame_types(state.contract, message_names((ops[0].get("reply") or {}).get("messages"))) if ops else set()


def _fanout_types(state: FaultState) -> set[str]:
    names = [
        (op.get("x-apitwin-effect") or {}).get(kind, {}).get("message")
        for op in operations_where(state.contract, lambda name, op: True)
        for kind in ("fanout", "deliver")
    ]
    return frame_types(state.contract, [name for name in names if name])


def _error_types(state: FaultState) -> set[str]:
    names = [
        channel.get("x-apitwin-error-message")
        for channel in (state.contract.asyncapi.get("channels") or {}).values()
    ]
    return frame_types(state.contract, [name for name in names if name])


def _event_types(state: FaultState) -> set[str]:
    ops = operations_where(state.contract, lambda name, op: op.get("action") == "send" and op.get("x-apitwin-events"))
    return frame_types(state.contract, [n for op in ops for n in message_names(op.get("messages"))])


def _welcome_types(state: FaultState) -> set[str]:
    ops = operations_where(state.contract, lambda name, op: op.get("x-apitwin-trigger") == "connect")
    return frame_types(state.contract, [n for op in ops for n in message_names(op.get("messages"))])


fault("ws_missing_pong", "an application Ping is never answered with its Pong", on_frame=_drop_types(_pong_types))
fault("ws_missing_reply", "a client message that expects a reply (ack, echo) gets none", on_frame=_drop_types(_reply_types))
fault("ws_no_fanout", "a broadcast or direct message never reaches the other connections", on_frame=_drop_types(_fanout_types))
fault("ws_no_error_frame", "an invalid client frame is silently ignored (no error frame)", on_frame=_drop_types(_error_types))
fault("ws_missing_rest_event", "a REST call never produces its WebSocket event", on_frame=_drop_types(_event_types))
fault("ws_no_welcome", "the welcome message is not sent on connect", on_frame=_drop_types(_welcome_types))


def _refuse_event_triggers(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    """A REST call that would emit a WebSocket event is refused 429, with no hint how long to
    wait: the event check has nothing to test (neither a pass nor a failure)."""
    if exchange.operation is None or not exchange.operation.extension("events"):
        return None
    exchange.status = 429
    exchange.set_json({"error": "rate limited"})
    return exchange


fault("rest_trigger_refused", "a REST call that emits an event is refused 429", on_request=_refuse_event_triggers)


def _copied_reply_targets(state: FaultState) -> dict[str, list[str]]:
    """Reply frame type -> the paths its `reply_copy` fills from the client's frame."""
    found: dict[str, list[str]] = {}
    for op in operations_where(state.contract, lambda name, op: op.get("action") == "receive" and op.get("reply")):
        copies = (op.get("x-apitwin-effect") or {}).get("reply_copy") or {}
        paths = [target for target, source in copies.items() if isinstance(source, str) and not source.startswith(("$", "'"))]
        for kind in frame_types(state.contract, message_names((op.get("reply") or {}).get("messages"))):
            found.setdefault(kind, []).extend(paths)
    return found


def _alter_echo(state: FaultState, frame: dict) -> dict | None:
    for path in _copied_reply_targets(state).get(frame.get("type"), []):
        parts = path.split(".")
        node = frame
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and parts[-1] in node:
            value = node[parts[-1]]
            node[parts[-1]] = value + 1 if isinstance(value, int) and not isinstance(value, bool) else f"{value}!"
            return frame
    return frame


fault("ws_echo_altered", "a reply does not echo what the client sent (a copied field comes back changed)", on_frame=_alter_echo)


TOKEN_QUERY_NAMES = (b"token", b"access_token")


def _accept_any_token(state: FaultState, scope: Scope) -> Scope:
    query = dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
    headers = dict(scope.get("headers") or [])
    carries = any(name.decode() in query for name in TOKEN_QUERY_NAMES) or b"authorization" in headers
    if not carries:
        return scope
    if state.good_ws_query is None:
        state.good_ws_query = scope.get("query_string", b"") if any(n.decode() in query for n in TOKEN_QUERY_NAMES) else None
        if state.good_authorization is None and b"authorization" in headers:
            state.good_authorization = headers[b"authorization"].decode()
        return scope
    scope = dict(scope)
    if any(name.decode() in query for name in TOKEN_QUERY_NAMES):
        scope["query_string"] = state.good_ws_query
    return scope


fault("ws_accepts_bad_token", "the WebSocket handshake never checks the token after the first one", on_handshake=_accept_any_token)


# ---- the middleware ------------------------------------------------------------------------
class FaultMiddleware:
    """ASGI middleware applying one `Fault` to everything the upstream app sends."""

    def __init__(self, app: Any, fault_: Fault, contract: Contract, base_path: str = "") -> None:
        self.app = app
        self.fault = fault_
        self.state = FaultState(contract=contract)
        self.base_path = base_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] == "http" and (self.fault.on_request or self.fault.on_response):
            await self.http(scope, receive, send)
        elif scope["type"] == "websocket" and (self.fault.on_frame or self.fault.on_handshake or self.fault.on_client_frame):
            await self.websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Callable, send: Callable) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        relative = path[len(self.base_path):] if self.base_path and path.startswith(self.base_path) else path
        exchange = HttpExchange(
            method=scope["method"],
            path=relative,
            query=dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)),
            headers={key.decode().lower(): value.decode("latin-1") for key, value in scope.get("headers") or []},
            operation=match_operation(self.state.contract, scope["method"], relative),
        )
        exchange.body = b"".join(chunks)
        query = dict(exchange.query)
        answered = self.fault.on_request(self.state, exchange) if self.fault.on_request else None
        request_body = exchange.body  # a fault may rewrite the request (its body, its query)
        if answered is None:
            upstream_scope = dict(scope)
            upstream_scope["method"] = exchange.method
            if exchange.query != query:
                upstream_scope["query_string"] = urlencode(exchange.query).encode()
            if request_body != b"".join(chunks):
                exchange.headers["content-length"] = str(len(request_body))
            upstream_scope["headers"] = [(k.encode(), v.encode("latin-1")) for k, v in exchange.headers.items()]
            delivered = False

            async def upstream_receive() -> dict:
                nonlocal delivered
                if not delivered:
                    delivered = True
                    return {"type": "http.request", "body": request_body, "more_body": False}
                return await receive()

            parts: list[bytes] = []

            async def upstream_send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    exchange.status = message["status"]
                    exchange.response_headers = list(message.get("headers") or [])
                elif message["type"] == "http.response.body":
                    parts.append(message.get("body", b""))

            await self.app(upstream_scope, upstream_receive, upstream_send)
            exchange.body = b"".join(parts)
            if self.fault.on_response:
                self.fault.on_response(self.state, exchange)
        exchange.set_header("content-length", str(len(exchange.body)))
        await send({"type": "http.response.start", "status": exchange.status, "headers": exchange.response_headers})
        await send({"type": "http.response.body", "body": exchange.body})

    async def websocket(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if self.fault.on_handshake:
            scope = self.fault.on_handshake(self.state, scope)

        sockets: list = self.state.memo.setdefault("sockets", [])

        async def faulty_send(message: dict) -> None:
            if message["type"] == "websocket.send" and self.fault.on_frame and message.get("text") is not None:
                try:
                    frame = json.loads(message["text"])
                except ValueError:
                    frame = None
                if isinstance(frame, dict):
                    changed = self.fault.on_frame(self.state, frame)
                    leaked = self.state.memo.pop("leak", None)  # a frame the fault sends to every other socket too
                    for other in list(sockets):
                        if leaked is not None and other is not send:
                            await other({"type": "websocket.send", "text": json.dumps(leaked)})
                    if changed is None:
                        return
                    message = {**message, "text": json.dumps(changed)}
            await send(message)

        async def faulty_receive() -> dict:
            while True:
                message = await receive()
                if message["type"] != "websocket.receive" or not self.fault.on_client_frame or message.get("text") is None:
                    return message
                try:
                    frame = json.loads(message["text"])
                except ValueError:
                    return message
                changed = self.fault.on_client_frame(self.state, frame) if isinstance(frame, dict) else frame
                if changed is not None:
                    return {**message, "text": json.dumps(changed)}

        sockets.append(send)
        try:
            await self.app(scope, faulty_receive, faulty_send)
        finally:
            sockets.remove(send)


from tests.faulty import behaviour_faults as _behaviour  # noqa: E402,F401  (registers its faults)


def wrap(app: Any, name: str, contract: Contract) -> FaultMiddleware:
    return FaultMiddleware(app, FAULTS[name], contract, contract.server_base_path())
