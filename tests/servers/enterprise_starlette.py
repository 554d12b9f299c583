"""`enterprise` as a Starlette team builds it from the document (004): JSON login with MFA
and lockout, rotating refresh tokens, logout, API keys, records with the filter language,
offset pagination, batch create/delete and webhook registration, under `/v2`.

Access tokens are JWTs naming their user and session; logout revokes the session, and a
token whose user is renamed or removed is refused. Rate-limit headers are sent on every
answer as the document lists them; the limits are enforced only with `RATE_LIMITS=1`
(pacing is another part of the suite). Webhook deliveries are not sent (no network in tests).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

SECRET = secrets.token_hex(16)
PLANT_500 = os.environ.get("PLANT_500") == "1"
ENFORCE_LIMITS = os.environ.get("RATE_LIMITS") == "1"
ACCESS_TTL = 900
PLANS = {"free": 60, "pro": 300, "enterprise": 1000}
COLLECTION = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
RECORD_ID = re.compile(r"^rec_[a-z0-9]+$")
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
PERMISSION = re.compile(r"^[a-z]+:[a-z_*]+$")
OPERATORS = ("eq", "ne", "gte", "gt", "lte", "lt", "in", "contains")
EVENTS = ("record.created", "record.updated", "record.deleted")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def stamp(moment: dt.datetime | None = None) -> str:
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def bad(message: str, **details: Any) -> ApiError:
    return ApiError(400, "INVALID_REQUEST", message, details)


# ---- state ---------------------------------------------------------------------------------
USERS = {
    "usr_abc123": {"id": "usr_abc123", "username": "john.doe", "email": "john@example.com", "roles": ["user", "editor"],
                   "password": "SecurePassword123!", "mfa": None, "plan": "enterprise"},
    "usr_mfa456": {"id": "usr_mfa456", "username": "jane.smith", "email": "jane@example.com", "roles": ["user"],
                   "password": "SecurePassword456!", "mfa": "123456", "plan": "pro"},
}
SESSIONS: dict[str, dict] = {}  # session id -> {user, username, refresh}
REFRESH: dict[str, str] = {}  # refresh token -> session id
FAILURES: dict[str, list[float]] = {}
LOCKED: dict[str, float] = {}
API_KEYS: dict[str, dict] = {}
RECORDS: dict[str, dict[str, dict]] = {}
WEBHOOKS: dict[str, dict] = {}
WINDOWS: dict[str, tuple[int, int]] = {}  # caller -> (window start, count)


def seed() -> None:
    created = "2024-02-07T10:30:00Z"
    for collection, items in {
        "products": [("rec_abc123", {"name": "Widget Pro", "price": 29.99, "category": "electronics", "in_stock": True}),
                     ("rec_def456", {"name": "Gadget", "price": 9.5, "category": "gadgets", "in_stock": False})],
        "orders": [("rec_ord001", {"status": "pending", "total": 120})],
    }.items():
        RECORDS[collection] = {
            rid: {"id": rid, "collection": collection, "data": data, "metadata": {"tags": ["seed"]}, "created_at": created, "updated_at": created}
            for rid, data in items
        }


seed()


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


# ---- request helpers -----------------------------------------------------------------------
async def body_of(request: Request) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise bad("Content-Type must be application/json")
    raw = await request.body()
    if len(raw) > 10 * 1024 * 1024:
        raise bad("Request body too large")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad("Malformed JSON body") from None


def need_object(value: Any, where: str = "body") -> dict:
    if not isinstance(value, dict):
        raise bad(f"{where} must be an object", field=where)
    return value


def need_string(body: dict, name: str, *, required: bool = False, low: int = 0, high: int | None = None) -> str | None:
    value = body.get(name)
    if value is None and name not in body and not required:
        return None
    if not isinstance(value, str) or len(value) < low or (high is not None and len(value) > high):
        raise bad(f"{name} is invalid", field=name)
    return value


def check_metadata(value: Any) -> None:
    meta = need_object(value, "metadata")
    tags = meta.get("tags")
    if "tags" in meta and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
        raise bad("metadata.tags must be a list of strings", field="metadata.tags")
    labels = meta.get("labels")
    if "labels" in meta and (not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values())):
        raise bad("metadata.labels must map strings to strings", field="metadata.labels")


def is_integer(value: Any) -> bool:
    """JSON has one number type: 305.0 is the integer 305."""
    return not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


def check_ttl(value: Any) -> None:
    if not is_integer(value) or value < 1:
        raise bad("ttl must be a positive integer", field="ttl")


def record_input(body: Any, *, partial: bool = False) -> dict:
    body = need_object(body)
    if partial and not body:
        raise bad("send at least one of data, metadata, ttl")
    if "data" in body or not partial:
        need_object(body.get("data"), "data")
    if "metadata" in body:
        check_metadata(body["metadata"])
    if "ttl" in body:
        check_ttl(body["ttl"])
    return body


# ---- auth ----------------------------------------------------------------------------------
def issue(user: dict, remember: bool) -> dict:
    session = new_id("ses_")
    refresh = secrets.token_urlsafe(32)
    SESSIONS[session] = {"user": user["id"], "username": user["username"]}
    REFRESH[refresh] = session
    claims = {"sub": user["id"], "name": user["username"], "sid": session, "exp": int(time.time()) + ACCESS_TTL}
    return {
        "access_token": jwt.encode(claims, SECRET, algorithm="HS256"),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL,
        "user": {key: user[key] for key in ("id", "username", "email", "roles")},
    }


def caller(request: Request) -> dict | None:
    """{user, session} for a valid bearer token, {key} for a valid API key, None otherwise."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        try:
            claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        user = USERS.get(str(claims.get("sub")))
        session = SESSIONS.get(str(claims.get("sid")))
        if user is None or session is None or user["username"] != claims.get("name"):
            return None  # logged out, or the user was removed or renamed
        return {"user": user, "session": claims["sid"]}
    key = request.headers.get("x-api-key")
    if key and key in API_KEYS and API_KEYS[key]["expires"] > now():
        return {"key": API_KEYS[key], "user": USERS[API_KEYS[key]["owner"]]}
    return None


