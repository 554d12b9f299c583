"""The session guard: every request the suite sends passes here before and after.

Before a request: a state-changing request aimed at a record the run did not create (or at
the logged-in principal, always) is pointed at a record the run created, or at an id that
names nothing (the request then tests the 404); an operation that ends the session it is sent
with (logout, revocation) gets a login of its own. After: creates are remembered, answers are
counted for reach, and a 401 to the suite's own valid token means the session died: the guard
logs in again, and when that fails it records the request after which the session was lost,
which stops the phase and makes the run exit 2.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import requests

from conformance.auth import AuthSession
from conformance.contract import Contract, Operation
from conformance.http import transport as http_transport
from conformance.session.identity import ME_PATH, names_in
from conformance.session.ownership import OwnRecords, Shape, absent_value, created_ids, fits_string, is_mutating, path_params
from conformance.session.reach import ReachCounter

#: operations that end the session they are sent with (run on a login of their own)
ENDS_SESSION = re.compile(r"log[-_ ]?out|sign[-_ ]?out|revoke|revocation|invalidate|end[-_ ]?session|terminate", re.IGNORECASE)
#: operations that change the account itself (never run on the suite's principal)
CHANGES_ACCOUNT = re.compile(r"password|passwd|deactivate|close[-_ ]?account|delete[-_ ]?account|delete[-_ ]?me", re.IGNORECASE)
SESSION_SEGMENT = re.compile(r"^(sessions?|tokens?)$", re.IGNORECASE)
AUTH_ISSUERS = ("login", "refresh", "register", "client-credentials", "create-api-key")
MAX_RELOGINS = 20
UNIQUE_FIELDS = ("username", "email", "login", "name", "slug")
CLEANUP_TIMEOUT = 5.0


def operation_text(operation: Operation) -> str:
    return " ".join(str(part) for part in (operation.id, operation.path, operation.definition.get("summary") or ""))


def ending_kind(operation: Operation) -> str | None:
    """`logout` for an operation that ends the session it is sent with, `account` for one
    that changes the account itself (password, deletion), None otherwise. Read from the
    contract: `x-apitwin-auth`, then the operationId, path and summary, then the shape (a
    DELETE of a session or token)."""
    declared = str(operation.extension("auth") or "")
    if declared in AUTH_ISSUERS or not is_mutating(operation.method):
        return None
    text = f"{declared} {operation_text(operation)}"
    if CHANGES_ACCOUNT.search(text):
        return "account"
    if ENDS_SESSION.search(text):
        return "logout"
    literals = [segment for segment in operation.path.strip("/").split("/") if not segment.startswith("{")]
    if operation.method == "delete" and any(SESSION_SEGMENT.match(segment) for segment in literals):
        return "logout"
    return None


class SessionGuard:
    def __init__(self, contract: Contract, session: AuthSession, *, destructive: bool = False, timeout: float = 10.0) -> None:
        self.contract = contract
        self.session = session
        self.destructive = destructive
        self.timeout = timeout
        self.shape = Shape.of(contract)
        self.records = OwnRecords()
        self.reach = ReachCounter()
        self.rewrites = 0
        self.relogins = 0
        self.lost: str | None = None
        self.last_ok: str | None = None
        self._spare: str | None = None
        self._serial = 0
        self._asked = False
        self._lock = threading.Lock()

    # ---- which operations run at all ---------------------------------------------------
    def excluded(self, operation: Operation | None) -> str | None:
        """Why an operation is not run at all (None: it runs)."""
        if operation is None:
            return None
        names_no_record = self.shape.target_param(operation) is None
        if names_no_record and (
            ending_kind(operation) == "account"
            or (is_mutating(operation.method) and ME_PATH.search(operation.path.rstrip("/") or "/") and not self.shape.is_create(operation))
        ):
            # A password change or account deletion that names no record acts on the logged-in
            # account itself; one that names a record is aimed at the run's own accounts.
            return "it would change the account the suite is logged in as"
        if (
            not self.destructive
            and operation.method in ("put", "patch", "delete")
            and self.shape.target_param(operation) is None
            and ending_kind(operation) is None
        ):
            return "it changes data the run did not create (--destructive runs it)"
        return None

    # ---- before a request ----------------------------------------------------------------
    def credentials(self, operation: Operation | None) -> dict[str, str]:
        """The headers a request carries: the shared login's, or for an operation that ends
        its session, a login of its own (kept until an answer says it was used up)."""
        if operation is not None and ending_kind(operation) == "logout" and operation.is_protected:
            with self._lock:
                if self._spare is None:
                    self._spare = self.session.fresh_token()
                spare = self._spare
            # Without a login of its own the request goes without credentials: never with the
            # shared login, which it would end.
            return {**self.session.token_headers(spare), **self.session.credentials.extra_headers()}
        return self.session.headers()

    def open_spare(self) -> None:
        """Take the login a session-ending operation goes with before the run starts, as the
        run's own login is: later, a target's strict rate limit may leave no turn for it."""
        if any(ending_kind(op) == "logout" and op.is_protected and not self.excluded(op) for op in self.contract.operations.values()):
            with http_transport.current().patient(), self._lock:
                if self._spare is None:
                    self._spare = self.session.fresh_token()

    def prepare(self, operation: Operation | None, case: Any) -> None:
        """Point a state-changing request at the run's own data (see the module docstring)."""
        if operation is None or not is_mutating(operation.method):
            return
        self.ask_who_am_i()
        param = self.shape.target_param(operation)
        values = case.path_parameters if isinstance(case.path_parameters, dict) else None
        if param and values is not None and param in values:
            self._aim(operation, param, values)
        body = case.body
        batch = operation.extension("batch") or {}
        field = batch.get("ids") if isinstance(batch, dict) and batch.get("action") == "delete" else "ids"
        if isinstance(body, dict) and isinstance(body.get(field), list) and not self.destructive:
            case.body = {**body, field: self._own_ids(operation, values or {}, body[field])}

    def ask_who_am_i(self) -> None:
        """Once, before the first state-changing request: a `me`-style operation of the contract
        (GET /me, /users/me, /userinfo, ...) names the principal as the server sees it."""
        with self._lock:
            if self._asked:
                return
            self._asked = True
        for operation in self.contract.operations.values():
            if operation.method != "get" or path_params(operation.path) or not ME_PATH.search(operation.path):
                continue
            headers = self.session.headers()
            if not headers:
                return
            try:
                answer = http_transport.request("GET", self.session.base_url + operation.path, headers=headers, timeout=min(self.timeout, CLEANUP_TIMEOUT))
                data = answer.json() if answer.status_code == 200 else None
            except (requests.RequestException, ValueError):
                continue
            self.session.principal.learn(names_in(data) if isinstance(data, dict) else set(), operation.label)
            return

    def _aim(self, operation: Operation, param: str, values: dict[str, Any]) -> None:
        principal = self.session.principal
        touches_principal = any(principal.is_principal(value) for value in values.values())
        if self.destructive and not touches_principal:
            return
        if not touches_principal and self.records.owns(operation.path, values):
            return
        schema = self.parameter_schema(operation, param)
        if not fits(schema, values[param]):
            return  # a value the parameter cannot take names no record (a negative test)
        mine = self.records.pick(operation.path, values)
        with self._lock:
            self.rewrites += 1
            self._serial += 1
            serial = self._serial
        if mine:
            for name, value in mine.items():
                values[name] = value if isinstance(values.get(name), str) else typed(self.parameter_schema(operation, name), value)
        else:
            original = values[param]
            value = absent_value(schema, original, serial)
            values[param] = str(value) if isinstance(original, str) else value

    def _own_ids(self, operation: Operation, parent: dict[str, Any], ids: list) -> list:
        template = self.shape.items.get(operation.path.rstrip("/").rsplit("/", 1)[0])
        mine = set(self.records.ids_in(template, parent)) if template else set()
        kept = [value for value in ids if str(value) in mine and not self.session.principal.is_principal(value)]
        if len(kept) < len(ids):
            with self._lock:
                self.rewrites += 1
                self._serial += 1
                serial = self._serial
            kept += [absent_value({"type": "string"}, value, serial * 1000 + index) for index, value in enumerate(ids[len(kept):])]
        return kept

    def parameter_schema(self, operation: Operation, name: str) -> dict:
        item = self.contract.resolve((self.contract.document.get("paths") or {}).get(operation.path) or {})
        for parameter in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]:
            parameter = self.contract.resolve(parameter)
            if isinstance(parameter, dict) and parameter.get("name") == name and parameter.get("in") == "path":
                return self.contract.resolve(parameter.get("schema") or {})
        return {}

    # ---- after a request -----------------------------------------------------------------
    def observe(self, operation: Operation | None, case: Any, status: int, sent_headers: Any, body: Any, location: str | None) -> None:
        label = f"{case.method.upper()} {case.operation.path}" if operation is None else operation.label
        carried = self.carries_credentials(sent_headers)
        protected = operation.is_protected if operation is not None else False
        self.reach.record(label, status, carried=carried, protected=protected)
        if operation is None:
            return
        values = case.path_parameters if isinstance(case.path_parameters, dict) else {}
        if 200 <= status < 300:
            template = self.shape.creates.get(operation.id)
            if template:
                last = path_params(template)[-1]
                schema = self.template_schema(template, last)
                ids = [value for value in created_ids(body, location) if fits(schema, value)]
                if not ids:  # the answer names the new record in no usable way: look it up
                    found = self.locate(template, values, case.body)
                    ids = [found] if found is not None and fits(schema, found) else []
                for created in ids:
                    self.records.add(template, {**values, last: created})
            if operation.method == "delete" and (param := self.shape.target_param(operation)) and param in values:
                self.records.forget(operation.path, values)
            if ending_kind(operation) == "logout":
                with self._lock:
                    self._spare = None  # used up: no longer valid credentials, for reach too
                    self.session.issued.discard(self.sent_token(sent_headers) or "")
        main = self.session.token
        sent_main = bool(main) and self.sent_token(sent_headers) == main
        if not sent_main:
            return
        if status == 401 and protected:
            self._session_refused(main)
        elif protected:  # the token was accepted by an operation that needs one
            self.last_ok = f"{label} (answered {status})"

    def _session_refused(self, token: str) -> None:
        with self._lock:
            if self.lost or self.session.token != token:
                return  # already handled: a new login is in place, or the loss is recorded
            if self.session.credentials.token:
                # A given token cannot be renewed: lost if it worked before, else simply refused
                # (reach shows it).
                if self.last_ok:
                    self.lost = f"session lost after {self.last_ok}: the given token is refused now (401)"
                return
            if self.relogins >= MAX_RELOGINS:
                return
            self.relogins += 1
            self.session.invalidate()
            if self.session.current_token():
                return
            where = self.last_ok or "the first request"
            self.lost = f"session lost after {where}: logging in again failed: {self.session.failure or 'no token'}"

    def template_schema(self, template: str, name: str) -> dict:
        operation = next((op for op in self.contract.operations.values() if op.path == template), None)
        return self.parameter_schema(operation, name) if operation else {}

    def locate(self, template: str, values: dict[str, Any], sent: Any) -> str | None:
        """The id of a record just created, found in its collection's list by the unique
        fields the create sent (username, email, name): for creates that answer with a token
        or nothing usable."""
        if not isinstance(sent, dict):
            return None
        keys = [key for key in UNIQUE_FIELDS if isinstance(sent.get(key), str)]
        collection = template.rstrip("/").rsplit("/", 1)[0]
        lister = next(
            (op for op in self.contract.operations.values() if op.method == "get" and op.path.rstrip("/") == collection),
            None,
        )
        if not keys or lister is None:
            return None
        url = self.session.base_url + fill(lister.path, [str(values.get(name, "")) for name in path_params(lister.path)])
        try:
            answer = http_transport.request("GET", url, headers=self.session.headers(), timeout=min(self.timeout, CLEANUP_TIMEOUT))
            data = answer.json() if answer.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None
        items = data if isinstance(data, list) else next((value for value in (data or {}).values() if isinstance(value, list)), []) if isinstance(data, dict) else []
        for item in reversed(items):
            if isinstance(item, dict) and all(item.get(key) == sent[key] for key in keys if key in item) and any(key in item for key in keys):
                ids = created_ids(item, None)
                return ids[0] if ids else None
        return None

    def sent_token(self, headers: Any) -> str | None:
        value = str((headers or {}).get(self.session.bearer_header) or "")
        return value[7:] if value.lower().startswith("bearer ") else value or None

    def carries_credentials(self, headers: Any) -> bool:
        if not headers:
            return False
        sent = {str(value) for value in headers.values()}
        extra = self.session.credentials.extra_headers()
        if extra and all(headers.get(name) == value for name, value in extra.items()):
            return True
        if self.session.credentials.api_key and self.session.credentials.api_key in sent:
            return True
        token = self.sent_token(headers)
        return token is not None and token in self.session.issued

    # ---- at the end ----------------------------------------------------------------------
    def cleanup(self, base_url: str) -> tuple[int, int]:
        """Delete what the run created where the contract documents a DELETE on its item
        path; (deleted, left) counts."""
        deletes = {op.path: op for op in self.contract.operations.values() if op.method == "delete"}
        done = left = 0
        for record in self.records.live():
            operation = next((op for path, op in deletes.items() if _same(path, record.template)), None)
            if operation is None:
                left += 1
                continue
            url = base_url.rstrip("/") + fill(operation.path, [value for _, value in record.params])
            try:
                # credentials(): a DELETE that ends a session (DELETE /sessions/{id}) goes with a
                # login of its own, so the cleanup never ends the suite's own session.
                answer = http_transport.request("DELETE", url, headers=self.credentials(operation), timeout=min(self.timeout, CLEANUP_TIMEOUT))
                if answer.status_code < 300 and ending_kind(operation) == "logout":
                    with self._lock:
                        self._spare = None
                ok = answer.status_code < 300 or answer.status_code in (404, 410)
            except requests.RequestException:
                ok = False
            done, left = (done + 1, left) if ok else (done, left + 1)
        return done, left


def _same(one: str, other: str) -> bool:
    pattern = re.compile(r"\{[^}]+\}")
    return pattern.sub("{}", one.rstrip("/")) == pattern.sub("{}", other.rstrip("/"))


def fill(template: str, values: list[str]) -> str:
    parts = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _: requests.utils.quote(str(next(parts, "")), safe=""), template)


def fits(schema: dict, value: Any) -> bool:
    """Whether a path value could name a record (path values may come as text: "5" is 5)."""
    kind = schema.get("type")
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None)
    if kind == "number":
        return isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) is not None)
    if kind == "string":
        return isinstance(value, str) and fits_string(schema, value)
    return value is not None


def typed(schema: dict, value: str) -> Any:
    if schema.get("type") == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    return value
