"""Negative form and text bodies that are not negative on the wire.

A form body (``application/x-www-form-urlencoded`` or ``multipart/form-data``) carries text only:
its types are what the server reads into it. Schemathesis builds a negative case as a typed value
(the integer 0 where a boolean is asked for, an object left without a required field) and then
writes it as text, and the text may spell a valid request: ``complete=0`` reads as the boolean
false, as common frameworks read it; an empty object is an empty body, which is no body at all
where the request body is optional. Accepting such a request breaks nothing the document states,
so `negative_data_rejection` is not failed on it. Anything that still reads as invalid (a word
where a number is asked for, a missing field of a required body) stays a finding. A text body
(``text/plain``, ``text/x-markdown``) is a string whatever value it was written from.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.contract import Contract

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: the spellings of a boolean form field that form-reading frameworks accept
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def is_valid_on_the_wire(contract: Contract, check: str, label: str, case: Any) -> bool:
    """Whether a negative case's form or text body, read back from the text it was sent as, is valid."""
    media_type = str(getattr(case, "media_type", "") or "").split(";")[0].strip().lower()
    if check != "negative_data_rejection" or " " not in label:
        return False
    if media_type not in FORM_TYPES and not media_type.startswith("text/"):
        return False
    method, path = label.split(" ", 1)
    operation = contract.operation_for(method, path)
    if operation is None:
        return False
    body = getattr(case, "body", None)
    if media_type.startswith("text/"):
        return is_valid_text(contract, operation, media_type, body)
    if not isinstance(body, dict):
        return False
    if _broken_elsewhere(case):
        return False
    request_body = contract.resolve(operation.definition.get("requestBody")) or {}
    if not body:  # nothing on the wire: no body, valid wherever the body is optional
        return not request_body.get("required")
    media = ((request_body.get("content") or {}).get(media_type)) or {}
    schema = contract.resolve(media.get("schema")) if isinstance(media, dict) else None
    if not isinstance(schema, dict):
        return False
    properties = schema.get("properties") or {}
    read = {name: read_field(value, contract.resolve(properties.get(name))) for name, value in body.items()}
    return contract.validator(schema).is_valid(read)


def is_valid_text(contract: Contract, operation: Any, media_type: str, body: Any) -> bool:
    """A text body is text, whatever typed value it was written from (`[null, null]` sent as
    `text/x-markdown` is the string "[null, null]"): valid where its schema takes that string."""
    request_body = contract.resolve(operation.definition.get("requestBody")) or {}
    media = ((request_body.get("content") or {}).get(media_type)) or {}
    schema = contract.resolve(media.get("schema")) if isinstance(media, dict) else None
    if not isinstance(schema, dict) or body is None:
        return False
    text = body if isinstance(body, str) else json.dumps(body)
    return contract.validator(schema).is_valid(text)


def read_field(value: Any, schema: Any) -> Any:
    """One field's sent value as a server reads its text by the field's schema."""
    if isinstance(value, (dict, list)) or not isinstance(schema, dict):
        return value
    text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
    declared = schema.get("type")
    kinds = set(declared) if isinstance(declared, list) else {declared} if declared else set()
    if not kinds or "string" in kinds:
        return text
    if ("null" in kinds or schema.get("nullable") is True) and text in ("", "null"):
        return None
    for kind, convert in (("integer", int), ("number", float)):
        if kind in kinds:
            try:
                return convert(text)
            except ValueError:
                pass
    if "boolean" in kinds and text.lower() in TRUE_WORDS | FALSE_WORDS:
        return text.lower() in TRUE_WORDS
    return value


def _broken_elsewhere(case: Any) -> bool:
    """Whether the case may be negative in its parameters too (then the body alone says nothing).
    Schemathesis names the broken component in the case's metadata where it records one."""
    meta = getattr(case, "meta", None)
    components = getattr(getattr(meta, "components", None), "items", None)
    if components is None:
        return False
    try:
        return any(str(getattr(kind, "value", kind)) != "body" and getattr(info, "mode", None) is not None
                   and str(getattr(info.mode, "value", info.mode)) == "negative" for kind, info in components())
    except Exception:  # an engine version whose metadata reads otherwise: judge by the body alone
        return False