def authenticated(request: Request, permission: str | None = None, *, keys: bool = True) -> dict:
    who = caller(request)
    if who is None or ("key" in who and not keys):
        raise ApiError(401, "UNAUTHORIZED", "Missing or invalid authentication")
    if "key" in who and permission and permission not in who["key"]["permissions"]:
        raise ApiError(403, "FORBIDDEN", "Authenticated but lacking permission", {"required": permission})
    request.state.plan = who["user"]["plan"]
    return who


async def login(request: Request) -> Response:
    body = need_object(await body_of(request))
    username = need_string(body, "username", required=True, low=3, high=50)
    password = need_string(body, "password", required=True, low=12)
    if "remember_me" in body and not isinstance(body["remember_me"], bool):
        raise bad("remember_me must be a boolean", field="remember_me")
    need_string(body, "device_id", low=1)
    mfa = need_string(body, "mfa_code", low=1)
    user = next((user for user in USERS.values() if user["username"] == username), None)
    moment = time.time()
    if LOCKED.get(username, 0) > moment:
        raise ApiError(403, "ACCOUNT_LOCKED", "Too many failed attempts")
    if user is None or user["password"] != password:
        attempts = [at for at in FAILURES.get(username, []) if moment - at < 900] + [moment]
        FAILURES[username] = attempts
        if len(attempts) >= 5:
            LOCKED[username] = moment + 900
        raise ApiError(401, "INVALID_CREDENTIALS", "Wrong username or password")
    if user["mfa"] and mfa != user["mfa"]:
        raise ApiError(403, "MFA_REQUIRED", "MFA code is required but not provided")
    FAILURES.pop(username, None)
    request.state.plan = user["plan"]
    return JSONResponse(issue(user, bool(body.get("remember_me"))))


