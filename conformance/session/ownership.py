"""Which records the suite may change: the ones it created in this run.

The contract says how records are made and addressed: a create is a POST to a collection
(`/users`) whose item path (`/users/{id}`) the document also has; a state-changing request
on an item path acts on the record its last path parameter names. Every record a create
answered with (its id in the body, or a `Location`) is remembered with the full set of path
parameters that reach it, so later updates and deletes can be pointed at it, and the run
deletes what it created at the end where the contract documents a DELETE.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import Contract, Operation

READ_ONLY = frozenset({"get", "head", "options", "trace"})
PARAM = re.compile(r"\{([^}]+)\}")
ID_KEYS = ("id", "_id", "uuid", "key", "record_id", "session_id")
MAX_RECORDS = 5000


def is_mutating(method: str) -> bool:
    return method.lower() not in READ_ONLY


def path_params(template: str) -> list[str]:
    return PARAM.findall(template)


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class Shape:
    """What the contract's paths say about records: item paths and which POSTs create."""

    items: dict[str, str]  # collection path (normalised) -> item path template
    creates: dict[str, str]  # operation id -> item path template of what it creates

    @classmethod
    def of(cls, contract: Contract) -> "Shape":
        paths = list((contract.document.get("paths") or {}).keys())
        items: dict[str, str] = {}
        for path in paths:
            # An item path ends in a parameter and can be changed (a list at /things/{kind} cannot).
            match = re.fullmatch(r"(.*)/\{[^}]+\}/?", path)
            if match and any(op.path == path and op.method in ("put", "patch", "delete") for op in contract.operations.values()):
                items.setdefault(_norm(match.group(1)), path)
        creates: dict[str, str] = {}
        by_resource = {
            json_key(op.extension("resource")): op.path
            for op in contract.operations.values()
            if op.path in items.values() and op.extension("resource") is not None
        }
        for operation in contract.operations.values():
            template = cls._created_item(operation, items)
            if template is None and operation.method == "post" and operation.extension("resource") is not None:
                template = by_resource.get(json_key(operation.extension("resource")))  # e.g. a register
            if template:
                creates[operation.id] = template
        return cls(items=items, creates=creates)

    @staticmethod
    def _created_item(operation: Operation, items: dict[str, str]) -> str | None:
        if operation.method != "post":
            return None
        batch = operation.extension("batch")
        if isinstance(batch, dict) and batch.get("action") not in (None, "create"):
            return None
        path = _norm(operation.path)
        if path in items:
            return items[path]
        parent = path.rsplit("/", 1)[0]
        if isinstance(batch, dict) and parent in items:  # POST /things/batch adds to /things
            return items[parent]
        return None

    def is_create(self, operation: Operation) -> bool:
        return operation.id in self.creates

    def target_param(self, operation: Operation) -> str | None:
        """The path parameter naming the record a state-changing request acts on (its last
        one), or None for a create or a request that names no record."""
        if not is_mutating(operation.method) or self.is_create(operation):
            return None
        item_paths = {_norm(path) for path in self.items.values()}
        prefix = ""
        found = None
        for segment in operation.path.strip("/").split("/"):
            prefix += "/" + segment
            if PARAM.fullmatch(segment) and _norm(prefix) in item_paths:
                found = segment[1:-1]
        return found


@dataclass(frozen=True)
class Record:
    template: str
    params: tuple[tuple[str, str], ...]  # every path parameter of the item path, as strings

    def as_dict(self) -> dict[str, str]:
        return dict(self.params)

    def values(self) -> tuple[str, ...]:
        return tuple(value for _, value in self.params)


def _values(template: str, params: dict[str, Any]) -> tuple[str, ...]:
    """The path values in the template's order (names may differ between equal paths)."""
    return tuple(str(params.get(name)) for name in path_params(template))


