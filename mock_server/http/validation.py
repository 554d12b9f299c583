"""Requests checked against the contract as written, with errors that say where.

Validation runs on the original document (JSON Schema 2020-12 for OpenAPI 3.1), not on the 3.0
view Connexion routes by, so nothing is lost in translation. Validators are compiled once per
schema at start-up (``jsonschema_rs``: the hot path must stay fast) and every problem is
reported FastAPI-style as ``{loc: [where, ...path], msg, type}`` so that any envelope, including
FastAPI's own ``detail`` list, can be built from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs

from mock_server.http.errors import MockError, validation_error
from mock_server.contracts.operations import Operation
from mock_server.contracts.schemas import anchored_schemas, deref

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class SchemaCompiler:
    """Compiles schemas of one document into validators that resolve its local ``$ref``s."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.is_30 = str(document.get("openapi", "")).startswith("3.0")
        components = document.get("components") or {}
        self.components = upgrade_30(components) if self.is_30 else components
        anchored = anchored_schemas({"components": self.components})
        self.anchors = {"$defs": anchored} if anchored else {}
        self._cache: dict[int, Any] = {}

    def compile(self, schema: Any) -> Any:
        key = id(schema)
        if key not in self._cache:
            body = upgrade_30(schema) if self.is_30 else schema
            if isinstance(body, bool):
                wrapper: Any = body
            elif "$ref" in (text := json.dumps(body)) or "$dynamicRef" in text:
                wrapper = {"$schema": DIALECT, "components": self.components, **self.anchors, "allOf": [body]}
            else:  # self-contained: no need to carry the whole components tree along
                wrapper = {"$schema": DIALECT, **body}
            self._cache[key] = (jsonschema_rs.validator_for(wrapper, validate_formats=True, retriever=_no_retrieval), schema)
        return self._cache[key][0]

    def problems(self, schema: Any, instance: Any, location: Sequence[str | int]) -> list[dict[str, Any]]:
        validator = self.compile(schema)
        try:
            if validator.is_valid(instance):
                return []
            return [_problem(error, location) for error in validator.iter_errors(instance)]
        except UnicodeEncodeError:
            # JSON may spell a lone surrogate ("\ud800"); it is no Unicode text, so no string
            # schema can accept it. The client's mistake, answered as one.
            return [{"loc": list(location), "msg": "string is not valid Unicode (lone surrogate)", "type": "value_error.unicode"}]

    def is_valid(self, schema: Any, instance: Any) -> bool:
        try:
            return self.compile(schema).is_valid(instance)
        except UnicodeEncodeError:
            return False


def _no_retrieval(uri: str) -> Any:
    """Validators never fetch: a contract is complete on disk (a remote ``$ref`` is refused when
    the contract is loaded; this is the backstop)."""
    raise ValueError(f"$ref {uri!r} points outside the contract; remote references are not fetched")


def _problem(error: Any, location: Sequence[str | int]) -> dict[str, Any]:
    kind = error.kind.name if hasattr(error.kind, "name") else type(error.kind).__name__.lower()
    loc = [*location, *error.instance_path]
    facts = error.kind.as_dict() if hasattr(error.kind, "as_dict") else {}
    if kind == "required":
        return {"loc": [*loc, facts.get("property", "")], "msg": "field required", "type": "value_error.missing"}
    if kind == "type":
        types = list(facts.get("types") or ["value"])
        types = [t for t in types if t != "null"] + [t for t in types if t == "null"]  # `[integer, 'null']`: an integer
        return {"loc": loc, "msg": f"value is not a valid {' or '.join(types)}", "type": f"type_error.{types[0]}"}
    if kind == "format":
        fmt = facts.get("format") or "format"
        if fmt == "email":
            return {"loc": loc, "msg": "value is not a valid email address", "type": "value_error.email"}
        return {"loc": loc, "msg": error.message, "type": f"value_error.{fmt}"}
    return {"loc": loc, "msg": error.message, "type": f"value_error.{kind}"}


