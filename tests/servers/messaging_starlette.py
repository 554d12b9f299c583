"""The `messaging` document (002) as a Starlette team builds it from the document alone.

REST under `/api`: login and refresh (rotating refresh tokens, the document's best practice),
register, read and update a profile, send and list messages (cursor pagination with
`limit`/`before`/`after`, the `status`/`type`/`from`/`to` filters and `conversation_id`, the
`X-Pagination-*` headers), create a group, register a webhook (deliveries signed with its
secret). The documented rate limits (5 per minute on `/api/auth/*`, 100 elsewhere, 10 WebSocket
connections) with `X-RateLimit-*` headers. Every error in the document's envelope
`{"error": {"code", "message", "details"}}`. WebSocket `/ws?token=<jwt>`: `message` events for
messages sent to the user, `typing` relayed within a conversation, `presence` when a user comes
and goes.

Where the document is silent it does what Starlette does by default: every success is 200
(deletions and creations alike; the document gives no status codes), invalid input is 400
`validation_error`, an unknown route or id is 404, no heartbeat of its own, and only the
operations the document shows (no group or webhook listing, reading or deletion). An access
token names its user and dies with it; a refresh token works once (rotation).

    python tests/servers/messaging_starlette.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import re
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import httpx
import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SECRET = uuid.uuid4().hex
ACCESS_TTL = 3600
REFRESH_TTL = 30 * 24 * 3600
MAX_BODY = 256 * 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"auth": 5, "api": 100, "ws": 10}  # per minute, as the document states
WINDOW = 60


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


USERS: dict[str, dict[str, Any]] = {
    "123e4567-e89b-12d3-a456-426614174000": {
        "id": "123e4567-e89b-12d3-a456-426614174000", "email": "user@example.com", "password": "secure_password",
        "username": "username", "display_name": "Display Name", "status": "offline", "last_seen": "2024-03-20T12:00:00Z",
        "created_at": "2024-03-20T12:00:00Z",
        "profile": {"bio": "User bio", "avatar_url": "https://example.com/avatars/user.jpg", "location": "City, Country"},
    },
}
MESSAGES: list[dict[str, Any]] = []  # oldest first
GROUPS: dict[str, dict[str, Any]] = {}
WEBHOOKS: dict[str, dict[str, Any]] = {}
REFRESH: dict[str, str] = {}  # live refresh token id -> user id; rotation retires the old one
# Access tokens are plain signed JWTs: they name their user and live until they expire (or the
# user is gone); rotating the refresh token does not end them.
SOCKETS: dict[str, set[WebSocket]] = defaultdict(set)
COUNTERS: dict[tuple[str, str], tuple[int, int]] = {}  # (class, caller) -> (window start, count)


class Refusal(Exception):
    """A client mistake, answered in the document's error envelope."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"code": self.code, "message": self.message, "details": self.details}}, status_code=self.status)


def invalid(field: str, reason: str) -> Refusal:
    return Refusal(400, "validation_error", "Invalid request data", {"field": field, "reason": reason})


# ---- rate limits and authentication ------------------------------------------------------
def spend(kind: str, caller: str) -> dict[str, str]:
    """Count one request against the caller's window; the headers to send, or a 429."""
    start = int(time.time()) // WINDOW * WINDOW
    began, used = COUNTERS.get((kind, caller), (start, 0))
    if began != start:
        used = 0
    limit = LIMITS[kind]
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(limit - used - 1, 0)),
               "X-RateLimit-Reset": str(start + WINDOW)}
    if used >= limit:
        retry = start + WINDOW - int(time.time())
        error = Refusal(429, "rate_limit_exceeded", "Too many requests", {"retry_after": retry})
        error.headers = {**headers, "Retry-After": str(retry)}  # type: ignore[attr-defined]
        raise error
    COUNTERS[(kind, caller)] = (start, used + 1)
    return headers


