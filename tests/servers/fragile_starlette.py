"""A server whose sessions end after a few requests and whose login then refuses: the suite
must notice the lost session, try to log in again, and stop with exit 2 (contract:
tests/conformance/fragile/openapi.yaml)."""

from __future__ import annotations

import json
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REQUESTS_PER_SESSION = 3
LOGINS_ALLOWED = 1
SESSIONS: dict[str, int] = {}
LOGINS = {"count": 0}


async def login(request: Request) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("username") != "ann" or body.get("password") != "secret-password":
        return JSONResponse({"detail": "Wrong credentials"}, status_code=401)
    LOGINS["count"] += 1
    if LOGINS["count"] > LOGINS_ALLOWED:
        return JSONResponse({"detail": "Account locked"}, status_code=401)
    token = secrets.token_hex(8)
    SESSIONS[token] = REQUESTS_PER_SESSION
    return JSONResponse({"access_token": token})


async def items(request: Request) -> JSONResponse:
    token = request.headers.get("authorization", "")[7:]
    if SESSIONS.get(token, 0) <= 0:
        return JSONResponse({"detail": "No valid session"}, status_code=401)
    SESSIONS[token] -= 1
    return JSONResponse([{"id": 1}, {"id": 2}])


app = Starlette(routes=[Route("/login", login, methods=["POST"]), Route("/items", items, methods=["GET"])])
