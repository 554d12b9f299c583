"""`directory` as a Starlette team builds it from the document (000): an OAuth2
client-credentials token endpoint (form-encoded, as RFC 6749 and the document show; JSON as
well, as the contract allows), users page by page, GraphQL over HTTP with graphql-core, and a
`/v1/ws` socket answering pings.

Token endpoint clients authenticate with `client_id`/`client_secret` in the body, or by HTTP
Basic (RFC 6749 section 2.3.1). `TOKEN_FORM_ONLY=1` refuses JSON token requests and
`CLIENT_AUTH=basic` refuses secrets in the body, as many OAuth servers do. Tokens name their
client and user; they die when that client is removed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

import jwt
from graphql import build_schema, graphql
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SECRET = secrets.token_hex(16)
FORM_ONLY = os.environ.get("TOKEN_FORM_ONLY") == "1"
BASIC_ONLY = os.environ.get("CLIENT_AUTH") == "basic"
PLANT_500 = os.environ.get("PLANT_500") == "1"
TTL = 3600
FORM = "application/x-www-form-urlencoded"
FIELDS = ("id", "username", "email", "created_at", "updated_at")
SDL = (Path(__file__).resolve().parents[2] / "specs" / "directory" / "schema.graphql").read_text(encoding="utf-8")
MAX_BODY = 1024 * 1024

CLIENTS = {"YOUR_CLIENT_ID": {"secret": "YOUR_CLIENT_SECRET", "user": "usr_123"}}
USERS = [
    {"id": "usr_123", "username": "johndoe", "email": "john@example.com", "created_at": "2024-03-20T08:00:00Z", "updated_at": "2024-03-20T09:30:00Z"},
    *(
        {"id": f"usr_{200 + n}", "username": f"member{n}", "email": f"member{n}@example.org",
         "created_at": f"2024-04-{n + 1:02d}T10:00:00Z", "updated_at": f"2024-04-{n + 1:02d}T10:00:00Z"}
        for n in range(23)
    ),
]
POSTS = {
    "usr_123": [{"id": "post_1", "title": "Getting started with the directory", "body": None, "views": 1024, "createdAt": "2024-03-21T08:00:00Z"},
                {"id": "post_2", "title": "Pagination tips", "body": "Use per_page.", "views": 87, "createdAt": "2024-03-22T08:00:00Z"}],
}


def error(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def oauth_error(status: int, code: str, description: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def graphql_error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status, headers=headers)


def principal(request: Request) -> dict | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    try:
        claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    client = CLIENTS.get(str(claims.get("client_id")))
    return claims if client is not None and client["user"] == claims.get("sub") else None


UNAUTHORIZED = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


# ---- OAuth token ---------------------------------------------------------------------------
async def token(request: Request) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return oauth_error(413, "invalid_request", "Request body too large.")
    if kind == FORM:
        form = await request.form()
        fields = {key: str(value) for key, value in form.items()}
    elif kind == "application/json" and not FORM_ONLY:
        try:
            fields = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return oauth_error(400, "invalid_request", "Body is not valid JSON.")
        if not isinstance(fields, dict):
            return oauth_error(400, "invalid_request", "Body must be an object.")
    else:
        return oauth_error(415, "invalid_request", f"Unsupported content type {kind or 'none'}.")
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    basic = request.headers.get("authorization", "")
    if basic[:6].lower() == "basic ":
        try:
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return oauth_error(401, "invalid_client", "Client authentication failed.", {"WWW-Authenticate": "Basic"})
    elif BASIC_ONLY and client_id is not None:
        return oauth_error(401, "invalid_client", "Client authentication failed: use HTTP Basic.", {"WWW-Authenticate": "Basic"})
    grant = fields.get("grant_type")
    if grant is None or not isinstance(grant, str):
        return oauth_error(400, "invalid_request", "grant_type is required.")
    if grant != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    for name, value in (("client_id", client_id), ("client_secret", secret)):
        if not isinstance(value, str) or not value:
            return oauth_error(400, "invalid_request", f"{name} is required.")
    if "scope" in fields and not isinstance(fields["scope"], str):
        return oauth_error(400, "invalid_request", "scope must be a string.")
    client = CLIENTS.get(client_id)
    if client is None or client["secret"] != secret:
        return oauth_error(401, "invalid_client", "Client authentication failed.", {"WWW-Authenticate": "Basic"})
    claims = {"sub": client["user"], "client_id": client_id, "exp": int(time.time()) + TTL, "jti": secrets.token_hex(8)}
    return JSONResponse({"access_token": jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "Bearer", "expires_in": TTL},
                        headers={"Cache-Control": "no-store"})


# ---- users ---------------------------------------------------------------------------------
def integer(params: Any, name: str, default: int, low: int, high: int | None, problems: dict) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems[name] = "must be an integer"
        return default
    if value < low:
        problems[name] = f"must be greater than or equal to {low}"
    elif high is not None and value > high:
        problems[name] = f"must be less than or equal to {high}"
    return value


async def list_users(request: Request) -> Response:
    if principal(request) is None:
        return error(401, "INVALID_TOKEN", "Expired or malformed token.", headers=UNAUTHORIZED)
    params = request.query_params
    problems: dict[str, str] = {}
    page = integer(params, "page", 1, 1, None, problems)
    per_page = integer(params, "per_page", 10, 1, 100, problems)
    fields = params.get("fields")
    if fields is not None and not all(name in FIELDS for name in fields.split(",")):
        problems["fields"] = f"must list fields among {', '.join(FIELDS)}"
    sort = params.get("sort", "created_at")
    if not re.fullmatch(r"[+-]?(id|username|email|created_at|updated_at)", sort):
        problems["sort"] = "must be a field name with an optional + or - prefix"
    if problems:
        return error(422, "VALIDATION_ERROR", "Request validation failed.", problems)
    if PLANT_500:
        raise RuntimeError("planted fault behind authentication")
    key = sort.lstrip("+-")
    ordered = sorted(USERS, key=lambda user: (user[key], user["id"]), reverse=sort.startswith("-"))
    chunk = ordered[(page - 1) * per_page : page * per_page]
    if fields is not None:
        chunk = [{name: user[name] for name in fields.split(",")} for user in chunk]
    total = len(ordered)
    return JSONResponse({"data": chunk, "meta": {"current_page": page, "total_pages": -(-total // per_page), "total_count": total}})


# ---- GraphQL -------------------------------------------------------------------------------
SCHEMA = build_schema(SDL)


def connection(items: list[dict], first: int | None, after: str | None) -> dict:
    first = min(100, max(0, 10 if first is None else first))  # the schema says "at most 100"
    start = 0
    if after:  # a cursor this server did not issue reads from the start, as Relay servers do
        try:
            start = max(0, int(base64.b64decode(after).decode().split(":")[1]) + 1)
        except (ValueError, IndexError, UnicodeDecodeError):
            start = 0
    chunk = items[start : start + first]
    edges = [{"cursor": base64.b64encode(f"cursor:{start + n}".encode()).decode(), "node": node} for n, node in enumerate(chunk)]
    return {"edges": edges, "totalCount": len(items), "pageInfo": {
        "hasNextPage": start + len(chunk) < len(items), "hasPreviousPage": start > 0,
        "startCursor": edges[0]["cursor"] if edges else None, "endCursor": edges[-1]["cursor"] if edges else None}}


def user_node(user: dict) -> dict:
    node = {"id": user["id"], "username": user["username"], "email": user["email"], "createdAt": user["created_at"], "updatedAt": user["updated_at"]}
    posts = [{**post, "author": node} for post in sorted(POSTS.get(user["id"], []), key=lambda post: post["createdAt"], reverse=True)]
    node["posts"] = lambda info, first=10, after=None: connection(posts, first, after)
    return node


ROOT = {
    "user": lambda info, id: next((user_node(user) for user in USERS if user["id"] == id), None),
    "users": lambda info, first=10, after=None: connection([user_node(user) for user in USERS], first, after),
}


async def graphql_endpoint(request: Request) -> Response:
    if principal(request) is None:
        return graphql_error(401, "INVALID_TOKEN", "Expired or malformed token.", UNAUTHORIZED)
    if request.method == "GET":
        query = request.query_params.get("query")
        name = request.query_params.get("operationName")
        variables: Any = request.query_params.get("variables")
        if variables is not None:
            try:
                variables = json.loads(variables)
            except ValueError:
                return graphql_error(400, "INVALID_REQUEST", "variables must be a JSON object.")
    else:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return graphql_error(413, "PAYLOAD_TOO_LARGE", "Request body too large.")
        if kind == "application/graphql":
            body: Any = {"query": raw.decode("utf-8", "replace")}
        elif kind == "application/json":
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return graphql_error(400, "INVALID_REQUEST", "Body is not valid JSON.")
        else:
            return graphql_error(415, "UNSUPPORTED_MEDIA_TYPE", f"Unsupported content type {kind or 'none'}.")
        if not isinstance(body, dict):
            return graphql_error(400, "INVALID_REQUEST", "Body must be a JSON object.")
        query, name, variables = body.get("query"), body.get("operationName"), body.get("variables")
    if not isinstance(query, str) or not query:
        return graphql_error(400, "INVALID_REQUEST", "Must provide query string.")
    if variables is not None and not isinstance(variables, dict):
        return graphql_error(400, "INVALID_REQUEST", "variables must be a JSON object.")
    if name is not None and not isinstance(name, str):
        return graphql_error(400, "INVALID_REQUEST", "operationName must be a string.")
    result = await graphql(SCHEMA, query, root_value=ROOT, variable_values=variables, operation_name=name)
    answer: dict[str, Any] = {}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    if result.data is not None or not result.errors or any(error.path for error in result.errors):
        answer["data"] = result.data
    return JSONResponse(answer)


# ---- WebSocket -----------------------------------------------------------------------------
async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is None:
                await websocket.send_json({"type": "error", "error": {"code": "INVALID_REQUEST", "message": "Binary frames are not accepted."}})
                continue
            try:
                frame = json.loads(message["text"])
            except ValueError:
                await websocket.send_json({"type": "error", "error": {"code": "INVALID_REQUEST", "message": "Frame is not valid JSON."}})
                continue
            if not isinstance(frame, dict) or frame.get("type") != "ping" or set(frame) != {"type"}:
                kind = frame.get("type") if isinstance(frame, dict) else None
                await websocket.send_json({"type": "error", "error": {"code": "VALIDATION_ERROR", "message": f"Unknown message type: {kind}"}})
                continue
            now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            await websocket.send_json({"type": "pong", "timestamp": now})
    except WebSocketDisconnect:
        return


# ---- errors --------------------------------------------------------------------------------
CODES = {400: "INVALID_REQUEST", 401: "INVALID_TOKEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE",
         415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_ERROR", 429: "TOO_MANY_REQUESTS", 500: "INTERNAL_ERROR"}


async def on_http_error(request: Request, exc: HTTPException) -> Response:
    code = CODES.get(exc.status_code, "INVALID_REQUEST")
    if exc.status_code in (404, 405):  # no operation answered: the API's own envelope
        return error(exc.status_code, code, str(exc.detail), headers=exc.headers)
    if request.url.path == "/oauth/token":
        return oauth_error(exc.status_code, "invalid_request", str(exc.detail), exc.headers)
    if request.url.path == "/graphql":
        return graphql_error(exc.status_code, code, str(exc.detail), exc.headers)
    return error(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def on_crash(request: Request, exc: Exception) -> Response:
    if request.url.path == "/oauth/token":
        return oauth_error(500, "server_error", "Internal server error.")
    return error(500, "INTERNAL_ERROR", "Internal server error.")


app = Starlette(
    routes=[
        Route("/oauth/token", token, methods=["POST"]),
        Route("/api/v1/users", list_users, methods=["GET"]),
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/v1/ws", socket),
    ],
    exception_handlers={HTTPException: on_http_error, Exception: on_crash},
)
