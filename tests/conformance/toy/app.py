"""A small, correct implementation of the toy contract beside this file (HTTP, WebSocket, GraphQL).

It is what the conformance tests aim at when they need a server that conforms without relying
on the mock, and the upstream that `tests/faulty` wraps to inject one fault at a time.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import jsonschema
import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

HERE = Path(__file__).resolve().parent
NOTE_ID = r"^n_[0-9]+$"


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class Toy:
    """All state of one toy server: users, tokens, notes, live connections."""

    def __init__(self) -> None:
        contract = yaml.safe_load((HERE / "openapi.yaml").read_text())
        self.schemas = contract["components"]["schemas"]
        self.login_schema = contract["paths"]["/auth/login"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        self.tokens: set[str] = set()
        self.notes: dict[int, dict] = {}
        self.next_id = 1
        self.connections: dict[WebSocket, set[str]] = {}
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        for index in range(12):
            self.add_note(f"Note {index + 1}", f"body {index + 1}", start + timedelta(hours=index))
        self.graphql_schema = graphql.build_schema((HERE / "schema.graphql").read_text())

    def add_note(self, title: str, body: str, when: datetime | None = None) -> dict:
        note_id = self.next_id
        self.next_id += 1
        created = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        note = {"id": f"n_{note_id}", "title": title, "body": body, "created_at": created}
        self.notes[note_id] = note
        return note

    def authorized(self, request: Request | WebSocket) -> bool:
        value = request.headers.get("authorization", "")
        token = value[7:] if value.lower().startswith("bearer ") else request.query_params.get("token", "")
        return token in self.tokens


def rate_headers() -> dict[str, str]:
    return {"X-RateLimit-Limit": "100000", "X-RateLimit-Remaining": "99999"}


async def json_body(request: Request) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(400, "expected application/json")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "malformed JSON") from None


def build_app() -> Starlette:
    toy = Toy()

    def need_auth(request: Request) -> None:
        if not toy.authorized(request):
            raise HTTPException(401, "missing or invalid token")

    async def login(request: Request) -> Response:
        body = await json_body(request)
        if not jsonschema.Draft202012Validator(toy.login_schema).is_valid(body):
            return error(400, "INVALID_REQUEST", "username and password are required")
        if body != {"username": "alice", "password": "wonderland-secret"}:
            return error(401, "UNAUTHORIZED", "wrong username or password")
        token = secrets.token_hex(16)
        toy.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "bearer"})

    def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise HTTPException(400, f"{name} must be an integer") from None
        if not low <= value <= high:
            raise HTTPException(400, f"{name} must be between {low} and {high}")
        return value

    async def list_notes(request: Request) -> Response:
        need_auth(request)
        page = int_param(request, "page", 1, 1, 1000)
        per_page = int_param(request, "per_page", 5, 1, 20)
        ordered = [toy.notes[key] for key in sorted(toy.notes)]
        total = len(ordered)
        pages = -(-total // per_page)
        data = ordered[(page - 1) * per_page : page * per_page]
        body = {"data": data, "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages}}
        return JSONResponse(body, headers={**rate_headers(), "X-Pagination-Total": str(total)})

    async def create_note(request: Request) -> Response:
        need_auth(request)
        body = await json_body(request)
        if not jsonschema.Draft202012Validator(toy.schemas["NewNote"]).is_valid(body):
            return error(400, "INVALID_REQUEST", "title is required; only title and body are allowed")
        note = toy.add_note(body["title"], body.get("body", ""))
        event = {"type": "note.created", "note": {"id": note["id"], "title": note["title"]}}
        for socket in list(toy.connections):
            await socket.send_json(event)
        return JSONResponse(note, status_code=201, headers=rate_headers())

    def note_key(request: Request) -> int:
        raw = request.path_params["note_id"]
        if not (raw.startswith("n_") and raw[2:].isdigit() and raw[2:].isascii()):
            raise HTTPException(400, "note ids look like n_123")
        key = int(raw[2:])
        if key not in toy.notes:
            raise HTTPException(404, f"no note {raw}")
        return key

    async def get_note(request: Request) -> Response:
        need_auth(request)
        return JSONResponse(toy.notes[note_key(request)])

    async def delete_note(request: Request) -> Response:
        need_auth(request)
        del toy.notes[note_key(request)]
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def graphql_query(request: Request) -> Response:
        need_auth(request)
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"]:
            return error(400, "INVALID_REQUEST", "a query string is required")
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return error(400, "INVALID_REQUEST", "variables must be an object")
        operation = body.get("operationName")
        if operation is not None and not isinstance(operation, str):
            return error(400, "INVALID_REQUEST", "operationName must be a string")
        root = {
            "note": lambda info, id: next((n for n in toy.notes.values() if n["id"] == id), None),
            "notes": lambda info, first=5: [toy.notes[k] for k in sorted(toy.notes)][: max(first, 0)],
        }
        result = await graphql.graphql(
            toy.graphql_schema, body["query"], root_value=root, variable_values=variables, operation_name=operation
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": err.message} for err in result.errors]
        return JSONResponse(payload)

    async def live(socket: WebSocket) -> None:
        if not toy.authorized(socket):
            await socket.send_denial_response(error(401, "UNAUTHORIZED", "missing or invalid token"))
            return
        await socket.accept()
        toy.connections[socket] = set()
        await socket.send_json({"type": "welcome", "user": "u_1"})
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                try:
                    frame = json.loads(text) if text is not None else None
                except ValueError:
                    frame = None
                await handle_frame(socket, frame)
        except WebSocketDisconnect:
            pass
        finally:
            toy.connections.pop(socket, None)

    async def handle_frame(socket: WebSocket, frame: Any) -> None:
        def valid(kind: str, fields: dict[str, type]) -> bool:
            return (
                set(frame) == {"type", *fields}
                and all(isinstance(frame[name], kind_) and not isinstance(frame[name], bool) for name, kind_ in fields.items())
            )

        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "ping" and valid(kind, {"timestamp": int}) and frame["timestamp"] >= 0:
            await socket.send_json({"type": "pong", "timestamp": frame["timestamp"]})
        elif kind == "subscribe" and valid(kind, {"topic": str}) and 1 <= len(frame["topic"]) <= 40:
            toy.connections[socket].add(frame["topic"])
            await socket.send_json({"type": "subscribed", "topic": frame["topic"]})
        elif (
            kind == "publish"
            and valid(kind, {"topic": str, "text": str})
            and 1 <= len(frame["topic"]) <= 40
            and len(frame["text"]) <= 200
        ):
            await socket.send_json({"type": "ack", "id": f"m_{secrets.token_hex(4)}"})
            for other, topics in list(toy.connections.items()):
                if other is not socket and frame["topic"] in topics:
                    await other.send_json({"type": "event", "topic": frame["topic"], "text": frame["text"]})
        else:
            await socket.send_json({"type": "error", "code": 400, "message": "not a valid client message"})

    async def http_error(request: Request, exc: HTTPException) -> Response:
        codes = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        return error(exc.status_code, codes.get(exc.status_code, "ERROR"), str(exc.detail), headers=exc.headers)

    async def notes(request: Request) -> Response:
        return await (list_notes if request.method == "GET" else create_note)(request)

    async def note(request: Request) -> Response:
        return await (get_note if request.method == "GET" else delete_note)(request)

    routes = [
        Route("/api/auth/login", login, methods=["POST"]),
        Route("/api/notes", notes, methods=["GET", "POST"]),
        Route("/api/notes/{note_id}", note, methods=["GET", "DELETE"]),
        Route("/api/graphql", graphql_query, methods=["POST"]),
        Route("/api/health", health, methods=["GET"]),
        WebSocketRoute("/ws", live),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