class RequestValidator:
    """Parses and checks one operation's parameters and body."""

    def __init__(self, operation: Operation, compiler: SchemaCompiler) -> None:
        self.operation = operation
        self.compiler = compiler
        document = compiler.document
        self.params = []
        for parameter in operation.parameters:
            schema = parameter.get("schema")
            if schema is None and parameter.get("content"):
                schema = next(iter(parameter["content"].values())).get("schema")
            schema = schema if isinstance(schema, (dict, bool)) else {}
            resolved = deref(schema, document) if isinstance(schema, dict) else {}
            compiler.compile(schema)
            self.params.append((parameter, schema, resolved))
        body = operation.request_body or {}
        self.body_required = bool(body.get("required"))
        self.media: dict[str, Any] = {}
        for media_type, media in (body.get("content") or {}).items():
            schema = (media or {}).get("schema")
            if schema is not None:
                compiler.compile(schema)
            self.media[media_type.lower()] = schema

    # -- parameters ------------------------------------------------------------------------

    def parameters(
        self,
        path_params: Mapping[str, Any],
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
    ) -> dict[str, dict[str, Any]]:
        """{location: {name: typed value}} with defaults applied; validation MockError otherwise."""
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        problems: list[dict[str, Any]] = []
        for parameter, schema, resolved in self.params:
            where, name = parameter.get("in"), parameter.get("name")
            raw: list[str]
            if where == "path":
                raw = [str(path_params[name])] if name in path_params else []
            elif where == "query":
                raw = [v for k, v in query if k == name]
            elif where == "header":
                value = headers.get(name.lower())
                raw = [value] if value is not None else []
            elif where == "cookie":
                raw = [cookies[name]] if name in cookies else []
            else:
                continue
            if not raw:
                if parameter.get("required") or where == "path":
                    problems.append({"loc": [where, name], "msg": "field required", "type": "value_error.missing"})
                elif isinstance(resolved, dict) and "default" in resolved:
                    values[where][name] = resolved["default"]
                continue
            try:
                if _json_content(parameter):  # `content: {application/json: ...}`: the value is JSON text
                    value = json.loads(raw[-1])
                else:
                    value = coerce(raw, resolved, self.compiler.document, explode=parameter.get("explode", parameter.get("style", "form") == "form"))
            except ValueError as error:
                problems.append({"loc": [where, name], "msg": str(error), "type": "type_error"})
                continue
            found = self.compiler.problems(schema, value, [where, name])
            if found:
                problems.extend(found)
                continue
            values[where][name] = value
        if problems:
            raise validation_error(problems)
        return values

    # -- body ------------------------------------------------------------------------------

    @property
    def has_body(self) -> bool:
        return bool(self.media)

    def body(self, raw: bytes, content_type: str | None) -> Any:
        """The parsed, checked body (None when there is none and none is required)."""
        if not self.media:
            return _parse_untyped(raw, content_type)
        if not raw:
            if self.body_required:
                raise validation_error([{"loc": ["body"], "msg": "field required", "type": "value_error.missing"}])
            return None
        mime = (content_type or "").split(";")[0].strip().lower() or next(iter(self.media))
        declared = _match_media(mime, self.media)
        if declared is None:
            raise MockError(415, f"Unsupported media type {mime!r}; expected {', '.join(self.media)}")
        schema = self.media[declared]
        if "json" in mime:
            value = parse_json(raw)
        elif mime == "application/x-www-form-urlencoded":
            value = parse_form(raw, deref(schema, self.compiler.document) if isinstance(schema, dict) else {}, self.compiler.document)
        elif mime.startswith("text/"):
            value = _decode(raw)
        else:
            return raw  # binary and multipart bodies are accepted as they are
        if schema is not None:
            problems = self.compiler.problems(schema, value, ["body"])
            if problems:
                raise validation_error(problems)
        return value