async def refresh(request: Request) -> Response:
    body = need_object(await body_of(request))
    token = need_string(body, "refresh_token", required=True, low=1)
    session = REFRESH.pop(token, None)
    if session is None or session not in SESSIONS:
        raise ApiError(401, "UNAUTHORIZED", "Refresh token is invalid or has expired")
    user = USERS[SESSIONS.pop(session)["user"]]
    return JSONResponse(issue(user, False))


async def logout(request: Request) -> Response:
    who = authenticated(request, keys=False)
    SESSIONS.pop(who["session"], None)
    return Response(status_code=204)


async def create_api_key(request: Request) -> Response:
    who = authenticated(request, keys=False)
    body = need_object(await body_of(request))
    name = need_string(body, "name", required=True, low=1, high=100)
    permissions = body.get("permissions", ["read:data"])
    if not isinstance(permissions, list) or not all(isinstance(p, str) and PERMISSION.match(p) for p in permissions) or len(set(permissions)) != len(permissions):
        raise bad("permissions must be distinct `action:resource` strings", field="permissions")
    days = body.get("expires_in_days", 365)
    if not is_integer(days) or days < 1:
        raise bad("expires_in_days must be a positive integer", field="expires_in_days")
    days = int(days)
    key = "sk_live_" + secrets.token_hex(16)
    try:
        expires = now() + dt.timedelta(days=days)
    except OverflowError:
        raise bad("expires_in_days is too large", field="expires_in_days") from None
    API_KEYS[key] = {"key_id": new_id("key_"), "owner": who["user"]["id"], "permissions": permissions, "expires": expires}
    answer = {"key_id": API_KEYS[key]["key_id"], "api_key": key, "name": name, "permissions": permissions, "expires_at": stamp(expires)}
    return JSONResponse(answer, status_code=201)


# ---- records -------------------------------------------------------------------------------
def collection_of(request: Request) -> dict[str, dict]:
    name = request.path_params["collection"]
    if not COLLECTION.match(name):
        raise bad("invalid collection name", parameter="collection", value=name)
    records = RECORDS.setdefault(name, {})
    moment = now()
    for rid in [rid for rid, record in records.items() if record.get("expires_at") and record["expires_at"] <= stamp(moment)]:
        del records[rid]
    return records


def record_of(request: Request) -> tuple[dict[str, dict], dict]:
    records = collection_of(request)
    rid = request.path_params["id"]
    if not RECORD_ID.match(rid):
        raise bad("invalid record id", parameter="id", value=rid)
    if rid not in records:
        raise ApiError(404, "NOT_FOUND", "Record not found", {"id": rid})
    if PLANT_500 and request.method == "GET":
        raise RuntimeError("planted fault behind authentication")
    return records, records[rid]


def build(collection: str, body: dict) -> dict:
    moment = stamp()
    record = {"id": new_id("rec_"), "collection": collection, "data": body["data"], "created_at": moment, "updated_at": moment}
    if "metadata" in body:
        record["metadata"] = body["metadata"]
    apply_ttl(record, body)
    return record


def apply_ttl(record: dict, body: dict) -> None:
    if "ttl" in body:
        record["ttl"] = int(body["ttl"])
        record["expires_at"] = stamp(now() + dt.timedelta(seconds=min(int(body["ttl"]), 10**9)))


async def records_root(request: Request) -> Response:
    if request.method == "POST":
        authenticated(request, "write:data")
        records = collection_of(request)
        body = record_input(await body_of(request))
        record = build(request.path_params["collection"], body)
        records[record["id"]] = record
        return JSONResponse(record, status_code=201)
    authenticated(request, "read:data")
    records = collection_of(request)
    return JSONResponse(query(list(records.values()), request.query_params))


