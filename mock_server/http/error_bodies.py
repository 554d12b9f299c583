"""An error body that fits the schema the operation documents for it, and stays small.

The API's envelope (``x-apitwin.errors``, else RFC 9457 problem details) is the answer wherever
it is valid against the documented schema. Where the contract documents another shape (e.g.
``{code: integer, message: string}``), the body is that shape: the documented example (the
media type's, else one composed from the schema's examples), else the smallest value of the
schema, with what the mock knows of the failure written into the fields that mean it: the
message into ``message``/``detail``/..., the status or code into ``code``/``status``/...,
validation problems into ``errors``/``details`` — each only where it is valid there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_server.contracts.schemas import deref
from mock_server.http.shaping import merge_all_of

#: property name -> the facts of a failure that may fill it, in order of preference
FIELDS: dict[str, tuple[str, ...]] = {
    "message": ("message",), "detail": ("message",), "error_description": ("message",),
    "error_message": ("message",), "errormessage": ("message",), "description": ("message",),
    "msg": ("message",), "reason": ("message",), "title": ("title", "message"),
    "error": ("code", "message"), "code": ("code", "status"), "error_code": ("code", "status"),
    "errorcode": ("code", "status"), "status": ("status", "title"), "status_code": ("status",),
    "statuscode": ("status",), "errors": ("errors",), "details": ("details", "errors"),
}
MAX_DEPTH = 4

Valid = Callable[[Any, Any], bool]


def fitted(base: Any, schema: Any, facts: dict[str, Any], document: dict[str, Any], valid: Valid,
           _depth: int = 0) -> Any:
    """`base` (a valid value of `schema`) with the failure's facts written into the fields that
    mean them, wherever the value stays valid there; nested objects likewise."""
    resolved = deref(schema, document) if isinstance(schema, dict) else {}
    if isinstance(resolved, dict) and "allOf" in resolved:
        resolved = merge_all_of(resolved, document)
    if not isinstance(base, dict) or not isinstance(resolved, dict) or _depth > MAX_DEPTH:
        return base
    out = dict(base)
    for prop, sub in (resolved.get("properties") or {}).items():
        for fact in FIELDS.get(prop.lower().replace("-", "_"), ()):
            candidate = facts.get(fact)
            if candidate is None:
                continue
            if valid(sub, candidate):
                out[prop] = candidate
                break
            if fact == "status" and valid(sub, str(candidate)):
                out[prop] = str(candidate)
                break
        else:
            if isinstance(out.get(prop), dict):
                out[prop] = fitted(out[prop], sub, facts, document, valid, _depth + 1)
    return out