@dataclass
class OwnRecords:
    """The records created in this run, per item path, newest last."""

    records: list[Record] = field(default_factory=list)
    deleted: set[Record] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, template: str, params: dict[str, Any]) -> None:
        names = path_params(template)
        if any(name not in params for name in names):
            return
        record = Record(template, tuple((name, str(params[name])) for name in names))
        with self.lock:
            if record not in self.records and len(self.records) < MAX_RECORDS:
                self.records.append(record)
            self.deleted.discard(record)

    def owns(self, template: str, params: dict[str, Any]) -> bool:
        """Whether the run created that record (deleted since or not: asking again for a record
        the run deleted touches nobody else's data, and tests the 404)."""
        wanted = _values(template, params)
        with self.lock:
            return any(record.values() == wanted for record in self.records if _same_shape(record.template, template))

    def pick(self, template: str, fixed: dict[str, Any] | None = None) -> dict[str, str] | None:
        """Path parameters of a live record this run created under `template` (parent values
        in `fixed` respected when one matches), mapped onto `template`'s own names."""
        names = path_params(template)
        with self.lock:
            live = [record for record in reversed(self.records) if record not in self.deleted and _same_shape(record.template, template)]
        if not live:
            return None
        for record in live:
            values = [value for _, value in record.params]
            mapped = dict(zip(names, values))
            if fixed and all(str(fixed.get(name)) == mapped[name] for name in names[:-1] if name in fixed):
                return mapped
        return dict(zip(names, [value for _, value in live[0].params]))

    def ids_in(self, template: str, parent: dict[str, Any]) -> list[str]:
        """Last-parameter values of live records under `template` whose parents match."""
        names = path_params(template)
        found = []
        with self.lock:
            for record in self.records:
                if record in self.deleted or not _same_shape(record.template, template):
                    continue
                values = [value for _, value in record.params]
                if all(str(parent.get(name, values[index])) == values[index] for index, name in enumerate(names[:-1])):
                    found.append(values[-1])
        return found

    def forget(self, template: str, params: dict[str, Any]) -> None:
        wanted = _values(template, params)
        with self.lock:
            for record in self.records:
                if record.values() == wanted and _same_shape(record.template, template):
                    self.deleted.add(record)

    def live(self) -> list[Record]:
        with self.lock:
            return [record for record in self.records if record not in self.deleted]


def json_key(value: Any) -> str:
    return repr(sorted(value.items())) if isinstance(value, dict) else repr(value)


def _same_shape(one: str, other: str) -> bool:
    """`/users/{id}` and `/users/{user_id}/` address the same records."""
    return PARAM.sub("{}", _norm(one)) == PARAM.sub("{}", _norm(other))


def created_ids(body: Any, location: str | None) -> list[str]:
    """The ids a create answered with: the body's own id, the ids of a batch's items, or the
    last segment of a `Location` header."""
    found: list[str] = []
    if isinstance(body, dict):
        own = next((body[key] for key in ID_KEYS if isinstance(body.get(key), (str, int)) and not isinstance(body.get(key), bool)), None)
        if own is not None:
            found.append(str(own))
        else:
            for value in body.values():
                if isinstance(value, list):
                    found.extend(created_ids_list(value))
                elif isinstance(value, dict) and not found:
                    found.extend(created_ids(value, None)[:1])
    elif isinstance(body, list):
        found.extend(created_ids_list(body))
    if not found and location:
        segment = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
        if segment:
            found.append(segment)
    if not found and isinstance(body, dict):
        # A register answers with a token for the new account: its claims name it.
        from conformance.auth import TOKEN_KEYS, find_key
        from conformance.session.identity import jwt_claims

        claims = jwt_claims(find_key(body, TOKEN_KEYS))
        subject = next((claims[key] for key in ("user_id", "uid", "sub") if isinstance(claims.get(key), (str, int))), None)
        if subject is not None:
            found.append(str(subject))
    return found[:1000]


def created_ids_list(items: list) -> list[str]:
    ids = []
    for item in items[:1000]:
        if isinstance(item, dict):
            value = next((item[key] for key in ID_KEYS if isinstance(item.get(key), (str, int)) and not isinstance(item.get(key), bool)), None)
            if value is not None:
                ids.append(str(value))
    return ids


def absent_value(schema: dict, original: Any, serial: int) -> Any:
    """A value of the parameter's type that names no record: what a state-changing request
    gets instead of the id of a record the suite did not create (it then tests the 404)."""
    kind = schema.get("type")
    if kind in ("integer", "number"):
        high = schema.get("maximum")
        value = 2_000_000_000 - serial
        if isinstance(high, (int, float)):
            value = int(high) - serial
        low = schema.get("minimum")
        if isinstance(low, (int, float)) and value < low:
            value = int(low)
        return value
    if schema.get("format") == "uuid":
        return f"00000000-0000-4000-8000-{serial:012d}"
    text = str(original) if original is not None else ""
    number = str(990_000_000 + serial)
    prefix = re.match(r"[A-Za-z]+[_-]", text)
    candidates = [
        re.sub(r"\d+$", number, text) if re.search(r"\d$", text) else None,  # n_1 -> n_990000001
        text + number if text else None,
        f"{prefix.group(0) if prefix else ''}apitwinabsent{serial:04d}",
        number,
    ]
    for candidate in candidates:
        if candidate and fits_string(schema, candidate):
            return candidate
    return candidates[2]


def fits_string(schema: dict, value: str) -> bool:
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if not re.search(pattern, value):
                return False
        except re.error:
            return False
    low, high = schema.get("minLength"), schema.get("maxLength")
    return not (isinstance(low, int) and len(value) < low) and not (isinstance(high, int) and len(value) > high)
