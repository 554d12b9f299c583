"""The auth flows an operation names with `x-apitwin-auth`.

    login              username or e-mail + password (+ `mfa_code`), lockout; a session record
                       when the operation declares `x-apitwin-resource` (realtime's /sessions)
    register           a new user in the users collection, credentials kept privately
    refresh            a new access token; with `rotate_refresh` a new refresh token too, the
                       old one refused from then on
    logout             revokes the access token presented (and a `refresh_token` in the body)
    client-credentials OAuth 2.0 client-credentials grant (RFC 6749 section 4.4)
    revoke-session     ends a session: its tokens stop working
    create-api-key     a key shown once, then accepted through the declared API-key scheme

Each answers with the operation's success status and a body shaped by its success schema, so
`token_type: bearer` vs `Bearer`, `expires_in`, or a nested `user` come out as the contract says.
"""

from __future__ import annotations

import base64
import copy
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mock_server.auth.config import has_status, resource_of, success_schema, success_status
from mock_server.auth.credentials import same
from mock_server.auth.principal import Principal
from mock_server.auth.tokens import TokenProblem
from mock_server.datagen.schemas import deref, merge_all, types_of

if TYPE_CHECKING:
    from mock_server.auth.authenticator import Authenticator

#: request fields that identify the account at login, in order of preference
IDENTIFIERS = ("username", "email", "login", "identifier")
#: demo-account fields that are secrets or settings, never part of a user's public record
PRIVATE_FIELDS = ("password", "mfa_code", "plan")


