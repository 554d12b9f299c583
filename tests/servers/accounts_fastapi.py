"""`accounts` as a FastAPI team builds it from the document (003): OAuth2 password login (form,
and the reference's JSON), register, users CRUD with skip/limit, a per-client WebSocket.

A token's `sub` is the username, looked up on every request (FastAPI's tutorial way): renaming
or deleting the user kills its tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import secrets
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SECRET = secrets.token_hex(16)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
PLANT_500 = os.environ.get("PLANT_500") == "1"
MAX_FRAME = 65536

app = FastAPI(title="Accounts API", docs_url="/docs", redoc_url="/redoc")
bearer = HTTPBearer(auto_error=False)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self) -> None:
        self.users: dict[int, dict[str, Any]] = {}
        self.passwords: dict[int, str] = {}
        self.next_id = 1
        for name, email, full in (("user", "user@example.com", "Demo User"), ("alice.liddell", "alice.liddell@example.org", "Alice Liddell"), ("robert.roe", "robert.roe@example.org", None)):
            self.add(name, email, "password", full)

    def add(self, username: str, email: str, password: str, full_name: str | None) -> dict[str, Any]:
        stamp = now()
        user = {"id": self.next_id, "email": email, "username": username, "full_name": full_name,
                "is_active": True, "is_superuser": False, "created_at": stamp, "updated_at": stamp}
        self.users[self.next_id] = user
        self.passwords[self.next_id] = password
        self.next_id += 1
        return user

    def by_name(self, username: str) -> dict[str, Any] | None:
        return next((user for user in self.users.values() if user["username"] == username), None)


store = Store()
sockets: set[WebSocket] = set()


def email_ok(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("value is not a valid email address")
    return value


class LoginJson(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class Register(BaseModel):
    email: str
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    full_name: str | None = None
    _email = field_validator("email")(email_ok)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str | None = None
    username: str | None = Field(default=None, min_length=1)
    full_name: str | None = None
    password: str | None = Field(default=None, min_length=1)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("email may not be null")
        return email_ok(value)

    @field_validator("username", "password")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("may not be null")
        return value


def token_for(user: dict[str, Any]) -> dict[str, str]:
    claims = {"sub": user["username"], "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)}
    return {"access_token": jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "bearer"}


def current_user(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict[str, Any]:
    unauthorized = HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    try:
        claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}) from None
    user = store.by_name(str(claims.get("sub")))
    if user is None:  # renamed or deleted: the token names nobody any more
        raise HTTPException(401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})
    return user


Authenticated = Annotated[dict, Depends(current_user)]


def unique(email: str | None, username: str | None, skip: int | None = None) -> None:
    for user in store.users.values():
        if user["id"] == skip:
            continue
        if username is not None and user["username"] == username:
            raise HTTPException(400, "The user with this username already exists in the system.")
        if email is not None and user["email"] == email:
            raise HTTPException(400, "The user with this email already exists in the system.")


def validation_error(errors: list[dict]) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in errors]}, status_code=422)


@app.post("/api/v1/auth/login")
async def login(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise HTTPException(400, "Invalid request parameters") from None
        try:
            form = LoginJson.model_validate(data)
        except ValidationError as exc:
            return validation_error([{**err, "loc": ("body", *err["loc"])} for err in exc.errors()])
    elif kind == "application/x-www-form-urlencoded":
        data = dict(await request.form())
        grant = data.get("grant_type")
        if grant is not None and grant != "password":
            return validation_error([{"loc": ("body", "grant_type"), "msg": "String should match pattern '^password$'", "type": "string_pattern_mismatch"}])
        try:
            form = LoginJson.model_validate({key: data.get(key) for key in ("username", "password")})
        except ValidationError as exc:
            return validation_error([{**err, "loc": ("body", *err["loc"])} for err in exc.errors()])
    else:
        raise HTTPException(415, "Unsupported media type")
    user = store.by_name(form.username)
    if user is None or store.passwords[user["id"]] != form.password:
        raise HTTPException(401, "Incorrect username or password", headers={"WWW-Authenticate": "Bearer"})
    return token_for(user)


@app.post("/api/v1/auth/register")
async def register(body: Register) -> dict[str, str]:
    unique(body.email, body.username)
    user = store.add(body.username, body.email, body.password, body.full_name)
    await broadcast("user.created", user)
    return token_for(user)


@app.get("/api/v1/users/")
async def list_users(
    who: Authenticated,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[dict]:
    return [store.users[key] for key in sorted(store.users)][skip : skip + limit]


def find(user_id: int) -> dict[str, Any]:
    user = store.users.get(user_id)
    if user is None:
        raise HTTPException(404, "User not found")
    return user


@app.get("/api/v1/users/{user_id}")
async def get_user(user_id: Annotated[int, Field(ge=1)], who: Authenticated) -> dict:
    user = find(user_id)
    if PLANT_500:
        raise RuntimeError("planted fault behind authentication")
    return user


@app.put("/api/v1/users/{user_id}")
async def update_user(user_id: Annotated[int, Field(ge=1)], body: UserUpdate, who: Authenticated) -> dict:
    user = find(user_id)
    sent = body.model_dump(exclude_unset=True)
    unique(sent.get("email"), sent.get("username"), skip=user_id)
    if "password" in sent:
        store.passwords[user_id] = sent.pop("password")
    user.update(sent, updated_at=now())
    await broadcast("user.updated", user)
    return user


@app.delete("/api/v1/users/{user_id}")
async def delete_user(user_id: Annotated[int, Field(ge=1)], who: Authenticated) -> dict:
    user = find(user_id)
    del store.users[user_id]
    await broadcast("user.deleted", {"id": user["id"], "username": user["username"]})
    return {"message": "User deleted successfully"}


@app.middleware("http")
async def allow_every_method(request: Request, call_next: Any) -> Any:
    """FastAPI answers 405 with the first matching route's methods only; list them all."""
    response = await call_next(request)
    if response.status_code == 405:
        methods = set()
        for route in app.routes:
            match = getattr(route, "path_regex", None)
            if match is not None and match.match(request.url.path) and getattr(route, "methods", None):
                methods |= set(route.methods)
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


@app.exception_handler(RuntimeError)
async def server_error(request: Request, exc: RuntimeError) -> JSONResponse:
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


async def broadcast(kind: str, data: dict) -> None:
    frame = {"type": kind, "data": dict(data), "timestamp": now()}
    for socket in list(sockets):
        try:
            await socket.send_json(frame)
        except Exception:  # a socket closing meanwhile
            sockets.discard(socket)


@app.websocket("/api/v1/ws/{client_id}")
async def client_socket(websocket: WebSocket, client_id: str) -> None:
    await websocket.accept()
    sockets.add(websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            if len(text.encode()) > MAX_FRAME:
                await websocket.close(1009)
                break
            try:
                frame = __import__("json").loads(text)
            except ValueError:
                frame = None
            if not isinstance(frame, dict) or frame.get("type") != "chat" or not isinstance(frame.get("message"), str):
                await websocket.send_json({"type": "error", "detail": "Invalid message format"})
                continue
            await websocket.send_json({"client_id": client_id, "message": frame["message"], "type": "echo"})
    except (WebSocketDisconnect, asyncio.CancelledError):
        pass
    finally:
        sockets.discard(websocket)
