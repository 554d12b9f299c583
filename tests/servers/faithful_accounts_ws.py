"""An independent implementation of the `accounts` document, written from the document alone.

It is what a team following that document with FastAPI's usual idioms would build (on
Starlette, which FastAPI is made of): `/api/v1/auth/login` and `/register`, the users CRUD, and
`WS /api/v1/ws/{client_id}`, which reads each frame with `receive_json` and echoes its
`message`. Where the document is silent it does what the framework does by default: no frame
limit of its own, an invalid JSON frame ends the connection (the exception closes it with
1011), a chat frame without `message` is echoed with `null`, and no update is ever pushed.

`apitwin check accounts --base-url URL` must not fail it: what it does differently from the
mock rests only on the contract's assumptions, which are warnings.

    python tests/servers/faithful_accounts_ws.py --port 8765
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
from datetime import datetime, timezone
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

NOW = datetime(2024, 2, 11, tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
USERS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "email": "user@example.com", "username": "user", "full_name": "Demo User", "is_active": True,
        "is_superuser": False, "created_at": NOW, "updated_at": NOW, "password": "password"},
}
TOKENS: dict[str, int] = {}


def public(user: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in user.items() if key != "password"}


def issue(user_id: int) -> dict[str, str]:
    """A JWT-shaped bearer token (the document asks for a JWT; this one is opaque to clients)."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': str(user_id)})}.{secrets.token_urlsafe(16)}"
    TOKENS[token] = user_id
    return {"access_token": token, "token_type": "bearer"}


def detail(status: int, message: Any) -> JSONResponse:
    return JSONResponse({"detail": message}, status)


def missing(where: str, *names: str) -> JSONResponse:
    return detail(422, [{"loc": [where, name], "msg": "field required", "type": "value_error.missing"} for name in names])


async def fields(request: Request) -> dict[str, Any] | None:
    """The body as a form (the document's examples) or JSON (its reference); None if unreadable."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(await request.form())
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def current_user(request: Request) -> dict[str, Any] | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user_id = TOKENS.get(token) if scheme.lower() == "bearer" else None
    return USERS.get(user_id) if user_id is not None else None


async def login(request: Request) -> JSONResponse:
    body = await fields(request)
    if body is None:
        return detail(422, [{"loc": ["body"], "msg": "invalid body", "type": "value_error"}])
    absent = [name for name in ("username", "password") if not isinstance(body.get(name), str)]
    if absent:
        return missing("body", *absent)
    user = next((u for u in USERS.values() if u["username"] == body["username"] and u["password"] == body["password"]), None)
    if user is None:
        return detail(400, "Incorrect username or password")
    return JSONResponse(issue(user["id"]))


async def register(request: Request) -> JSONResponse:
    body = await fields(request)
    if body is None:
        return detail(422, [{"loc": ["body"], "msg": "invalid body", "type": "value_error"}])
    absent = [name for name in ("email", "username", "password") if not isinstance(body.get(name), str)]
    if absent:
        return missing("body", *absent)
    if "@" not in body["email"]:
        return detail(422, [{"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error.email"}])
    if any(u["username"] == body["username"] or u["email"] == body["email"] for u in USERS.values()):
        return detail(400, "The user with this username already exists in the system.")
    user_id = max(USERS, default=0) + 1
    full_name = body.get("full_name") if isinstance(body.get("full_name"), str) else None
    USERS[user_id] = {"id": user_id, "email": body["email"], "username": body["username"], "full_name": full_name, "is_active": True,
                      "is_superuser": False, "created_at": NOW, "updated_at": NOW, "password": body["password"]}
    return JSONResponse(issue(user_id))


def integer(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


async def list_users(request: Request) -> JSONResponse:
    if current_user(request) is None:
        return detail(401, "Not authenticated")
    skip, limit = integer(request.query_params.get("skip"), 0), integer(request.query_params.get("limit"), 100)
    if skip is None or limit is None:
        return detail(422, [{"loc": ["query", "skip" if skip is None else "limit"], "msg": "value is not a valid integer", "type": "type_error.integer"}])
    users = [public(u) for _, u in sorted(USERS.items())]
    return JSONResponse(users[max(skip, 0):max(skip, 0) + max(limit, 0)])


async def one_user(request: Request) -> JSONResponse:
    if current_user(request) is None:
        return detail(401, "Not authenticated")
    user_id = integer(request.path_params["user_id"], 0)
    if user_id is None:
        return detail(422, [{"loc": ["path", "user_id"], "msg": "value is not a valid integer", "type": "type_error.integer"}])
    user = USERS.get(user_id)
    if user is None:
        return detail(404, "Resource not found")
    if request.method == "DELETE":
        del USERS[user_id]
        return JSONResponse({"message": "User deleted successfully"})
    if request.method == "PUT":
        body = await fields(request)
        if body is None:
            return detail(422, [{"loc": ["body"], "msg": "invalid body", "type": "value_error"}])
        for key in ("email", "username", "full_name", "password"):
            if isinstance(body.get(key), str):
                user[key] = body[key]
    return JSONResponse(public(user))


async def socket(websocket: WebSocket) -> None:
    """The document's per-client socket: every chat frame is echoed with the client's id."""
    client_id = websocket.path_params["client_id"]
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            await websocket.send_json({"client_id": client_id, "message": data.get("message") if isinstance(data, dict) else None, "type": "echo"})
    except WebSocketDisconnect:
        pass


app = Starlette(
    routes=[
        Route("/api/v1/auth/login", login, methods=["POST"]),
        Route("/api/v1/auth/register", register, methods=["POST"]),
        Route("/api/v1/users/", list_users, methods=["GET"]),
        Route("/api/v1/users/{user_id}", one_user, methods=["GET", "PUT", "DELETE"]),
        WebSocketRoute("/api/v1/ws/{client_id}", socket),
    ]
)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