def parse_json(raw: bytes) -> Any:
    text = _decode(raw)
    try:
        return json.loads(text)
    except ValueError as error:
        raise MockError(400, f"Malformed JSON in request body: {error}") from None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MockError(400, f"Request body is not valid UTF-8 (byte {error.start})") from None


def parse_form(raw: bytes, schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    pairs = parse_qsl(_decode(raw), keep_blank_values=True)
    properties = schema.get("properties") or {}
    form: dict[str, Any] = {}
    problems = []
    for name in dict.fromkeys(k for k, _ in pairs):
        raw_values = [v for k, v in pairs if k == name]
        sub = deref(properties.get(name) or {}, document)
        try:
            form[name] = coerce(raw_values, sub, document, explode=True)
        except ValueError as error:
            problems.append({"loc": ["body", name], "msg": str(error), "type": "type_error"})
    if problems:
        raise validation_error(problems)
    return form


def _json_content(parameter: Mapping[str, Any]) -> bool:
    """A parameter declared with a JSON media type instead of a schema."""
    content = parameter.get("content")
    return isinstance(content, Mapping) and any("json" in str(media).lower() for media in content)


def _parse_untyped(raw: bytes, content_type: str | None) -> Any:
    """A body the contract does not describe: parsed when it is JSON, ignored otherwise."""
    if raw and content_type and "json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return None


def _match_media(mime: str, declared: Mapping[str, Any]) -> str | None:
    if mime in declared:
        return mime
    for candidate in declared:
        if candidate in ("*/*", "application/*") or (candidate.endswith("/*") and mime.startswith(candidate[:-1])):
            return candidate
        if candidate == "application/json" and mime.endswith("+json"):
            return candidate
    return None


def coerce(raw: list[str], schema: Any, document: dict[str, Any], *, explode: bool = True) -> Any:
    """Strings from a URL/header/form into the JSON value the schema describes."""
    schema = deref(schema, document) if isinstance(schema, dict) else {}
    types = _types(schema, document)
    if "array" in types:
        items = deref(schema.get("items") or {}, document)
        parts = raw if (explode and len(raw) > 1) else [p for v in raw for p in (v.split(",") if v != "" else [])]
        return [_scalar(part, _types(items, document) - {"array"}) for part in parts]
    return _scalar(raw[-1], types)


def _scalar(text: str, types: set[str]) -> Any:
    if not types or "string" in types:
        return text
    if "null" in types and text in ("null", ""):
        return None
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            if types <= {"integer", "null"}:
                raise ValueError("value is not a valid integer") from None
    if "number" in types:
        try:
            value = float(text)
            return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
        except ValueError:
            if types <= {"number", "integer", "null"}:
                raise ValueError("value is not a valid number") from None
    if "boolean" in types:
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ValueError("value could not be parsed to a boolean")
    if "object" in types:
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("value is not a valid object") from None
    return text


def _types(schema: Any, document: dict[str, Any], depth: int = 0) -> set[str]:
    if not isinstance(schema, dict) or depth > 5:
        return set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found = {declared}
    elif isinstance(declared, list):
        found = set(declared)
    else:
        found = set()
    if schema.get("nullable"):
        found.add("null")
    for keyword in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(keyword) or []:
            found |= _types(deref(sub, document), document, depth + 1)
    if not found:
        if "enum" in schema or "const" in schema:
            values = schema.get("enum") or [schema.get("const")]
            found = {_json_type(v) for v in values}
        elif "items" in schema:
            found = {"array"}
        elif "properties" in schema:
            found = {"object"}
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


# -- OpenAPI 3.0 schemas as JSON Schema 2020-12 --------------------------------------------------


def upgrade_30(node: Any) -> Any:
    """3.0's schema dialect in 2020-12 terms (``nullable``, boolean exclusive bounds)."""
    if isinstance(node, list):
        return [upgrade_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: upgrade_30(value) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        elif "type" not in out and any(k in out for k in ("anyOf", "oneOf", "allOf", "$ref")):
            out = {"anyOf": [out, {"type": "null"}]}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            del out[exclusive]
    return out
