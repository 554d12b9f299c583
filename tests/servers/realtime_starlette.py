"""The `realtime` document (001) as a Starlette team builds it from the document alone.

REST: `/health`, `/metrics`, `/info` (public), `POST /sessions`, `POST /sessions/refresh`,
`DELETE /sessions/{session_id}`, every error in the document's envelope
`{"error": {"code", "message", "details"}}`. WebSocket `/ws`: the JWT by `?token=`,
`Authorization: Bearer` or the subprotocol `access_token.<jwt>`; refusals (401, 403, 503) are
HTTP answers before the upgrade; frames are `{"type", "data"}`: a welcome `Status`, topic
Subscribe/Unsubscribe, Broadcast to the other subscribers, DirectMessage to one user, Ping/Pong,
a server Ping every heartbeat interval.

Where the document is silent it does what Starlette and uvicorn do by default: no rate limits
and no rate-limit headers, a plain HTTP request to `/ws` is Starlette's 404, the frame limit is
uvicorn's `ws_max_size` set to the documented `max_frame_size`, session ids are UUIDs. A token
names its user and session and dies when the session is deleted.

    python tests/servers/realtime_starlette.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SECRET = uuid.uuid4().hex
ACCESS_TTL = 3600
REFRESH_TTL = 7 * 24 * 3600
MAX_CONNECTIONS = 10000
HEARTBEAT_SECS = 30
CLIENT_TIMEOUT_SECS = 60
MAX_FRAME_SIZE = 65536
MAX_BODY = 64 * 1024
STARTED = time.monotonic()

#: The document's own account, and a second one so that two people can message each other.
USERS: dict[str, dict[str, Any]] = {
    "user@example.com": {"id": "user_123", "password": "secure_password", "roles": ["user", "subscriber"]},
    "friend@example.com": {"id": "user_456", "password": "secure_password", "roles": ["user", "subscriber"]},
}
SESSIONS: dict[str, str] = {}  # session id -> user id; a deleted session's tokens are dead


@dataclass
class Stats:
    active_connections: int = 0
    total_connections: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    errors: int = 0


@dataclass
class Connection:
    socket: WebSocket
    user_id: str
    topics: set[str] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, kind: str, data: Any) -> None:
        async with self.lock:
            await self.socket.send_text(json.dumps({"type": kind, "data": data}))
        STATS.messages_sent += 1


STATS = Stats()
CONNECTIONS: dict[str, Connection] = {}


def error(status: int, code: str, message: str, details: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details}}, status_code=status)


def issue(user_id: str, session_id: str, kind: str, ttl: int) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "sid": session_id, "typ": kind, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def verify(token: str, kind: str) -> dict[str, Any] | JSONResponse:
    """The token's claims, or the 401 the document names (TOKEN_EXPIRED or INVALID_TOKEN)."""
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        return error(401, "TOKEN_EXPIRED", "Authentication token has expired")
    except jwt.PyJWTError:
        return error(401, "INVALID_TOKEN", "Authentication token is invalid")
    if claims.get("typ") != kind or SESSIONS.get(claims.get("sid")) != claims.get("sub"):
        return error(401, "INVALID_TOKEN", "Authentication token is invalid")
    return claims


def user_by_id(user_id: str) -> dict[str, Any] | None:
    return next((dict(user, username=name) for name, user in USERS.items() if user["id"] == user_id), None)


async def json_body(request: Request) -> dict[str, Any] | JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return error(400, "INVALID_REQUEST", "Malformed request", {"field": "body"})
    try:
        body = json.loads(raw)
    except ValueError:
        return error(400, "INVALID_REQUEST", "Malformed request", {"field": "body"})
    if not isinstance(body, dict):
        return error(400, "INVALID_REQUEST", "Malformed request", {"field": "body"})
    return body


# ---- REST management ------------------------------------------------------------------
async def health(request: Request) -> JSONResponse:
    if STATS.active_connections >= MAX_CONNECTIONS:
        return JSONResponse({"status": "unhealthy", "reason": "At capacity", "active_connections": STATS.active_connections,
                             "max_connections": MAX_CONNECTIONS}, status_code=503)
    return JSONResponse({"status": "healthy", "active_connections": STATS.active_connections,
                         "max_connections": MAX_CONNECTIONS, "uptime_seconds": int(time.monotonic() - STARTED)})


