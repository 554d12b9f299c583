"""The contract's collections, as its paths and `x-apitwin-resource` bindings declare them.

A collection gathers the operations that act on one kind of record: list, create, get,
replace, patch, delete (the same inference the mock serves them by, so both sides read the
contract alike). The probes create their own records in it and act only on those.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from mock_server.contracts.directions import REQUEST
from mock_server.contracts.operations import Operation as Bound, collect_operations
from mock_server.contracts.schemas import deref
from mock_server.datagen.generator import DataGenerator

from conformance.contract import Contract, Operation, dig

_PARAM = re.compile(r"\{([^}]+)\}")
#: record fields the server keeps itself: not the client's to see unchanged after a write
SERVER_FIELDS = re.compile(r"(^|_)(updated|modified|version|etag|revision|last_seen|expires)(_at)?$|At$", re.IGNORECASE)


@dataclass
class Collection:
    name: str
    key: str
    operations: dict[str, Operation] = field(default_factory=dict)  # action -> operation
    bound: dict[str, Bound] = field(default_factory=dict)

    def op(self, action: str) -> Operation | None:
        return self.operations.get(action)

    @property
    def anchor(self) -> Operation:
        """The operation findings about the collection as a whole are filed under."""
        return self.operations.get("list") or self.operations.get("create") or next(iter(self.operations.values()))


def collections(contract: Contract, include: list[str], exclude: list[str]) -> list[Collection]:
    """Every collection with at least a list or a create operation among the selected ones."""
    found: dict[str, Collection] = {}
    for op_id, bound in collect_operations(contract.document).items():
        resource = bound.resource
        operation = contract.operations.get(op_id)
        if resource is None or operation is None or not selected(operation, include, exclude):
            continue
        if resource.action not in ("list", "create", "get", "replace", "patch", "delete"):
            continue
        if resource.action == "create" and operation.extension("auth"):
            continue  # a registration: accounts are the auth probes' to make
        entry = found.setdefault(resource.collection, Collection(name=resource.collection, key=resource.key))
        entry.operations.setdefault(resource.action, operation)
        entry.bound.setdefault(resource.action, bound)
    return [entry for entry in found.values() if entry.op("list") or entry.op("create")]


def selected(operation: Operation, include: list[str], exclude: list[str]) -> bool:
    names = {operation.id, operation.path, operation.label, *operation.tags}
    return (not include or bool(names & set(include))) and not names & set(exclude)


# ---- path parameters -----------------------------------------------------------------------
def path_values(contract: Contract, bound: Bound, collection: Collection, run_marker: str) -> dict[str, str] | None:
    """Values for the path parameters of a collection-level path: the collection parameter gets
    a fresh name of our own (so the run works in a collection nobody else uses), any other one
    its documented example; None when a parameter has no usable value."""
    values: dict[str, str] = {}
    for name in _PARAM.findall(bound.path):
        parameter = next((p for p in bound.parameters if p.get("name") == name and p.get("in") == "path"), {})
        schema = deref(parameter.get("schema") or {}, contract.document)
        candidates = []
        if "{" + name + "}" == collection.name:
            candidates.append(f"apitwin-{run_marker}")
        candidates += [parameter.get("example"), schema.get("example"), *(schema.get("examples") or [])[:1], schema.get("default")]
        value = next((c for c in candidates if c is not None and not contract.schema_errors(schema, c, REQUEST)), None)
        if value is None:
            return None
        values[name] = str(value)
    return values


def fill(path: str, values: dict[str, Any]) -> str:
    return _PARAM.sub(lambda match: str(values.get(match.group(1), match.group(0))), path)


# ---- request bodies ------------------------------------------------------------------------
def request_schema(contract: Contract, bound: Bound) -> tuple[str, dict] | None:
    """(media type, schema) of the operation's JSON (or form) request body."""
    body = bound.request_body or {}
    for media_type, media in (body.get("content") or {}).items():
        if ("json" in media_type or "form" in media_type) and isinstance(media, dict):
            return media_type, deref(media.get("schema") or {}, contract.document)
    return None


def example_of(contract: Contract, bound: Bound) -> Any:
    body = bound.request_body or {}
    for media_type, media in (body.get("content") or {}).items():
        if "json" not in media_type and "form" not in media_type or not isinstance(media, dict):
            continue
        for example in (media.get("examples") or {}).values():
            example = deref(example, contract.document)
            if isinstance(example, dict) and "value" in example:
                return json.loads(json.dumps(example["value"]))
        if "example" in media:
            return json.loads(json.dumps(media["example"]))
    return None


