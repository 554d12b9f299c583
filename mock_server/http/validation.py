"""Requests checked against the contract as written, with errors that say where.

Validation runs on the original document (JSON Schema 2020-12 for OpenAPI 3.1), not on its 3.0
view, so nothing is lost in translation. Validators are compiled once per
schema at start-up (``jsonschema_rs``: the hot path must stay fast) and every problem is
reported FastAPI-style as ``{loc: [where, ...path], msg, type}`` so that any envelope, including
FastAPI's own ``detail`` list, can be built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema_rs

from mock_server.http import bounded_json, xml_bodies
from mock_server.http.errors import MockError, validation_error
from mock_server.contracts.discriminators import TAG, branch_named
from mock_server.contracts.operations import Operation
from mock_server.contracts.directions import REQUEST, RESPONSE, directions_of, view, without_hidden
from mock_server.contracts.number_formats import ranged, with_range
from mock_server.contracts.schemas import deref
from mock_server.http.bodies import parse_form, parse_multipart
from mock_server.http.schema_resources import DirectedResources
from mock_server.http.parameters import MISSING, ParameterReader, typed

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: the name the contract is registered under, so a schema's ``#/...`` references find it
CONTRACT_URI = "urn:apitwin:contract"
#: keywords whose values are data, not schemas: a ``$ref`` key inside them is left as it is
DATA_KEYWORDS = frozenset({"const", "enum", "default", "example", "examples"})
#: keywords that map names (which may be any word, "default" too) to schemas
NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


class SchemaCompiler:
    """Compiles schemas of one document into validators that resolve its local ``$ref``s.

    The document is registered once as a resource of its own; each compiled schema points its
    local ``$ref``s at it. Wrapping every schema with the whole ``components`` tree instead made
    each compilation crawl the full contract: seconds of start-up and megabytes per operation on
    a vendor-sized contract.

    A schema is compiled for a direction (contracts/directions.py): requests are checked against
    its request view (``readOnly`` properties never required), answers against its response view
    (``writeOnly`` properties never required). Where a view differs from the contract, what
    differs is registered beside it (http/schema_resources.py). Integer formats are ranges
    either way (contracts/number_formats.py).
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.is_30 = str(document.get("openapi", "")).startswith("3.0")
        components = document.get("components") or {}
        self.components = upgrade_30(components) if self.is_30 else ranged(components)
        directions = directions_of(document)  # inline schemas in paths count too
        self.directed = bool(directions)
        resources = DirectedResources(document, self.components, CONTRACT_URI, directions, _anchored)
        self.registry = jsonschema_rs.Registry(resources.resources, retriever=_no_retrieval)
        self._resolvers = {direction: resources.resolver(direction) for direction in (REQUEST, RESPONSE)}
        self._cache: dict[tuple[int, str], Any] = {}

    def compile(self, schema: Any, direction: str = RESPONSE) -> Any:
        key = (id(schema), direction)
        if key not in self._cache:
            body = upgrade_30(schema) if self.is_30 else ranged(schema)
            if self.directed:
                body = view(body, direction, self.document)
            wrapper: Any = body if isinstance(body, bool) else {"$schema": DIALECT, **_anchored(body, self._resolvers[direction])}
            validator = jsonschema_rs.validator_for(wrapper, registry=self.registry, validate_formats=True, retriever=_no_retrieval)
            self._cache[key] = (validator, schema)  # the schema is kept so its id stays unique
        return self._cache[key][0]

    def problems(
        self, schema: Any, instance: Any, location: Sequence[str | int], direction: str = REQUEST, _depth: int = 0
    ) -> list[dict[str, Any]]:
        """What is wrong with `instance` (a request's part, by default) against `schema`."""
        validator = self.compile(schema, direction)
        try:
            if validator.is_valid(instance):
                return []
            found: list[dict[str, Any]] = []
            for error in validator.iter_errors(instance):
                named = self._named_branch_problems(schema, error, instance, location, direction, _depth)
                found.extend(named if named is not None else [_problem(error, location)])
            return found or [_problem(error, location) for error in validator.iter_errors(instance)]
        except UnicodeEncodeError:
            # JSON may spell a lone surrogate ("\ud800"); it is no Unicode text, so no string
            # schema can accept it. The client's mistake, answered as one.
            return [{"loc": list(location), "msg": "string is not valid Unicode (lone surrogate)", "type": "value_error.unicode"}]

    def _named_branch_problems(self, schema: Any, error: Any, instance: Any, location: Sequence[str | int],
                               direction: str, depth: int) -> list[dict[str, Any]] | None:
        """A tagged choice that failed (a `discriminator`, marked by `contracts.discriminators`) is
        explained by the branch its tag names ("batteryKwh: field required"), not by "valid under
        none of oneOf" (nothing is added when the tag itself is wrong: its own error says so);
        None when the failure is no such choice."""
        path = list(error.schema_path)
        if depth > 8 or not path or path[-1] not in ("oneOf", "anyOf"):
            return None
        holder = _walk(schema, path[:-1])
        if holder is None:
            holder = _walk(self.document, path[:-1])
        value = _walk(instance, list(error.instance_path))
        prop = holder.get(TAG) if isinstance(holder, dict) else None
        if not isinstance(prop, str) or not isinstance(value, dict):
            return None
        branch = branch_named(holder, path[-1], value[prop], self.document) if prop in value else None
        if branch is None:  # a missing or unknown tag: the tag's own `required`/`enum` error says it
            return []
        return self.problems(branch, value, [*location, *error.instance_path], direction, depth + 1) or None

    def is_valid(self, schema: Any, instance: Any, direction: str = RESPONSE) -> bool:
        """Whether `instance` (an answer's part, by default) fits `schema`."""
        try:
            return self.compile(schema, direction).is_valid(instance)
        except UnicodeEncodeError:
            return False