def token_user(token: str | None) -> dict[str, Any]:
    if not token:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": False})
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": True}) from None
    except jwt.PyJWTError:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": False}) from None
    user = USERS.get(claims.get("sub", ""))
    if claims.get("type") != "access" or user is None:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": False})
    return user


def bearer(request: Request) -> dict[str, Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token_user(token.strip() if scheme.lower() == "bearer" else None)


def endpoint(kind: str, authenticated: bool = True):
    """Wrap a handler: rate limit, authentication, envelope errors, rate-limit headers."""
    def wrap(handler):
        async def run(request: Request) -> Response:
            headers: dict[str, str] = {}
            try:
                user = bearer(request) if authenticated else None
                headers = spend(kind, user["id"] if user else (request.client.host if request.client else "-"))
                response = await handler(request, user) if authenticated else await handler(request)
            except Refusal as refusal:
                response = refusal.response()
                headers = getattr(refusal, "headers", headers)
            response.headers.update(headers)
            return response
        return run
    return wrap


def pair(user: dict[str, Any]) -> dict[str, Any]:
    issued = int(time.time())
    refresh_id = uuid.uuid4().hex
    REFRESH[refresh_id] = user["id"]
    return {
        "access_token": jwt.encode({"sub": user["id"], "type": "access", "jti": uuid.uuid4().hex, "iat": issued, "exp": issued + ACCESS_TTL}, SECRET),
        "refresh_token": jwt.encode({"sub": user["id"], "type": "refresh", "rid": refresh_id, "iat": issued, "exp": issued + REFRESH_TTL}, SECRET),
        "expires_in": ACCESS_TTL, "token_type": "Bearer",
    }


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise invalid("body", "Request body too large")
    try:
        body = json.loads(raw)
    except ValueError:
        raise invalid("body", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("body", "Request body must be a JSON object")
    return body


def text(body: dict[str, Any], field: str, required: bool = True, nullable: bool = False) -> str | None:
    """A string field: a required one must be non-empty; an optional one may be absent (or null)."""
    if field not in body:
        if required:
            raise invalid(field, "Required")
        return None
    value = body[field]
    if value is None and nullable:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(field, "Must be a non-empty string" if required else "Must be a string")
    return value


# ---- auth ------------------------------------------------------------------------------
@endpoint("auth", authenticated=False)
async def login(request: Request) -> Response:
    body = await body_of(request)
    email, password = text(body, "email"), text(body, "password")
    user = next((u for u in USERS.values() if u["email"] == email), None)
    if user is None or user["password"] != password:
        raise Refusal(401, "unauthorized", "Invalid email or password")
    return JSONResponse(pair(user))


@endpoint("auth", authenticated=False)
async def refresh(request: Request) -> Response:
    token = text(await body_of(request), "refresh_token")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": False}) from None
    user = USERS.get(claims.get("sub", ""))
    if claims.get("type") != "refresh" or user is None or REFRESH.pop(claims.get("rid", ""), None) != user["id"]:
        raise Refusal(401, "unauthorized", "Invalid or expired token", {"token_expired": False})
    return JSONResponse(pair(user))


# ---- users -----------------------------------------------------------------------------
def profile(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user[key] for key in ("id", "username", "display_name", "status", "last_seen", "profile", "created_at")}


@endpoint("api", authenticated=False)
async def register(request: Request) -> Response:
    body = await body_of(request)
    email, password, username = text(body, "email"), text(body, "password"), text(body, "username")
    display_name = text(body, "display_name", required=False) or username
    if not EMAIL.match(email or ""):
        raise invalid("email", "Invalid email format")
    if any(u["email"] == email for u in USERS.values()):
        raise invalid("email", "Email already registered")
    user = {"id": str(uuid.uuid4()), "email": email, "password": password, "username": username,
            "display_name": display_name, "status": "offline", "last_seen": None, "created_at": now(),
            "profile": {"bio": None, "avatar_url": None, "location": None}}
    USERS[user["id"]] = user
    return JSONResponse({key: user[key] for key in ("id", "email", "username", "display_name", "created_at")})


def find_user(request: Request) -> dict[str, Any]:
    user = USERS.get(request.path_params["user_id"])
    if user is None:
        raise Refusal(404, "not_found", "User not found", {"id": request.path_params["user_id"]})
    return user


@endpoint("api")
async def get_user(request: Request, caller: dict[str, Any]) -> Response:
    return JSONResponse(profile(find_user(request)))


@endpoint("api")
async def update_user(request: Request, caller: dict[str, Any]) -> Response:
    user = find_user(request)
    if user["id"] != caller["id"]:
        raise Refusal(403, "forbidden", "You may only update your own profile")
    body = await body_of(request)
    display_name = text(body, "display_name", required=False)
    changes = {field: text(body, field, required=False, nullable=True) for field in ("bio", "location") if field in body}
    if display_name is not None:
        if not display_name.strip():
            raise invalid("display_name", "Must be a non-empty string")
        user["display_name"] = display_name
    user["profile"].update(changes)
    notify("user.updated", {"user_id": user["id"], "username": user["username"], "display_name": user["display_name"],
                            "profile": dict(user["profile"])})
    return JSONResponse(profile(user))


# ---- messages ----------------------------------------------------------------------------
def conversation_of(a: str, b: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "dm:" + ":".join(sorted((a, b)))))


def members_of(group: dict[str, Any]) -> set[str]:
    return {member["user_id"] for member in group["members"]}


@endpoint("api")
async def send_message(request: Request, caller: dict[str, Any]) -> Response:
    body = await body_of(request)
    content = text(body, "content")
    kind = body.get("type", "text")
    if not isinstance(kind, str) or not kind:
        raise invalid("type", "Must be a non-empty string")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise invalid("metadata", "Must be an object")
    message: dict[str, Any] = {"id": str(uuid.uuid4()), "sender_id": caller["id"]}
    if "group_id" in body and "receiver_id" not in body:
        group = GROUPS.get(text(body, "group_id") or "")
        if group is None or caller["id"] not in members_of(group):
            raise Refusal(404, "not_found", "Group not found", {"id": body["group_id"]})
        message.update(group_id=group["id"], conversation_id=group["id"])
        audience = members_of(group) - {caller["id"]}
    else:
        receiver = text(body, "receiver_id")
        if receiver not in USERS:
            raise Refusal(404, "not_found", "Receiver not found", {"id": receiver})
        message.update(receiver_id=receiver, conversation_id=conversation_of(caller["id"], receiver))
        audience = {receiver}  # a note to oneself reaches one's own connections too
    message.update(content=content, type=kind, status="sent", created_at=now())
    if metadata is not None:
        message["metadata"] = metadata
    MESSAGES.append(message)
    for user_id in audience:
        await push(user_id, {"type": "message", "data": message})
    notify("message.created", {"message_id": message["id"], "sender_id": caller["id"], "content": content,
                               **{key: message[key] for key in ("receiver_id", "group_id", "conversation_id") if key in message}})
    return JSONResponse(message)


def moment(value: str, field: str, end: bool) -> str:
    """A date or date-time bound as a comparable UTC timestamp string; a bare date covers its whole day."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d")
            return day.strftime("%Y-%m-%dT") + ("23:59:59.999999Z" if end else "00:00:00.000000Z")
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, "Must be a date or a date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def visible(caller: dict[str, Any]) -> list[dict[str, Any]]:
    groups = {gid for gid, group in GROUPS.items() if caller["id"] in members_of(group)}
    mine = [m for m in MESSAGES if caller["id"] in (m["sender_id"], m.get("receiver_id")) or m.get("group_id") in groups]
    return list(reversed(mine))  # newest first


@endpoint("api")
async def list_messages(request: Request, caller: dict[str, Any]) -> Response:
    query = request.query_params
    raw_limit = query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise invalid("limit", "Must be an integer from 1 to 100")
    limit = int(raw_limit)
    if "before" in query and "after" in query:
        raise invalid("before", "Use either before or after")
    items = visible(caller)
    for field in ("conversation_id", "status", "type"):
        if field in query:
            items = [m for m in items if m.get(field) == query[field]]
    if "from" in query:
        start = moment(query["from"], "from", end=False)
        items = [m for m in items if moment(m["created_at"], "created_at", False) >= start]
    if "to" in query:
        stop = moment(query["to"], "to", end=True)
        items = [m for m in items if moment(m["created_at"], "created_at", False) <= stop]
    ids = [m["id"] for m in items]
    if "after" in query:  # the window of newer items just above the cursor
        end = ids.index(query["after"]) if query["after"] in ids else 0
        first = max(end - limit, 0)
        page = items[first:end]
    else:  # `before`: the items older than the cursor; neither: the newest
        cursor = query.get("before")
        first = 0 if cursor is None else ids.index(cursor) + 1 if cursor in ids else len(ids)
        page = items[first:first + limit]
    has_more = first + len(page) < len(items)
    headers = {"X-Pagination-Total": str(len(items)), "X-Pagination-Pages": str(math.ceil(len(items) / limit)),
               "X-Pagination-Current-Page": str(first // limit + 1), "X-Pagination-Per-Page": str(limit)}
    return JSONResponse({"messages": page, "has_more": has_more, "next_cursor": page[-1]["id"] if has_more and page else None},
                        headers=headers)


# ---- groups and webhooks -----------------------------------------------------------------
@endpoint("api")
async def create_group(request: Request, caller: dict[str, Any]) -> Response:
    body = await body_of(request)
    name = text(body, "name")
    description = text(body, "description", required=False, nullable=True)
    members = body.get("members", [])
    settings = body.get("settings", {})
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise invalid("members", "Must be a list of user ids")
    if not isinstance(settings, dict):
        raise invalid("settings", "Must be an object")
    joined = now()
    group = {"id": str(uuid.uuid4()), "name": name, "description": description, "owner_id": caller["id"], "created_at": joined,
             "members": [{"user_id": caller["id"], "role": "owner", "joined_at": joined}]
             + [{"user_id": m, "role": "member", "joined_at": joined} for m in dict.fromkeys(members) if m != caller["id"]],
             "settings": {"is_private": False, "allow_invites": True, "message_retention_days": 30, **settings}}
    GROUPS[group["id"]] = group
    return JSONResponse(group)


@endpoint("api")
async def create_webhook(request: Request, caller: dict[str, Any]) -> Response:
    body = await body_of(request)
    url, secret = text(body, "url"), text(body, "secret")
    events = body.get("events")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise invalid("events", "Must be a list of event names")
    if not url.startswith(("http://", "https://")):
        raise invalid("url", "Must be an http(s) URL")
    hook = {"id": str(uuid.uuid4()), "url": url, "events": events, "created_at": now()}
    WEBHOOKS[hook["id"]] = {**hook, "secret": secret, "owner": caller["id"]}
    return JSONResponse(hook)


def notify(event: str, data: dict[str, Any]) -> None:
    """Deliver `event` to every webhook registered for it, signed with that webhook's secret."""
    for hook in list(WEBHOOKS.values()):
        if event in hook["events"]:
            payload = {"event": event, "timestamp": now(), "data": data}
            canonical = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
            signature = "sha256=" + hmac.new(hook["secret"].encode(), canonical, hashlib.sha256).hexdigest()
            asyncio.get_running_loop().create_task(deliver(hook["url"], {**payload, "signature": signature}))


async def deliver(url: str, payload: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for attempt in range(3):  # the document's advice: retry with exponential backoff
            try:
                if (await client.post(url, json=payload)).is_success:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(2 ** attempt)


# ---- WebSocket ---------------------------------------------------------------------------
async def push(user_id: str, frame: dict[str, Any]) -> None:
    for socket in list(SOCKETS.get(user_id, ())):
        try:
            await socket.send_json(frame)
        except Exception:  # a socket closing under us; its own loop cleans up
            SOCKETS[user_id].discard(socket)


def contacts(user_id: str) -> set[str]:
    """Everyone who shares a conversation with `user_id`."""
    people = {m["receiver_id"] if m["sender_id"] == user_id else m["sender_id"]
              for m in MESSAGES if user_id in (m["sender_id"], m.get("receiver_id"))}
    for group in GROUPS.values():
        if user_id in members_of(group):
            people |= members_of(group)
    return people - {user_id}


async def announce(user: dict[str, Any]) -> None:
    frame = {"type": "presence", "data": {"user_id": user["id"], "status": user["status"], "last_seen": user["last_seen"] or now()}}
    for other in contacts(user["id"]):
        await push(other, frame)


def participants(conversation_id: str, user_id: str) -> set[str] | None:
    group = GROUPS.get(conversation_id)
    if group is not None:
        return members_of(group) if user_id in members_of(group) else None
    for m in MESSAGES:
        if m.get("conversation_id") == conversation_id and user_id in (m["sender_id"], m.get("receiver_id")):
            return {m["sender_id"], m["receiver_id"]}
    return None


async def ws_endpoint(websocket: WebSocket) -> None:
    try:
        user = token_user(websocket.query_params.get("token"))
        spend("ws", user["id"])
    except Refusal as refusal:
        response = refusal.response()
        response.headers.update(getattr(refusal, "headers", {}))
        await websocket.send_denial_response(response)
        return
    await websocket.accept()
    SOCKETS[user["id"]].add(websocket)
    if user["status"] == "offline":
        user["status"] = "online"
        await announce(user)
    try:
        while True:
            raw = await websocket.receive_text()
            error = await handle(user, raw)
            if error is not None:
                await websocket.send_json({"error": error})
    except (WebSocketDisconnect, KeyError, RuntimeError):
        pass
    finally:
        SOCKETS[user["id"]].discard(websocket)
        if not SOCKETS[user["id"]]:
            user["status"], user["last_seen"] = "offline", now()
            await announce(user)


async def handle(user: dict[str, Any], raw: str) -> dict[str, Any] | None:
    """Act on one client frame; the error body to answer with, if any."""
    invalid_frame = {"code": "validation_error", "message": "Invalid request data", "details": {"field": "type", "reason": "Unknown or malformed event"}}
    try:
        frame = json.loads(raw)
    except ValueError:
        return invalid_frame
    data = frame.get("data") if isinstance(frame, dict) else None
    if not isinstance(data, dict):
        return invalid_frame
    if frame.get("type") == "typing":
        conversation, typing = data.get("conversation_id"), data.get("is_typing")
        if not isinstance(conversation, str) or not isinstance(typing, bool):
            return invalid_frame
        people = participants(conversation, user["id"])
        if people is None:
            return {"code": "not_found", "message": f"Conversation {conversation} not found", "details": {"field": "conversation_id"}}
        for other in people - {user["id"]}:
            await push(other, {"type": "typing", "data": {"user_id": user["id"], "conversation_id": conversation, "is_typing": typing}})
        return None
    if frame.get("type") == "presence":
        if data.get("status") not in ("online", "away", "busy", "offline"):
            return invalid_frame
        user["status"], user["last_seen"] = data["status"], now()
        await announce(user)
        return None
    return invalid_frame


app = Starlette(routes=[
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/refresh", refresh, methods=["POST"]),
    Route("/api/users", register, methods=["POST"]),
    Route("/api/users/{user_id}", get_user, methods=["GET"]),
    Route("/api/users/{user_id}", update_user, methods=["PATCH"]),
    Route("/api/messages", send_message, methods=["POST"]),
    Route("/api/messages", list_messages, methods=["GET"]),
    Route("/api/groups", create_group, methods=["POST"]),
    Route("/api/webhooks", create_webhook, methods=["POST"]),
    WebSocketRoute("/ws", ws_endpoint),
])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