def new_body(contract: Contract, bound: Bound, seed: int) -> Any:
    """A request body of our own: the documented example (else a generated one), with its
    free-text strings made unique so a second run never collides with the first."""
    found = request_schema(contract, bound)
    if found is None:
        return None
    _, schema = found
    body = example_of(contract, bound)
    if body is None or contract.schema_errors(schema, body, REQUEST):
        body = DataGenerator(seed, stream="behaviour").value(schema, root=contract.document, mode="request")
    if isinstance(body, dict):
        properties = deref(schema, contract.document).get("properties") or {}
        for name, value in list(body.items()):
            if isinstance(value, str) and name in properties:
                changed = {**body, name: unique_string(contract, properties[name], value)}
            elif isinstance(value, dict) and not deref(properties.get(name) or {}, contract.document).get("properties"):
                # free-form data (a record's `data`): its texts tagged, so our records differ
                tag = secrets.token_hex(3)
                changed = {**body, name: {k: f"{v} {tag}" if isinstance(v, str) else v for k, v in value.items()}}
            else:
                continue
            if not contract.schema_errors(schema, changed, REQUEST):
                body = changed
    return body


def unique_string(contract: Contract, schema: Any, old: str) -> str:
    """A value of this string property no one else has: an e-mail stays an e-mail."""
    schema = deref(schema, contract.document) if isinstance(schema, dict) else {}
    tag = secrets.token_hex(4)
    if schema.get("enum") or schema.get("const") is not None or schema.get("pattern"):
        return old
    if schema.get("format") == "email" or "@" in old:
        return f"apitwin.{tag}@example.com"
    limit = int(schema.get("maxLength") or 64)
    return f"apitwin {tag}"[:limit] if limit >= 8 else old


def changed_value(contract: Contract, schema: Any, old: Any) -> Any:
    """A new value for a property, valid against its schema and different from `old`; None when
    the property offers no simple change."""
    schema = deref(schema, contract.document) if isinstance(schema, dict) else {}
    if schema.get("readOnly"):
        return None
    candidates: list[Any] = []
    enum = schema.get("enum")
    if enum:
        candidates = [value for value in enum if value != old]
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds and not enum and not schema.get("format", "").startswith("date"):
        candidates.append(f"apitwin {secrets.token_hex(4)}"[: int(schema.get("maxLength") or 64)])
    if "object" in kinds and not schema.get("properties") and not schema.get("required"):
        tag = secrets.token_hex(4)
        candidates.append({f"apitwin_{tag}": tag})  # a key of its own: a merge keeps the others
    if "boolean" in kinds and isinstance(old, bool):
        candidates.append(not old)
    for candidate in candidates:
        if candidate != old and not contract.schema_errors(schema, candidate, REQUEST):
            return candidate
    return None


def record_in(data: Any, key: str) -> dict | None:
    """The record in a write's answer: the body itself, or the one object in it carrying the key."""
    if isinstance(data, dict) and key in data:
        return data
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, dict) and key in value:
                return value
    return None


def contains(actual: Any, sent: Any) -> bool:
    """Whether what was read back holds what was sent (objects may carry more keys)."""
    if isinstance(sent, dict):
        return isinstance(actual, dict) and all(contains(actual.get(k), v) for k, v in sent.items())
    if isinstance(sent, float) or isinstance(actual, float):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and abs(float(actual) - float(sent)) < 1e-9
    return actual == sent


def shown(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def item_schema(contract: Contract, bound: Bound) -> dict:
    """The schema of one record in the operation's success answer (a list's items, or the body)."""
    media = bound.response_media(bound.success_status)[1]
    schema = deref(media.get("schema") or {}, contract.document)
    declaration = bound.extension("x-apitwin-pagination") or {}
    path = declaration.get("items", "data") if declaration else ""
    for part in [p for p in str(path or "").split(".") if p]:
        schema = deref((schema.get("properties") or {}).get(part) or {}, contract.document)
    if schema.get("type") == "array" or "items" in schema:
        schema = deref(schema.get("items") or {}, contract.document)
    return schema


def items_of(bound: Bound, data: Any) -> list | None:
    """The records of a list answer: at the pagination's `items` path, the body, or its one list."""
    declaration = bound.extension("x-apitwin-pagination") or {}
    if declaration:
        found = dig(data, declaration.get("items", "data") or "")
        return found if isinstance(found, list) else None
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        return lists[0] if len(lists) == 1 else None
    return None
