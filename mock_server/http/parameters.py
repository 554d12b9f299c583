"""Parameter values as OpenAPI serializes them, read back into JSON values.

A parameter's ``style`` and ``explode`` say how an array or an object travels in a path, query,
header or cookie (OpenAPI's "Style Values" table). `ParameterReader` is built once per parameter
at start-up and reads the request's strings into one of three raw shapes, chosen by the schema:
a string, a list of strings, or an object of strings (nested for ``deepObject``)::

    path    simple   1,2,3          R,100,G,200      R=100,G=200 (explode)
            label    .1.2.3  .1,2,3  .R,100,G,200     .R=100.G=200 (explode)
            matrix   ;id=1,2,3      ;id=1;id=2 (explode)   ;R=100;G=200 (explode)
    query   form     id=1&id=2 (explode)   id=1,2   R=100&G=200 (explode)   color=R,100,G,200
            spaceDelimited id=1%202   pipeDelimited id=1|2
            deepObject color[R]=100&color[G]=200, nested color[a][b]=1, arrays expand[]=x
    header  simple, as in a path;  cookie  form, as in a query

`typed` then turns those strings into the types the schema names (``"3"`` -> 3 where it asks for
an integer), so the value can be validated against the schema and used by filters and actions.
A value that cannot be what the schema asks raises ValueError with a message for the client.

A few spellings clients commonly use are read too, since refusing them helps no one: ``name[]``
and ``name[0]`` for any array in a query, ``name[key]`` for any object in a query, a comma list
sent once to an exploded form array, and JSON text for an object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from mock_server.contracts.schemas import deref

#: a parameter absent from the request
MISSING: Any = object()

#: how deep ``name[a][b]...`` may nest
MAX_DEPTH = 8

DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
#: a query style's delimiter (values are decoded: ``+`` and ``%20`` are spaces by then)
DELIMITERS = {"form": re.compile(","), "spaceDelimited": re.compile(" "), "pipeDelimited": re.compile(r"\|")}
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

Raw = Any  # str | list[str] | dict[str, Raw]

#: path values arrive still percent-encoded (routing keeps them as sent): split at the style's
#: delimiters first, then each part decoded, so an encoded ``,`` or ``;`` stays inside its item.
#: Query values arrive decoded, since clients encode a query's delimiters as often as not
#: (``ids=1%2C2`` is what most HTTP libraries send for ``1,2``); headers and cookies are as sent.
DECODERS = {"path": unquote}


class _Text(str):
    """Text already decoded (JSON text in a path): not decoded again."""


@dataclass(frozen=True)
class ParameterReader:
    """How one parameter is found in a request and split into its raw shape."""

    name: str
    where: str                        # path | query | header | cookie
    style: str
    explode: bool
    shape: str                        # scalar | array | object
    properties: tuple[str, ...] = ()  # an exploded form object's own keys
    open_object: bool = False         # an exploded form object declaring additionalProperties and
                                      # no properties takes every key no other parameter claims
    claimed: frozenset[str] = frozenset()  # the other query/cookie parameters' names

    @classmethod
    def of(cls, parameter: Mapping[str, Any], schema: Any, document: Mapping[str, Any], claimed: frozenset[str] = frozenset()) -> ParameterReader:
        where = str(parameter.get("in"))
        style = str(parameter.get("style") or DEFAULT_STYLE.get(where, "form"))
        explode = parameter.get("explode", style == "form")
        types = schema_types(schema, document)
        shape = "array" if "array" in types else "object" if "object" in types else "scalar"
        resolved = deref(schema, document) if isinstance(schema, dict) else {}
        properties = tuple(resolved.get("properties") or ()) if isinstance(resolved, dict) else ()
        return cls(
            name=str(parameter.get("name")),
            where=where,
            style=style,
            explode=bool(explode),
            shape=shape,
            properties=properties,
            open_object=not properties and isinstance(resolved, dict) and resolved.get("additionalProperties") not in (None, False),
            claimed=claimed - {str(parameter.get("name"))},
        )

    def read(self, path_params: Mapping[str, Any], query: Sequence[tuple[str, str]],
             headers: Mapping[str, str], cookies: Mapping[str, str]) -> Raw:
        """The raw value (decoded strings), or `MISSING`. Path values come still percent-encoded:
        they are split first, then each part decoded (see `DECODERS`)."""
        decode = DECODERS.get(self.where, _same)
        if self.where == "path":
            raw = self._path(path_params[self.name], decode) if self.name in path_params else MISSING
        elif self.where == "header":
            value = headers.get(self.name.lower())
            raw = MISSING if value is None else _simple(value, self.shape, self.explode, decode)
        elif self.where == "query":
            raw = self._pairs(query)
        elif self.where == "cookie":
            raw = self._pairs(list(cookies.items()))
        else:
            raw = MISSING
        return raw if raw is MISSING else _decoded(raw, decode)

    # -- path -------------------------------------------------------------------------------

    def _path(self, value: Any, decode: Any) -> Raw:
        text = str(value)
        if self.style == "label":
            if not text.startswith("."):
                raise ValueError("a label-style value starts with '.'")
            text = text[1:]
            if self.shape == "scalar":
                return text
            separator = "." if self.explode or "," not in text else ","
            parts = text.split(separator) if text else []
            return _assignments(parts) if self.shape == "object" and self.explode else _shaped(parts, self.shape)
        if self.style == "matrix":
            return self._matrix(text, decode)
        return _simple(text, self.shape, self.explode, decode)

    def _matrix(self, text: str, decode: Any) -> Raw:
        if not text.startswith(";"):
            raise ValueError("a matrix-style value starts with ';'")
        pairs = [part.partition("=") for part in text[1:].split(";") if part]
        if self.shape == "object" and self.explode:
            if any(not sep for _, sep, _ in pairs):
                raise ValueError("an exploded matrix-style object is ;key=value;key=value")
            return {key: value for key, _, value in pairs}
        values = [value for key, _, value in pairs if decode(key) == self.name]
        if not values:
            raise ValueError(f"a matrix-style value names its parameter (;{self.name}=...)")
        if self.shape == "scalar":
            return values[-1]
        parts = values if self.explode and self.shape == "array" else [p for v in values for p in (v.split(",") if v else [])]
        return _shaped(parts, self.shape)

    # -- query and cookie ---------------------------------------------------------------------

    def _pairs(self, pairs: Sequence[tuple[str, str]]) -> Raw:
        name = self.name
        plain = [value for key, value in pairs if key == name]
        if self.shape == "scalar":
            return plain[-1] if plain else MISSING
        if self.shape == "array":
            return self._array(pairs, plain)
        return self._object(pairs, plain)

    def _array(self, pairs: Sequence[tuple[str, str]], plain: list[str]) -> Raw:
        indexed = [value for key, value in pairs if key.startswith(self.name + "[") and _is_index(key[len(self.name):])]
        if not plain and not indexed:
            return MISSING
        if self.style == "deepObject":
            return plain + indexed
        delimiter = DELIMITERS.get(self.style, DELIMITERS["form"])
        if self.explode and (len(plain) > 1 or self.style != "form"):
            return plain + indexed
        # one value: a delimited list (form's comma list also when sent once to an exploded array)
        return [part for value in plain for part in (delimiter.split(value) if value != "" else [])] + indexed

    def _object(self, pairs: Sequence[tuple[str, str]], plain: list[str]) -> Raw:
        nested = _bracketed(pairs, self.name)
        if nested:
            return nested
        if plain:
            text = plain[-1]
            if text.lstrip().startswith("{"):
                return text  # JSON text, parsed by `typed`
            delimiter = DELIMITERS.get(self.style, DELIMITERS["form"])
            return _pairs_of(delimiter.split(text) if text else [])
        if self.style == "form" and self.explode:
            found = {key: value for key, value in pairs if key in self.properties}
            if self.open_object:
                found.update({key: value for key, value in pairs if key not in self.claimed and "[" not in key})
            return found or MISSING
        return MISSING


def schema_types(schema: Any, document: Mapping[str, Any], depth: int = 0) -> set[str]:
    """The JSON types a schema admits (``nullable``, type arrays and compositions included)."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return set()
    schema = deref(schema, document)
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    found = {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else set()
    if schema.get("nullable"):
        found.add("null")
    for keyword in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(keyword) or []:
            found |= schema_types(sub, document, depth + 1)
    if not found:
        if "enum" in schema or "const" in schema:
            values = schema.get("enum") or [schema.get("const")]
            found = {_json_type(v) for v in values}
        elif "items" in schema or "prefixItems" in schema:
            found = {"array"}
        elif "properties" in schema or "additionalProperties" in schema:
            found = {"object"}
    return found


def typed(raw: Raw, schema: Any, document: Mapping[str, Any], depth: int = 0) -> Any:
    """The raw strings as the JSON value the schema describes."""
    if depth > MAX_DEPTH:
        raise ValueError("value nests too deep")
    schema = deref(schema, document) if isinstance(schema, dict) else {}
    types = schema_types(schema, document)
    if isinstance(raw, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out = {}
        for key, value in raw.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else {})
            out[key] = typed(value, sub, document, depth + 1)
        return out
    if isinstance(raw, list):
        if "array" not in types and types:  # a list where one value is asked for: the last wins
            return typed(raw[-1], schema, document, depth + 1) if raw else typed("", schema, document, depth + 1)
        items = schema.get("items")
        prefix = schema.get("prefixItems") or []
        return [typed(v, prefix[i] if i < len(prefix) else items or {}, document, depth + 1) for i, v in enumerate(raw)]
    if "array" in types and not types & {"string", "object"}:
        return typed(raw.split(",") if raw != "" else [], schema, document, depth + 1)
    return scalar(str(raw), types)


def scalar(text: str, types: set[str]) -> Any:
    """One string as the scalar (or JSON object) the types ask for."""
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
    if "object" in types or "array" in types:
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError(f"value is not a valid {'object' if 'object' in types else 'array'}") from None
    return text


# -- helpers -------------------------------------------------------------------------------------


def _same(text: str) -> str:
    return text


def _decoded(raw: Raw, decode: Any) -> Raw:
    """Every string of a raw value decoded, once."""
    if isinstance(raw, _Text):
        return str(raw)
    if isinstance(raw, str):
        return decode(raw)
    if isinstance(raw, list):
        return [_decoded(item, decode) for item in raw]
    if isinstance(raw, dict):
        return {_decoded(key, decode): _decoded(value, decode) for key, value in raw.items()}
    return raw


def _simple(text: str, shape: str, explode: bool, decode: Any = _same) -> Raw:
    """simple style (paths and headers): ``a,b,c``; objects ``k,v,k,v`` or exploded ``k=v,k=v``."""
    if shape == "scalar":
        return text
    parts = [p.strip() for p in text.split(",")] if text != "" else []
    if shape == "object":
        if decode(text).lstrip().startswith("{"):
            return _Text(decode(text))
        return _assignments(parts) if explode or all("=" in p for p in parts) and parts else _pairs_of(parts)
    return parts


def _shaped(parts: list[str], shape: str) -> Raw:
    return _pairs_of(parts) if shape == "object" else parts


def _assignments(parts: list[str]) -> dict[str, str]:
    out = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {part!r}")
        out[key] = value
    return out


def _pairs_of(parts: list[str]) -> dict[str, str]:
    """``[k, v, k, v]`` as an object."""
    if len(parts) % 2:
        raise ValueError("an object is sent as key,value pairs: the count of parts is odd")
    return {parts[i]: parts[i + 1] for i in range(0, len(parts), 2)}


def _is_index(suffix: str) -> bool:
    return suffix == "[]" or (suffix.startswith("[") and suffix.endswith("]") and suffix[1:-1].isdigit())


def _bracketed(pairs: Sequence[tuple[str, str]], name: str) -> dict[str, Any]:
    """``name[a]=1&name[b][c]=2&name[d][]=3`` as ``{a: 1, b: {c: 2}, d: [3]}`` (strings)."""
    out: dict[str, Any] = {}
    prefix = name + "["
    for key, value in pairs:
        if not key.startswith(prefix):
            continue
        rest = key[len(name):]
        path = _BRACKETS.findall(rest)
        if not path or "".join(f"[{p}]" for p in path) != rest or path[0] == "" or path[0].isdigit():
            continue  # name[] / name[0] are array spellings, handled there
        if len(path) > MAX_DEPTH:
            raise ValueError(f"{key!r} nests deeper than {MAX_DEPTH} levels")
        node = out
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if part == "" and last:
                break
            following = path[index + 1] if not last else None
            if last:
                node[part] = value
            elif following == "":
                node.setdefault(part, [])
                if isinstance(node[part], list):
                    node[part].append(value)
                break
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, (dict, list)):
        return "object" if isinstance(value, dict) else "array"
    return "string"


__all__ = ["MISSING", "ParameterReader", "scalar", "schema_types", "typed"]