def _walk(node: Any, path: Sequence[Any]) -> Any:
    """The value at `path` (keys and indexes) inside `node`; None when it leads nowhere."""
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif isinstance(node, list) and isinstance(step, str) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _in_contract(ref: str) -> str:
    return CONTRACT_URI + ref


def _no_retrieval(uri: str) -> Any:
    """Validators never fetch: a contract is complete on disk (a remote ``$ref`` is refused when
    the contract is loaded; this is the backstop)."""
    raise ValueError(f"$ref {uri!r} points outside the contract; remote references are not fetched")


def _anchored(node: Any, resolve: Callable[[str], str] = _in_contract) -> Any:
    """``node`` with its document-local ``$ref``s (``#/...``) made absolute (`resolve`: into the
    contract, or into the overlay of the direction it is compiled for)."""
    if isinstance(node, list):
        return [_anchored(item, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$ref", "$dynamicRef") and isinstance(value, str) and value.startswith("#"):
            out[key] = resolve(value)
        elif key in NAMED_SCHEMAS and isinstance(value, dict):
            out[key] = {name: _anchored(schema, resolve) for name, schema in value.items()}
        elif key in DATA_KEYWORDS or key.startswith("x-"):  # other tools' extensions are data too
            out[key] = value
        else:
            out[key] = _anchored(value, resolve)
    return out


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
        names: dict[str, frozenset[str]] = {}
        for parameter in operation.parameters:
            names[str(parameter.get("in"))] = names.get(str(parameter.get("in")), frozenset()) | {str(parameter.get("name"))}
        for parameter in operation.parameters:
            schema = parameter.get("schema")
            if schema is None and isinstance(parameter.get("content"), Mapping) and parameter["content"]:
                schema = (next(iter(parameter["content"].values())) or {}).get("schema")
            schema = schema if isinstance(schema, (dict, bool)) else {}  # no schema: any value
            resolved = deref(schema, document) if isinstance(schema, dict) else {}
            compiler.compile(schema, REQUEST)
            json_content = _json_content(parameter)
            reader = ParameterReader.of(parameter, {} if json_content else schema, document, names.get(str(parameter.get("in")), frozenset()))
            self.params.append((parameter, schema, resolved, reader, json_content))
        body = operation.request_body or {}
        self.body_required = bool(body.get("required"))
        self.media: dict[str, Any] = {}
        self.encodings: dict[str, Any] = {}  # media type -> its `encoding` map (forms, multipart)
        for media_type, media in (body.get("content") or {}).items():
            schema = (media or {}).get("schema")
            if schema is not None:
                compiler.compile(schema, REQUEST)
            self.media[media_type.lower()] = schema
            self.encodings[media_type.lower()] = (media or {}).get("encoding")

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
        for parameter, schema, resolved, reader, json_content in self.params:
            where, name = reader.where, reader.name
            if where not in values:
                continue
            try:
                raw = reader.read(path_params, query, headers, cookies)
                if raw is MISSING:
                    if parameter.get("required") or where == "path":
                        problems.append({"loc": [where, name], "msg": "field required", "type": "value_error.missing"})
                    elif isinstance(resolved, dict) and "default" in resolved:
                        values[where][name] = resolved["default"]
                    continue
                if json_content:  # `content: {application/json: ...}`: the value is JSON text
                    value = bounded_json.loads(raw)
                else:
                    value = typed(raw, resolved, self.compiler.document)
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
            value = parse_form(_decode(raw), schema, self.encodings.get(declared), self.compiler.document)
        elif mime.startswith("multipart/form-data"):
            value = parse_multipart(raw, content_type or "", schema, self.encodings.get(declared), self.compiler.document)
        elif xml_bodies.is_xml(mime) and schema is not None:
            value = xml_bodies.read(raw, schema, self.compiler.document)
        elif mime.startswith("text/"):
            value = _decode(raw)
        else:
            return raw  # binary bodies are accepted as they are
        if schema is not None:
            problems = self.compiler.problems(schema, value, ["body"])
            if problems:
                raise validation_error(problems)
            if self.compiler.directed and isinstance(value, (dict, list)):
                # a `readOnly` value the client sent anyway is the server's to set: ignored
                value = without_hidden(value, schema, REQUEST, self.compiler.document)
        return value


#: a body's size is capped when it is read (413); depth and keys are capped when it is parsed
BODY_LIMITS = bounded_json.LIMITS.sized(None)


def parse_json(raw: bytes) -> Any:
    text = _decode(raw)
    try:
        return bounded_json.loads(text, BODY_LIMITS)
    except bounded_json.JsonLimitError as error:
        raise MockError(error.status, f"Request body refused: {error}") from None
    except ValueError as error:
        raise MockError(400, f"Malformed JSON in request body: {error}") from None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MockError(400, f"Request body is not valid UTF-8 (byte {error.start})") from None


def _json_content(parameter: Mapping[str, Any]) -> bool:
    """A parameter declared with a JSON media type instead of a schema."""
    content = parameter.get("content")
    return isinstance(content, Mapping) and any("json" in str(media).lower() for media in content)


def _parse_untyped(raw: bytes, content_type: str | None) -> Any:
    """A body the contract does not describe: parsed when it is JSON, ignored otherwise."""
    if raw and content_type and "json" in content_type:
        try:
            return bounded_json.loads(raw, BODY_LIMITS)
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
    return with_range(out)  # OpenAPI's int32/int64 formats are ranges