async def metrics(request: Request) -> JSONResponse:
    return JSONResponse(vars(STATS))


async def info(request: Request) -> JSONResponse:
    return JSONResponse({
        "server": {"name": "WebSocket Real-time Communication Server", "version": "1.0.0",
                   "config": {"host": "0.0.0.0", "port": request.url.port or 8081, "max_connections": MAX_CONNECTIONS,
                              "heartbeat_interval_secs": HEARTBEAT_SECS, "client_timeout_secs": CLIENT_TIMEOUT_SECS,
                              "max_frame_size": MAX_FRAME_SIZE}},
        "stats": vars(STATS),
        "features": ["websocket", "heartbeat", "topic_subscription", "broadcast_messaging", "direct_messaging",
                     "connection_management", "metrics"],
    })


# ---- sessions ---------------------------------------------------------------------------
async def create_session(request: Request) -> JSONResponse:
    body = await json_body(request)
    if isinstance(body, JSONResponse):
        return body
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error(400, "INVALID_REQUEST", "Malformed request", {"field": "username" if not isinstance(username, str) else "password"})
    user = USERS.get(username)
    if user is None or user["password"] != password:
        return error(401, "INVALID_CREDENTIALS", "Invalid username or password")
    session_id = str(uuid.uuid4())
    SESSIONS[session_id] = user["id"]
    return JSONResponse({
        "access_token": issue(user["id"], session_id, "access", ACCESS_TTL),
        "refresh_token": issue(user["id"], session_id, "refresh", REFRESH_TTL),
        "expires_in": ACCESS_TTL, "token_type": "Bearer", "session_id": session_id,
        "user": {"id": user["id"], "username": username, "roles": user["roles"]},
    })


async def refresh_session(request: Request) -> JSONResponse:
    body = await json_body(request)
    if isinstance(body, JSONResponse):
        return body
    token = body.get("refresh_token")
    if not isinstance(token, str):
        return error(400, "INVALID_REQUEST", "Malformed request", {"field": "refresh_token"})
    claims = verify(token, "refresh")
    if isinstance(claims, JSONResponse):
        return claims
    return JSONResponse({"access_token": issue(claims["sub"], claims["sid"], "access", ACCESS_TTL),
                         "expires_in": ACCESS_TTL, "token_type": "Bearer"})


