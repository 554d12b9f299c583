"""Form and multipart request bodies read into the JSON value their schema describes.

An ``application/x-www-form-urlencoded`` body is a query string whose keys are the schema's
properties; the media type's ``encoding`` map says, per property, how an array or object is
written there (``style``/``explode`` as for a query parameter, so ``address[city]=Paris`` with
``deepObject``, ``tags=a,b`` with ``form`` not exploded) or that its value is another media type
(``contentType: application/json``). A ``multipart/form-data`` body has one part per property
(repeated for an array item); a file part's content becomes a string (its text, or base64 when it
is not UTF-8), a JSON part (by its own ``Content-Type`` or the ``encoding``) is parsed.

Values are typed by the property's schema like parameters are (`mock_server.http.parameters`),
then the whole is validated against the schema by the caller.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from mock_server.contracts.schemas import deref
from mock_server.http import bounded_json
from mock_server.http.errors import MockError, validation_error
from mock_server.http.parameters import MISSING, ParameterReader, schema_types, typed

#: more parts than this is not a form a client means (the same member limit as a JSON object's)
MAX_PARTS = bounded_json.LIMITS.max_keys


def parse_form(text: str, schema: Any, encoding: Mapping[str, Any] | None, document: Mapping[str, Any]) -> dict[str, Any]:
    """A form-urlencoded body (already decoded as UTF-8) as an object."""
    pairs = parse_qsl(text, keep_blank_values=True)
    if len(pairs) > MAX_PARTS:
        raise MockError(400, f"A form body of more than {MAX_PARTS} fields")
    properties = _properties(schema, document)
    encoding = encoding if isinstance(encoding, Mapping) else {}
    names = frozenset(properties)
    form: dict[str, Any] = {}
    problems = []
    consumed = set(names)  # keys some property reads (an exploded object's own properties too)
    for name, sub in properties.items():
        rule = encoding.get(name) if isinstance(encoding.get(name), Mapping) else {}
        json_value = _is_json(rule.get("contentType"))
        reader = ParameterReader.of({"name": name, "in": "query", **{k: rule[k] for k in ("style", "explode") if k in rule}},
                                    {} if json_value else sub, document, names)
        try:
            raw = reader.read({}, pairs, {}, {})
            if raw is MISSING:
                continue
            if reader.shape == "object" and reader.style == "form" and reader.explode and isinstance(raw, dict):
                consumed.update(raw)
            form[name] = bounded_json.loads(raw) if json_value else typed(raw, sub, document)
        except ValueError as error:
            problems.append({"loc": ["body", name], "msg": str(error), "type": "type_error"})
    for key, value in pairs:  # what the schema does not name is kept as sent
        if key not in consumed and key.split("[", 1)[0] not in names:
            form[key] = value
    if problems:
        raise validation_error(problems)
    return form


def parse_multipart(raw: bytes, content_type: str, schema: Any, encoding: Mapping[str, Any] | None, document: Mapping[str, Any]) -> dict[str, Any]:
    """A multipart body as an object: one key per part name."""
    if "boundary=" not in content_type:
        raise MockError(400, "A multipart body needs a boundary in its Content-Type")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        if raw.strip() == f"--{message.get_boundary()}--".encode("latin-1", "replace"):
            return {}  # a form without fields: only the closing delimiter
        raise MockError(400, "Malformed multipart body")
    properties = _properties(schema, document)
    encoding = encoding if isinstance(encoding, Mapping) else {}
    collected: dict[str, list[Any]] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= MAX_PARTS:
            raise MockError(400, f"A multipart body of more than {MAX_PARTS} parts")
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        rule = encoding.get(name) if isinstance(encoding.get(name), Mapping) else {}
        declared_type = part.get_content_type() if part.get("content-type") else None
        value = _part_value(payload, part.get_filename(), declared_type, rule)
        if isinstance(value, str) and declared_type is None and part.get_filename() is None:
            value = _json_text(value, properties.get(str(name)), document)
        collected.setdefault(str(name), []).append(value)
    body: dict[str, Any] = {}
    problems = []
    for name, values in collected.items():
        sub = properties.get(name, {})
        try:
            body[name] = _typed_part(values, sub, document)
        except ValueError as error:
            problems.append({"loc": ["body", name], "msg": str(error), "type": "type_error"})
    if problems:
        raise validation_error(problems)
    return body


def _part_value(payload: bytes, filename: str | None, content_type: str | None, rule: Mapping[str, Any]) -> Any:
    """One part: parsed JSON, text, or a file's content as text (base64 when not UTF-8)."""
    if _is_json(rule.get("contentType")) or _is_json(content_type):
        try:
            return _Parsed(bounded_json.loads(payload.decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            raise MockError(400, "Malformed JSON in a multipart part") from None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        if filename is None and (content_type or "text/plain").startswith("text/"):
            raise MockError(400, "A multipart text part is not valid UTF-8") from None
        return base64.b64encode(payload).decode("ascii")


def _json_text(text: str, schema: Any, document: Mapping[str, Any]) -> Any:
    """A plain part holding a JSON object or array, where the property is not a string: the
    JSON value (what clients send for a structured field without naming its type)."""
    if not text.lstrip().startswith(("{", "[")) or "string" in schema_types(schema, document):
        return text
    try:
        return _Parsed(bounded_json.loads(text))
    except ValueError:
        return text


class _Parsed:
    """A part already parsed (JSON): typed as it is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _typed_part(values: list[Any], schema: Any, document: Mapping[str, Any]) -> Any:
    types = schema_types(schema, document)
    if "array" in types:
        out: list[Any] = []
        for value in values:
            if isinstance(value, _Parsed):
                if len(values) == 1 and not isinstance(value.value, list):
                    return value.value  # one part holding something else than a list
                out.extend(value.value if isinstance(value.value, list) else [value.value])
            else:
                out.append(typed([value], schema, document)[0])
        return out
    last = values[-1]
    return last.value if isinstance(last, _Parsed) else typed(last, schema, document)


def _properties(schema: Any, document: Mapping[str, Any]) -> dict[str, Any]:
    resolved = deref(schema, document) if isinstance(schema, dict) else {}
    properties = dict(resolved.get("properties") or {}) if isinstance(resolved, dict) else {}
    for sub in (resolved.get("allOf") or []) if isinstance(resolved, dict) else []:
        sub = deref(sub, document)
        if isinstance(sub, dict):
            properties.update(sub.get("properties") or {})
    return properties


def _is_json(media_type: Any) -> bool:
    text = str(media_type or "").split(";")[0].strip().lower()
    return text == "application/json" or text.endswith("+json")


__all__ = ["parse_form", "parse_multipart"]