def integer(params: Any, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(f"{name} must be an integer", parameter=name, value=raw) from None
    if value < low or (high is not None and value > high):
        raise bad(f"{name} must be between {low} and {high}" if high else f"{name} must be at least {low}", parameter=name, value=value)
    return value


def lookup(record: dict, name: str) -> Any:
    if name.startswith("data."):
        return record.get("data", {}).get(name[5:])
    if name in record:
        return record[name]
    return record.get("data", {}).get(name)


def matches(value: Any, operator: str, wanted: str) -> bool:
    if value is None:
        return operator == "ne"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if operator == "eq":
        return text == wanted
    if operator == "ne":
        return text != wanted
    if operator == "in":
        return text in wanted.split(",")
    if operator == "contains":
        return wanted.lower() in text.lower()
    try:
        left, right = float(value), float(wanted)
    except (TypeError, ValueError):
        left, right = text, wanted
    try:
        return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[operator]
    except TypeError:
        return False


def query(records: list[dict], params: Any) -> dict:
    expression = params.get("filter")
    clauses = []
    if expression is not None:
        for clause in expression.split(";"):
            parts = clause.split(":", 2)
            if len(parts) != 3 or not FIELD.match(parts[0]) or parts[1] not in OPERATORS or not parts[2]:
                raise bad(f"Invalid filter expression: {clause!r}", parameter="filter", value=expression)
            clauses.append(parts)
    sort = params.get("sort", "created_at")
    if not FIELD.match(sort):
        raise bad("sort must name a field", parameter="sort", value=sort)
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad('order must be "asc" or "desc"', parameter="order", value=order)
    limit = integer(params, "limit", 20, 1, 100)
    offset = integer(params, "offset", 0, 0)
    fields = params.get("fields")
    if fields is not None and not all(FIELD.match(name) for name in fields.split(",")):
        raise bad("fields must be a comma-separated list of field names", parameter="fields", value=fields)
    chosen = [record for record in records if all(matches(lookup(record, name), op, value) for name, op, value in clauses)]
    present = [record for record in chosen if lookup(record, sort) is not None]
    absent = [record for record in chosen if lookup(record, sort) is None]
    present.sort(key=lambda record: (str(type(lookup(record, sort))), lookup(record, sort), record["id"]), reverse=order == "desc")
    ordered = present + sorted(absent, key=lambda record: record["id"])
    page = ordered[offset : offset + limit]
    if fields is not None:
        wanted = set(fields.split(",")) | {"id"}
        page = [{key: value for key, value in record.items() if key in wanted} for record in page]
    return {"data": page, "pagination": {"total": len(ordered), "limit": limit, "offset": offset, "has_more": offset + len(page) < len(ordered)}}


async def record_item(request: Request) -> Response:
    permission = "read:data" if request.method == "GET" else "write:data"
    authenticated(request, permission)
    records, record = record_of(request)
    if request.method == "GET":
        return JSONResponse(record)
    if request.method == "DELETE":
        del records[record["id"]]
        return Response(status_code=204)
    body = record_input(await body_of(request), partial=request.method == "PATCH")
    if request.method == "PUT":
        record["data"] = body["data"]
        if "metadata" in body:
            record["metadata"] = body["metadata"]
    else:
        if "data" in body:
            record["data"] = {**record["data"], **body["data"]}
        if "metadata" in body:
            record["metadata"] = {**record.get("metadata", {}), **body["metadata"]}
    apply_ttl(record, body)
    record["updated_at"] = stamp()
    return JSONResponse(record)


async def batch_create(request: Request) -> Response:
    authenticated(request, "write:data")
    records = collection_of(request)
    body = need_object(await body_of(request))
    entries = body.get("records")
    if not isinstance(entries, list) or not entries:
        raise bad("records must be a non-empty list", field="records")
    if len(entries) > 1000:
        raise bad("Maximum 1000 records per batch request", field="records", max_items=1000, received=len(entries))
    created, errors = [], []
    for index, entry in enumerate(entries):
        try:
            record = build(request.path_params["collection"], record_input(entry))
        except ApiError as exc:
            errors.append({"index": index, "code": exc.code, "message": exc.message})
            continue
        records[record["id"]] = record
        created.append(record)
    answer: dict[str, Any] = {"created": len(created), "failed": len(errors), "records": created}
    if errors:
        answer["errors"] = errors
    return JSONResponse(answer, status_code=201)


async def batch_delete(request: Request) -> Response:
    authenticated(request, "write:data")
    records = collection_of(request)
    body = need_object(await body_of(request))
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > 1000 or not all(isinstance(rid, str) and RECORD_ID.match(rid) for rid in ids):
        raise bad("ids must be a list of 1 to 1000 record ids", field="ids")
    deleted, missing = 0, []
    for rid in dict.fromkeys(ids):
        if records.pop(rid, None) is None:
            missing.append(rid)
        else:
            deleted += 1
    return JSONResponse({"deleted": deleted, "not_found": missing})


async def register_webhook(request: Request) -> Response:
    authenticated(request, "write:data")
    body = need_object(await body_of(request))
    url = need_string(body, "url", required=True)
    if not re.match(r"^https?://[!-~]+$", url or ""):  # an absolute URI: printable ASCII only
        raise bad("url must be an http(s) URL", field="url")
    events = body.get("events")
    if not isinstance(events, list) or not events or any(event not in EVENTS for event in events) or len(set(events)) != len(events):
        raise bad("events must list distinct record events", field="events")
    collections = body.get("collections")
    if "collections" in body and (
        not isinstance(collections, list) or any(not isinstance(c, str) or not COLLECTION.match(c) for c in collections) or len(set(collections)) != len(collections)
    ):
        raise bad("collections must list distinct collection names", field="collections")
    need_string(body, "secret", required=True, low=1)
    hook = {"id": new_id("whk_"), "url": url, "events": events, "active": True, "created_at": stamp()}
    if collections is not None:
        hook["collections"] = collections
    WEBHOOKS[hook["id"]] = {**hook, "secret": body["secret"]}
    return JSONResponse(hook, status_code=201)


# ---- the application -----------------------------------------------------------------------
def error_response(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}}, status_code=status, headers=headers)


CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
         413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR"}


async def on_api_error(request: Request, exc: ApiError) -> Response:
    if os.environ.get("DEBUG_ERRORS"):
        print("ERR", request.method, request.url.path, exc.status, exc.message, flush=True)
    return error_response(exc.status, exc.code, exc.message, exc.details)


async def on_http_error(request: Request, exc: HTTPException) -> Response:
    return error_response(exc.status_code, CODES.get(exc.status_code, "ERROR"), exc.detail or "Error", headers=exc.headers)


async def on_crash(request: Request, exc: Exception) -> Response:
    return error_response(500, "INTERNAL_ERROR", "Server error (retry later)")


class RateLimitHeaders:
    """X-RateLimit-* on every answer, per caller and plan (unauthenticated callers are `free`)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        who = caller(request)
        plan = who["user"]["plan"] if who else "free"
        key = who["user"]["id"] if who else (scope.get("client") or ("?",))[0]
        window = int(time.time()) // 60 * 60
        start, count = WINDOWS.get(key, (window, 0))
        count = count + 1 if start == window else 1
        WINDOWS[key] = (window, count)
        limit = PLANS[plan]
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - count)),
                   "X-RateLimit-Reset": str(window + 60), "X-RateLimit-Plan": plan}
        if ENFORCE_LIMITS and count > limit:
            answer = error_response(429, "RATE_LIMITED", "Too many requests", headers={**headers, "Retry-After": str(window + 60 - int(time.time()))})
            await answer(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *((k.lower().encode(), v.encode()) for k, v in headers.items())]}
            await send(message)

        await self.app(scope, receive, with_headers)


routes = [
    Mount("/v2", routes=[
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/refresh", refresh, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
        Route("/auth/api-keys", create_api_key, methods=["POST"]),
        Route("/data/{collection}/batch", batch_create, methods=["POST"]),
        Route("/data/{collection}/batch-delete", batch_delete, methods=["POST"]),
        Route("/data/{collection}/{id}", record_item, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/data/{collection}", records_root, methods=["GET", "POST"]),
        Route("/webhooks", register_webhook, methods=["POST"]),
    ]),
]

app = RateLimitHeaders(Starlette(
    routes=routes,
    exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash},
))
