"""Stored data shaped to what a response schema documents.

What the store holds is richer than any single response (credentials, fields of another view,
what a client sent that the schema does not return). A response shows the documented
properties, plus undocumented ones only where the schema allows them (``additionalProperties``
not false); ``writeOnly`` properties, private fields (``_…``) and credentials (password,
secret, ...) never appear unless a schema names them. A required property the record lacks is
generated, so every answer is valid against its schema while showing the client's own data
wherever the client supplied it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from mock_server.contracts.directions import carries
from mock_server.contracts.schemas import deref
from mock_server.http.validation import SchemaCompiler

_MISSING = object()
RECORD_CACHE_SIZE = 20000

#: stored fields never returned unless a schema documents them by name (credentials, secrets).
SECRET_FIELDS = frozenset({"password", "hashed_password", "password_hash", "secret", "client_secret", "mfa_code", "mfa_secret"})


class Shaper:
    def __init__(self, document: dict[str, Any], generator: Any, compiler: SchemaCompiler) -> None:
        self.document = document
        self.generator = generator
        self.compiler = compiler
        self._resolved: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._records: OrderedDict[tuple[int, int], tuple[Any, Any]] = OrderedDict()

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`schema` with its ``$ref`` followed and ``allOf`` merged (cached: schemas never change)."""
        key = id(schema)
        cached = self._resolved.get(key)
        if cached is None:
            resolved = deref(schema, self.document)
            if isinstance(resolved, dict) and "allOf" in resolved:
                resolved = merge_all_of(resolved, self.document)
            cached = self._resolved[key] = (schema, resolved)
        return cached[1]

    def shape_stored(self, record: dict[str, Any], schema: Any) -> Any:
        """`shape` for a record as the store holds it, remembered while that record is unchanged.

        The store never changes a stored record in place (an update stores a new object), so
        the same object shaped by the same schema always gives the same answer; the cache keeps
        a reference to the record, so its id cannot be reused while the entry lives.
        """
        key = (id(schema), id(record))
        hit = self._records.get(key)
        if hit is not None and hit[0] is record:
            self._records.move_to_end(key)
            return hit[1]
        shaped = self.shape(record, schema)
        self._records[key] = (record, shaped)
        if len(self._records) > RECORD_CACHE_SIZE:
            self._records.popitem(last=False)
        return shaped

    def generate(self, schema: Any, name: str | None = None) -> Any:
        return self.generator.value(schema if isinstance(schema, dict) else {}, name=name, root=self.document)

    def shape(self, value: Any, schema: Any, name: str | None = None, _depth: int = 0) -> Any:
        if schema is True or schema is None or schema == {}:
            return self.generate({}, name) if value is _MISSING else value
        if schema is False:
            return None
        schema = self.resolve(schema)
        if value is _MISSING or _depth > 40:
            return self.generate(schema, name)
        branches = schema.get("oneOf") or schema.get("anyOf")
        if branches:
            return self._shape_branches(value, schema, branches, name, _depth)
        if value is None and _allows_null(schema):
            return None
        kind = _kind(schema, value)
        if kind == "object":
            if not isinstance(value, dict):
                promoted = self._promote(value, schema)
                if promoted is None:
                    return self.generate(schema, name)
                value = promoted
            return self._shape_object(value, schema, _depth)
        if kind == "array":
            if not isinstance(value, list):
                return self.generate(schema, name)
            items = schema.get("items", {})
            prefix = schema.get("prefixItems") or []  # 2020-12: the first items have a schema each
            shaped = [self.shape(item, prefix[i] if i < len(prefix) else items, name, _depth + 1) for i, item in enumerate(value)]
            if isinstance(schema.get("maxItems"), int):
                shaped = shaped[: schema["maxItems"]]
            return shaped
        if self.compiler.is_valid(schema, value):
            return value
        return self.generate(schema, name)

    def _promote(self, value: Any, schema: dict[str, Any]) -> dict[str, Any] | None:
        """An id where an object is documented (``members: ["usr_1"]`` stored, ``members:
        [{user_id, role}]`` returned): the object with that id, the rest generated."""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return None
        for prop, sub in (schema.get("properties") or {}).items():
            if (prop == "id" or prop.endswith("_id")) and self.compiler.is_valid(sub, value):
                return {prop: value}
        return None

    def _shape_object(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for prop, sub in properties.items():
            if carries(sub, "writeOnly", self.document):  # never answered (contracts/directions.py)
                continue
            if prop in value:
                out[prop] = self.shape(value[prop], sub, prop, depth + 1)
            elif prop in required:
                out[prop] = self.shape(_MISSING, sub, prop, depth + 1)
        for branch in self._applied_branches(schema, value, out):
            declared = branch.get("properties") or {}
            for prop in declared:
                if prop in value and prop not in out:
                    out[prop] = value[prop]
            for prop in branch.get("required") or []:
                if prop not in out:
                    out[prop] = self.shape(value.get(prop, _MISSING), declared.get(prop, {}), prop, depth + 1)
        extra = schema.get("additionalProperties", schema.get("unevaluatedProperties", True))
        if extra is True or isinstance(extra, dict):
            for prop, sub_value in value.items():
                if prop in properties or prop.startswith("_") or prop.lower() in SECRET_FIELDS:
                    continue
                out[prop] = sub_value if extra is True or extra == {} else self.shape(sub_value, extra, prop, depth + 1)
            # a name `required` lists and `properties` never declares (vendor contracts have them):
            # the answer still carries it, as what additional properties may be
            for prop in sorted(required - set(out) - set(properties)):
                out[prop] = self.shape(value.get(prop, _MISSING), extra if isinstance(extra, dict) else {}, prop, depth + 1)
        return out

    def _applied_branches(self, schema: dict[str, Any], value: dict[str, Any], out: dict[str, Any]) -> list[dict[str, Any]]:
        """The 2020-12 subschemas that apply to this object beyond `properties`: each
        `dependentSchemas` entry whose property is present (`gift` -> `gift_message`) and the
        `then` or `else` its `if` picks. What they declare is kept from the stored value and what
        they require is made, so `required` there holds and `unevaluatedProperties: false` sees
        those properties evaluated."""
        branches: list[Any] = [dep for trigger, dep in (schema.get("dependentSchemas") or {}).items() if trigger in out]
        if "if" in schema:
            branches.append(schema.get("then") if self.compiler.is_valid(schema["if"], value) else schema.get("else"))
        resolved = [self.resolve(branch) for branch in branches if isinstance(branch, dict)]
        return [branch for branch in resolved if isinstance(branch, dict)]

    def _shape_branches(self, value: Any, schema: dict[str, Any], branches: list[Any], name: str | None, depth: int) -> Any:
        if value is None and _allows_null(schema):
            return None
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        for branch in branches:
            if self.compiler.is_valid(branch, value):
                return value if not _is_object_schema(branch, self.document) else self.shape(value, branch, name, depth + 1)
        for branch in branches:
            resolved = deref(branch, self.document)
            if _kind(resolved, value) == _kind({}, value):
                shaped = self.shape(value, {**base, **resolved} if base else branch, name, depth + 1)
                if self.compiler.is_valid(branch, shaped):
                    return shaped
        return self.generate(schema, name)


def resolved_schema(schema: Any, document: Any) -> dict[str, Any]:
    """A schema with its ``$ref`` followed and its ``allOf`` parts merged ({} for a non-schema)."""
    schema = deref(schema, document) if isinstance(schema, dict) else {}
    return merge_all_of(schema, document) if "allOf" in schema else schema


def schema_properties(schema: Any, document: Any) -> dict[str, Any]:
    return resolved_schema(schema, document).get("properties") or {}


def schema_required(schema: Any, document: Any) -> set[str]:
    return set(resolved_schema(schema, document).get("required") or [])


def merge_all_of(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """One schema with the properties and requirements of every ``allOf`` part."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(merged.get("properties") or {})
    required = list(merged.get("required") or [])
    for part in schema.get("allOf") or []:
        part = deref(part, document)
        if not isinstance(part, dict):
            continue
        if "allOf" in part and depth < 10:
            part = merge_all_of(part, document, depth + 1)
        for key, value in part.items():
            if key == "properties":
                properties.update(value)
            elif key == "required":
                required.extend(r for r in value if r not in required)
            elif key not in merged:
                merged[key] = value
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _kind(schema: dict[str, Any], value: Any) -> str:
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared] if declared else []
    types = [t for t in types if t != "null"]
    if "object" in types or (not types and "properties" in schema):
        return "object"
    if "array" in types or (not types and "items" in schema):
        return "array"
    if not types:
        if isinstance(value, dict):
            return "object-any"
        if isinstance(value, list):
            return "array-any"
    return "scalar"


def _is_object_schema(schema: Any, document: dict[str, Any]) -> bool:
    schema = deref(schema, document)
    return isinstance(schema, dict) and _kind(schema, None) in ("object", "array")


def _allows_null(schema: dict[str, Any]) -> bool:
    declared = schema.get("type")
    if declared == "null" or (isinstance(declared, list) and "null" in declared):
        return True
    if schema.get("nullable") is True:
        return True
    if isinstance(schema.get("enum"), list) and None in schema["enum"]:
        return True
    return any(isinstance(b, dict) and b.get("type") == "null" for b in (schema.get("oneOf") or schema.get("anyOf") or []))