async def delete_session(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return error(401, "INVALID_TOKEN", "Authentication token is invalid")
    claims = verify(token.strip(), "access")
    if isinstance(claims, JSONResponse):
        return claims
    session_id = request.path_params["session_id"]
    if SESSIONS.get(session_id) != claims["sub"]:  # someone else's session is none of the caller's business
        return error(404, "NOT_FOUND", "Session not found", {"session_id": session_id})
    del SESSIONS[session_id]
    return Response(status_code=204)


# ---- WebSocket ----------------------------------------------------------------------------
def handshake_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The token and, when it came as a subprotocol, the subprotocol to echo."""
    for value in websocket.scope.get("subprotocols", []):
        if value.startswith("access_token."):
            return value.removeprefix("access_token."), value
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), None
    return websocket.query_params.get("token") or websocket.query_params.get("access_token"), None


async def ws_endpoint(websocket: WebSocket) -> None:
    token, subprotocol = handshake_token(websocket)
    if STATS.active_connections >= MAX_CONNECTIONS:
        await websocket.send_denial_response(error(503, "SERVER_FULL", "Server at capacity", {"max_connections": MAX_CONNECTIONS}))
        return
    claims = verify(token, "access") if token else error(401, "INVALID_TOKEN", "Authentication token is invalid")
    if isinstance(claims, JSONResponse):
        await websocket.send_denial_response(claims)
        return
    user = user_by_id(claims["sub"])
    if user is None or "user" not in user["roles"]:
        await websocket.send_denial_response(error(403, "FORBIDDEN", "Token valid but insufficient permissions"))
        return
    await websocket.accept(subprotocol=subprotocol)
    connection_id = str(uuid.uuid4())
    connection = Connection(websocket, user["id"])
    CONNECTIONS[connection_id] = connection
    STATS.active_connections += 1
    STATS.total_connections += 1
    heartbeat = asyncio.create_task(beat(connection))
    try:
        await connection.send("Status", {"status": "connected", "details": {
            "connection_id": connection_id, "server_time": int(time.time()), "protocol_version": "1.0"}})
        while True:
            message = await asyncio.wait_for(websocket.receive(), timeout=CLIENT_TIMEOUT_SECS)
            if message["type"] == "websocket.disconnect":
                break
            STATS.messages_received += 1
            if message.get("bytes") is not None:
                await connection.send("Status", {"status": "binary_received", "details": {"size": len(message["bytes"])}})
            else:
                await handle(connection, message.get("text") or "")
    except asyncio.TimeoutError:
        await websocket.close(code=1001)
    except WebSocketDisconnect:
        pass
    finally:
        heartbeat.cancel()
        CONNECTIONS.pop(connection_id, None)
        STATS.active_connections -= 1


async def beat(connection: Connection) -> None:
    try:
        while True:
            await asyncio.sleep(HEARTBEAT_SECS)
            await connection.send("Ping", {"timestamp": int(time.time() * 1000)})
    except Exception:  # the socket went away; the receive loop cleans up
        return


async def reject(connection: Connection, code: int, message: str) -> None:
    STATS.errors += 1
    await connection.send("Error", {"code": code, "message": message})


def strings(value: Any) -> list[str] | None:
    return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else None


async def handle(connection: Connection, text: str) -> None:
    try:
        frame = json.loads(text)
    except ValueError:
        return await reject(connection, 400, "Invalid message format")
    if not isinstance(frame, dict) or not isinstance(frame.get("data"), dict):
        return await reject(connection, 400, "Invalid message format")
    kind, data = frame.get("type"), frame["data"]
    if kind in ("Subscribe", "Unsubscribe"):
        topics = strings(data.get("topics"))
        if topics is None:
            return await reject(connection, 400, "Invalid message format")
        if kind == "Subscribe":
            connection.topics.update(topics)
        else:
            connection.topics.difference_update(topics)
        return await connection.send("Status", {"status": kind.lower() + "d", "details": None})
    if kind == "Broadcast":
        if not isinstance(data.get("topic"), str) or "payload" not in data:
            return await reject(connection, 400, "Invalid message format")
        delivery = {"topic": data["topic"], "payload": data["payload"]}
        for other in list(CONNECTIONS.values()):
            if other is not connection and data["topic"] in other.topics:
                await other.send("Broadcast", delivery)
        return await connection.send("Ack", {"message_id": str(uuid.uuid4())})
    if kind == "DirectMessage":
        target = data.get("target_user")
        if not isinstance(target, str) or "payload" not in data:
            return await reject(connection, 400, "Invalid message format")
        targets = [other for other in list(CONNECTIONS.values()) if other.user_id == target]
        if not targets:
            return await reject(connection, 404, f"User {target} not found or not connected")
        for other in targets:
            await other.send("DirectMessage", {"from_user": connection.user_id, "target_user": target, "payload": data["payload"]})
        return await connection.send("Ack", {"message_id": str(uuid.uuid4())})
    if kind == "Ping":
        if not isinstance(data.get("timestamp"), int):
            return await reject(connection, 400, "Invalid message format")
        return await connection.send("Pong", {"timestamp": data["timestamp"]})
    if kind == "Pong":
        return None  # an answer to our heartbeat: activity, nothing to say
    return await reject(connection, 400, "Unknown message type")


app = Starlette(routes=[
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/info", info, methods=["GET"]),
    Route("/sessions", create_session, methods=["POST"]),
    Route("/sessions/refresh", refresh_session, methods=["POST"]),
    Route("/sessions/{session_id}", delete_session, methods=["DELETE"]),
    WebSocketRoute("/ws", ws_endpoint),
])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, ws_max_size=MAX_FRAME_SIZE, log_level="warning")


if __name__ == "__main__":
    main()