class Flows:
    def __init__(self, auth: "Authenticator", generator: Any):
        self.auth = auth
        self.generator = generator
        self.handlers = {
            "login": self.login, "register": self.register, "refresh": self.refresh, "logout": self.logout,
            "client-credentials": self.client_credentials, "revoke-session": self.revoke_session,
            "create-api-key": self.create_api_key,
        }

    # ------------------------------------------------------------------ entry points
    def perform(self, action: str, operation: dict, body: dict, principal: Principal | None,
                path_params: dict) -> tuple[int, dict | None, dict[str, str]]:
        handler = self.handlers.get(action)
        if handler is None:
            raise ValueError(f"unknown x-apitwin-auth action {action!r}; known: {', '.join(self.handlers)}")
        facts = handler(operation, body, principal, path_params)
        status = success_status(operation)
        if facts is None or status == 204:
            return status, None, {}
        shaped = self.shape(success_schema(operation, self.auth.document), facts)
        return status, shaped, {"Cache-Control": "no-store"}

    def seed_demo_users(self) -> None:
        """The contract's demo accounts: a public user record (unless fixtures already hold one)
        and private credentials, so the documents' example logins work out of the box."""
        config, store = self.auth.config, self.auth.store
        for demo in config.users:
            if demo.get("id") is None:
                continue
            if store.get(config.users_collection, demo["id"]) is None:
                store.insert(config.users_collection, self._public_record(demo, now=False))
            self.auth.credentials.add(demo["id"], username=demo.get("username"), email=demo.get("email"),
                                      password=demo.get("password"), roles=list(demo.get("roles") or config.default_roles),
                                      mfa_code=demo.get("mfa_code"), plan=demo.get("plan"))

    # ------------------------------------------------------------------ flows
    def login(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> dict:
        auth = self.auth
        identifier = next((str(body[k]) for k in IDENTIFIERS if isinstance(body.get(k), str) and body[k]), None)
        password = body.get("password")
        if identifier is None or not isinstance(password, str):
            raise auth.failures.error("invalid_request", details={"reason": "username (or email) and password are required"})
        wait = auth.lockout.locked_for(identifier)
        if wait:
            raise auth.failures.error("account_locked", details={"retry_after": wait}, headers={"Retry-After": str(wait)})
        account = auth.credentials.find(identifier)
        if account is None or not auth.credentials.check(account, password):
            auth.lockout.failed(identifier)
            raise auth.failures.error("invalid_credentials")
        if account.get("mfa_code"):
            code = body.get("mfa_code")
            if not code:
                raise auth.failures.error("mfa_required", details={"mfa_required": True})
            if not same(code, account["mfa_code"]):
                auth.lockout.failed(identifier)
                raise auth.failures.error("invalid_mfa_code")
        auth.lockout.succeeded(identifier)
        refresh_ttl = auth.config.refresh_ttl
        if body.get("remember_me") is True and auth.config.remember_me_refresh_ttl:
            refresh_ttl = auth.config.remember_me_refresh_ttl
        session_id = None
        if operation.get("x-apitwin-resource") and auth.config.sessions_collection:
            session_id = self._open_session(operation, account, body, refresh_ttl)
        return self._issue(account, refresh_ttl=refresh_ttl, session_id=session_id)

    def register(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> dict:
        auth, config = self.auth, self.auth.config
        username, email = body.get("username"), body.get("email")
        username = username if isinstance(username, str) else None if username is None else str(username)
        email = email if isinstance(email, str) else None if email is None else str(email)
        taken = auth.credentials.taken(username, email) or any(
            auth.store.find(config.users_collection, **{field: value})
            for field, value in (("username", username), ("email", email)) if value)
        if taken:
            status = 409 if has_status(operation, 409) else 400
            raise auth.failures.error("user_exists", status=status)
        fields = {k: v for k, v in body.items() if k not in PRIVATE_FIELDS and not _secret_name(k)}
        record = self._public_record({**fields, "id": self._new_user_id()}, now=True)
        auth.store.insert(config.users_collection, record)
        account = auth.credentials.add(record["id"], username=username, email=email, password=body.get("password"),
                                       roles=list(config.default_roles))
        return {**record, **self._issue(account, refresh_ttl=config.refresh_ttl)}

    def refresh(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> dict:
        auth = self.auth
        token = body.get("refresh_token")
        if not isinstance(token, str) or not token:
            raise auth.failures.error("invalid_request", details={"reason": "refresh_token is required"})
        try:
            claims = auth.tokens.decode(token)
        except TokenProblem as problem:
            details = {"token_expired": True} if problem.expired else {"reason": problem.reason}
            raise auth.failures.error("invalid_refresh_token", details=details) from None
        account = auth.credentials.get(claims["sub"])
        session = claims.get("sid")
        if claims.get("typ") != "refresh" or account is None or (
                session and auth.config.sessions_collection
                and auth.store.get(auth.config.sessions_collection, session) is None):
            raise auth.failures.error("invalid_refresh_token", details={"reason": "not a live refresh token"})
        ttl = int(claims.get("rttl") or auth.config.refresh_ttl)
        if auth.config.rotate_refresh:
            auth.tokens.revoke(claims)
            return self._issue(account, refresh_ttl=ttl, session_id=session)
        facts = self._issue(account, refresh_ttl=ttl, session_id=session, with_refresh=False)
        return {**facts, "refresh_token": token}

    def logout(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> None:
        auth = self.auth
        if principal is None:
            raise auth.failures.error("missing_token")
        if principal.claims.get("jti"):
            auth.tokens.revoke(principal.claims)
        token = body.get("refresh_token")
        if isinstance(token, str):
            try:
                claims = auth.tokens.decode(token)
                if claims.get("sub") == principal.user_id:
                    auth.tokens.revoke(claims)
            except TokenProblem:
                pass
        return None

    def client_credentials(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> dict:
        auth = self.auth
        if body.get("grant_type") != "client_credentials":
            raise auth.failures.error("unsupported_grant_type", details={"grant_type": body.get("grant_type")})
        client_id, secret = body.get("client_id"), body.get("client_secret")
        client = next((c for c in auth.config.clients
                       if isinstance(client_id, str) and isinstance(secret, str)
                       and same(client_id, c.get("client_id"))
                       and same(secret, c.get("client_secret"))), None)
        if client is None:
            raise auth.failures.error("invalid_client")
        account = auth.credentials.get(client["user_id"]) if client.get("user_id") is not None else None
        subject = client.get("user_id", client_id)
        roles = list(client.get("roles") or (account or {}).get("roles") or [])
        scope = body.get("scope") if isinstance(body.get("scope"), str) and body.get("scope") else None
        token, _ = auth.tokens.issue(subject, typ="access", ttl=auth.config.access_ttl, kind="client",
                                     client_id=client_id, roles=roles, scope=scope,
                                     username=(account or {}).get("username"), plan=(account or {}).get("plan"))
        facts = {"access_token": token, "token_type": "Bearer", "expires_in": auth.config.access_ttl}
        if scope:
            facts["scope"] = scope
        return facts

    def revoke_session(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> None:
        auth = self.auth
        if principal is None:
            raise auth.failures.error("missing_token")
        session_id = path_params.get("session_id") or next(iter(path_params.values()), None)
        collection = resource_of(auth.config.operation_for(operation)) if auth.config.operation_for(operation) \
            else auth.config.sessions_collection
        collection = collection or auth.config.sessions_collection or "sessions"
        session = auth.store.get(collection, session_id) if session_id is not None else None
        if session is None:
            raise auth.failures.error("session_not_found", details={"session_id": session_id})
        if str(session.get("user_id")) != principal.user_id and "admin" not in principal.roles:
            raise auth.failures.error("not_session_owner")
        auth.store.delete(collection, session_id)
        return None

    def create_api_key(self, operation: dict, body: dict, principal: Principal | None, path_params: dict) -> dict:
        auth = self.auth
        if principal is None:
            raise auth.failures.error("missing_token")
        permissions = body.get("permissions")
        days = body.get("expires_in_days")
        created = auth.api_keys.create(principal.user_id, name=str(body.get("name") or "API key"),
                                       permissions=list(permissions) if isinstance(permissions, list) else None,
                                       days=days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None)
        spec = auth.config.operation_for(operation)
        collection = resource_of(spec) if spec is not None and operation.get("x-apitwin-resource") else None
        if collection:
            public = {k: v for k, v in created.items() if k != "api_key"}
            auth.store.insert(collection, {"id": created["key_id"], **public, "owner_id": principal.user_id})
        return created

    def basic_principal(self, credential: str) -> Principal:
        """HTTP Basic `username:password` checked against the same credentials as login."""
        auth = self.auth
        try:
            username, _, password = base64.b64decode(credential, validate=True).decode().partition(":")
        except (ValueError, UnicodeError):  # binascii.Error, non-ASCII text, bytes that are not UTF-8
            raise auth.failures.error("invalid_credentials") from None
        account = auth.credentials.find(username)
        if account is None or not auth.credentials.check(account, password):
            raise auth.failures.error("invalid_credentials")
        return Principal(user_id=str(account["user_id"]), username=account.get("username"),
                         roles=list(account.get("roles") or []), token_id=None, kind="user", plan=account.get("plan"))

    # ------------------------------------------------------------------ helpers
    def _issue(self, account: dict, *, refresh_ttl: int, session_id: str | None = None,
               with_refresh: bool = True) -> dict:
        auth = self.auth
        common = {"username": account.get("username"), "roles": list(account.get("roles") or []),
                  "plan": account.get("plan"), "sid": session_id}
        access, _ = auth.tokens.issue(account["user_id"], typ="access", ttl=auth.config.access_ttl, **common)
        facts: dict = {"access_token": access, "token_type": "Bearer", "expires_in": auth.config.access_ttl,
                       "user": self._user_facts(account)}
        if with_refresh:
            facts["refresh_token"], _ = auth.tokens.issue(account["user_id"], typ="refresh", ttl=refresh_ttl,
                                                          rttl=refresh_ttl, **common)
        if session_id is not None:
            facts["session_id"] = session_id
        return facts

    def _user_facts(self, account: dict) -> dict:
        stored = self.auth.store.get(self.auth.config.users_collection, account["user_id"]) or {}
        facts = {"id": account["user_id"], "username": account.get("username"), "email": account.get("email"),
                 "roles": list(account.get("roles") or [])}
        return {**facts, **{k: v for k, v in stored.items() if v is not None}, "roles": facts["roles"]}

    def _open_session(self, operation: dict, account: dict, body: dict, ttl: int) -> str:
        auth = self.auth
        schema = _property(success_schema(operation, auth.document), "session_id", auth.document)
        session_id = None
        for _ in range(20):
            session_id = self.generator.value(schema, name="session_id", root=auth.document) if schema else \
                "sess_" + auth.tokens.new_id()[:16]
            if auth.store.get(auth.config.sessions_collection, session_id) is None:
                break
        now = auth.clock()
        record = {"id": session_id, "session_id": session_id, "user_id": account["user_id"],
                  "created_at": _iso(now), "expires_at": _iso(now + ttl)}
        if isinstance(body.get("device_id"), str):
            record["device_id"] = body["device_id"]
        auth.store.insert(auth.config.sessions_collection, record, expires_at=now + ttl)
        return session_id

    def _new_user_id(self) -> Any:
        """An id in the users' own style: the next integer, or one generated from the id schema."""
        auth, config = self.auth, self.auth.config
        schema = _property(config.user_schema, "id", auth.document) if config.user_schema else None
        if schema is not None and "integer" in types_of(_flat(schema, auth.document)):
            ids = [r.get("id") for r in auth.store.list(config.users_collection, copy_records=False)]
            return max([i for i in ids if isinstance(i, int)] + [0]) + 1
        for _ in range(20):
            candidate = self.generator.value(schema, name="id", root=auth.document) if schema else \
                "usr_" + auth.tokens.new_id()[:12]
            if auth.store.get(config.users_collection, candidate) is None:
                return candidate
        return "usr_" + auth.tokens.new_id()

    def _public_record(self, fields: dict, *, now: bool) -> dict:
        """A user's public record: the given fields, the rest generated from the user schema.
        `now` stamps created_at/updated_at with the current time (a registration); demo accounts
        get seeded timestamps so the same `--seed` gives the same data."""
        auth, schema = self.auth, self.auth.config.user_schema
        public = {k: copy.deepcopy(v) for k, v in fields.items() if k not in PRIVATE_FIELDS}
        stamps = ("created_at", "updated_at") if now else ()
        if schema is None:
            return {**{stamp: _iso(auth.clock()) for stamp in stamps[:1]}, **public}
        props = (_flat(schema, auth.document).get("properties") or {})
        known = {k: v for k, v in public.items() if k in props}
        for stamp in stamps:
            if stamp in props and stamp not in known:
                known[stamp] = _iso(auth.clock())
        return self.generator.record(schema, root=auth.document, overrides=known)

    def shape(self, schema: Any, facts: Any) -> Any:
        """`facts` arranged as `schema` describes: declared properties only, constants and
        enums honoured, required ones the facts lack generated."""
        if schema is None or not isinstance(facts, dict):
            return facts
        root = self.auth.document
        flat = _flat(schema, root)
        props = flat.get("properties")
        if not isinstance(props, dict):
            return facts
        required = set(flat.get("required") or ())
        out: dict = {}
        for name, sub in props.items():
            sub_flat = _flat(sub, root)
            value = facts.get(name)
            if "const" in sub_flat and (name in facts or name in required):
                out[name] = copy.deepcopy(sub_flat["const"])
            elif value is not None or (name in facts and "null" in types_of(sub_flat)):
                out[name] = self._fit(sub, sub_flat, value)
            elif name in required:
                out[name] = self.generator.value(sub, name=name, root=root)
        return out

    def _fit(self, schema: Any, flat: dict, value: Any) -> Any:
        if isinstance(value, dict):
            return self.shape(schema, value)
        enum = flat.get("enum")
        if enum and value not in enum:
            same = [e for e in enum if isinstance(e, str) and isinstance(value, str) and e.lower() == value.lower()]
            return same[0] if same else enum[0]
        return value


def _flat(schema: Any, root: dict) -> dict:
    schema = deref(schema, root)
    if isinstance(schema, dict) and "allOf" in schema:
        return merge_all([{k: v for k, v in schema.items() if k != "allOf"}, *schema["allOf"]], root)
    return schema if isinstance(schema, dict) else {}


def _property(schema: Any, name: str, root: dict) -> Any:
    if schema is None:
        return None
    return (_flat(schema, root).get("properties") or {}).get(name)


def _secret_name(name: str) -> bool:
    return any(word in name.lower() for word in ("password", "secret"))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
