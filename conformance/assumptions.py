"""Which findings rest on the document, and which only on an assumption about it.

The suite fails a target only on what its document states. Where a finding depends on something
the document never says (how an undocumented method or an unlisted error is answered, or a
constraint the contract itself marks with ``x-apitwin-assumed``), it is reported as a warning:
listed, never failing the run, unless ``--strict`` asks for the stricter reading.

One mark, ``x-apitwin-assumed``, serves every level of a contract. Its value is either a string
(why the whole node is assumed) or a map naming the node's assumed parts, each with its why:

- on a schema: the schema's own keywords (``{maximum: why}``; a string: all of them);
- on a parameter, a header or a response: everything that rests on it;
- on an OpenAPI operation: the whole operation (a string), or statuses and declarations by name
  (``{'401': why, update: why}``);
- on an AsyncAPI channel: the whole channel (a string), or its declarations and messages by name
  (``{max-frame-size: why, error-message: why, update: why}``, ``x-apitwin-`` left off);
- on an AsyncAPI message or operation: every expectation that comes from it.

A finding is a warning when the part of the contract it was measured against carries a note:
the failing keyword's schema, the parameter that was sent invalid, the response whose status
came back, the channel declaration, message or operation a WebSocket check expects.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from conformance.contract import Contract, Operation

MARK = "x-apitwin-assumed"
#: an answer without a (JSON) body
NO_BODY = object()

#: checks about HTTP niceties a document never asks for, when the target refused the request
#: anyway (a 2xx to an undocumented method is served, not a nicety missed)
NICETIES = {
    "unsupported_method": "the document lists the methods it serves, not how others are refused (405, Allow)",
    "allow_header_conformance": "the document does not ask for an Allow header on 405 answers",
}
#: checks that catch a server failing outright: never an assumption, even on an operation the
#: contract filled in (a target that serves it must not crash)
SERVER_FAULTS = frozenset({"not_a_server_error", "graphql_not_a_server_error"})
#: a status the document never lists for the operation, in this range, is the framework's to choose
UNLISTED_ANSWERS = range(400, 500)
#: answers to invalid input: where the document lists one of them, it has stated how invalid
#: input is refused, and another one contradicts it
VALIDATION_STATUSES = frozenset({400, 422})
#: checks that measure one response against what the contract says of its status
RESPONSE_CHECKS = frozenset(
    {"response_schema_conformance", "response_headers_conformance", "content_type_conformance", "error_envelope", "status_code_conformance"}
)
#: the headers `rate_limit_headers` holds a response to
RATE_LIMIT_HEADERS = ("x-ratelimit-", "ratelimit-", "retry-after")
#: parameter locations as Schemathesis names them -> OpenAPI's `in`
LOCATIONS = {"query": "query", "path": "path", "path_parameters": "path", "header": "header", "headers": "header", "cookie": "cookie", "cookies": "cookie"}


def note(node: Any, part: str | None = None) -> str:
    """The ``x-apitwin-assumed`` note on `node`: its string marks all of it; its map marks the
    parts it names (`part` looked up as given, then without an ``x-apitwin-`` prefix)."""
    mark = node.get(MARK) if isinstance(node, dict) else None
    if isinstance(mark, str):
        return mark
    if isinstance(mark, dict) and part is not None:
        for key in (part, part.removeprefix("x-apitwin-")):
            if mark.get(key):
                return str(mark[key])
    return ""


def any_note(node: Any) -> str:
    """The node's note, or the first of its marked parts: anything about it is assumed."""
    mark = node.get(MARK) if isinstance(node, dict) else None
    if isinstance(mark, dict):
        return next((str(why) for why in mark.values() if why), "")
    return str(mark) if mark else ""


def first(*notes: str) -> str:
    return next((n for n in notes if n), "")


# ---- HTTP ------------------------------------------------------------------------------------


def assumption(
    contract: Contract | None,
    check: str,
    operation: str,
    failure: Any,
    sent_method: str = "",
    case: Any = None,
    status: int | None = None,
    body: Any = None,
) -> str:
    """Why a finding rests on an assumption, or "" when the document itself states it.

    ``sent_method`` is the method of the request that failed, when known: a request with a
    method the operation does not document is answered however the target likes, short of a 5xx.
    ``case`` (the request Schemathesis sent), ``status`` and ``body`` (the answer's status and
    JSON body, `NO_BODY` for none) let a finding be traced to the parameter, response or schema
    keyword it was measured against.
    """
    if check in SERVER_FAULTS:
        return ""  # a server that answers 5xx is broken, whatever the document leaves open
    status = getattr(failure, "status_code", None) if status is None else status
    if check in NICETIES and not (isinstance(status, int) and 200 <= status < 300):
        return NICETIES[check]
    if sent_method and " " in operation and sent_method.upper() != operation.split(" ", 1)[0].upper():
        return f"the document does not say how {sent_method.upper()}, a method it does not list here, is answered"
    if check == "status_code_conformance" and isinstance(status, int) and status in UNLISTED_ANSWERS:
        listed = {str(code) for code in getattr(failure, "defined_status_codes", ()) or ()}
        if status in VALIDATION_STATUSES and stated_refusals(contract, operation, listed & {str(code) for code in VALIDATION_STATUSES}):
            return ""  # the document says how invalid input is refused, and this is not it
        return f"the document does not say how this case is answered; the target chose {status}"
    found = operation_of(contract, operation)
    if contract is None or found is None:
        return ""
    return first(marked(contract, operation), finer(contract, found, check, failure, case, status, NO_BODY if body is None else body))


def stated_refusals(contract: Contract | None, operation: str, codes: set[str]) -> set[str]:
    """Of the listed answers to invalid input (`codes`), those the document states: a listed
    400 or 422 the contract marks as assumed (the document gives no status for invalid input)
    says nothing about how the target must refuse it."""
    found = operation_of(contract, operation)
    if contract is None or found is None:
        return codes
    responses = found.definition.get("responses") or {}
    return {code for code in codes
            if not first(note(found.definition, code), note(contract.resolve(responses.get(code) or responses.get(int(code)))))}


def operation_of(contract: Contract | None, operation: str) -> Operation | None:
    if contract is None or " " not in operation:
        return None
    method, path = operation.split(" ", 1)
    return contract.operation_for(method, path)


def marked(contract: Contract | None, operation: str) -> str:
    """The note of an operation the contract marks as assumed as a whole (a string), if any."""
    found = operation_of(contract, operation)
    mark = found.definition.get(MARK) if found is not None else None
    return mark if isinstance(mark, str) else ""


def finer(contract: Contract, operation: Operation, check: str, failure: Any, case: Any, status: int | None, body: Any) -> str:
    """The note a finding rests on below the operation: its response, the schema keyword that
    failed, or the parameter or body part it sent."""
    if check == "status_code_conformance" and isinstance(status, int):
        return unlisted_class(contract, operation, status)
    if check in RESPONSE_CHECKS and isinstance(status, int):
        response = contract.response_for(operation, status)
        why = first(note(operation.definition, str(status)), note(response))
        if why:
            return why
        if check == "error_envelope":
            envelope = contract.error_schema()
            return note(contract.resolve(envelope)) if envelope else ""
        if check == "response_schema_conformance" and body is not NO_BODY:
            return broken_body(contract, response, body)
        if check in ("response_schema_conformance", "response_headers_conformance"):
            return first(failing_keyword(contract, failure), missing_headers(contract, response, failure))
        return ""
    if check == "rate_limit_headers" and isinstance(status, int):
        return rate_limit_notes(contract, contract.response_for(operation, status))
    if check == "negative_data_rejection":
        return invalid_part(contract, operation, case)
    if check == "positive_data_acceptance":
        return first(valid_part(contract, operation, case), assumed_refusal(contract, operation, status))
    return ""


#: how valid input may still be refused (credentials, permissions, existence, conflicts)
REFUSALS_OF_VALID_INPUT = ("401", "403", "404", "409")


def assumed_refusal(contract: Contract, operation: Operation, status: int | None) -> str:
    """Valid input refused with a 4xx where the contract's own answer for refusing valid input
    (a wrong password's 401, say) is assumed: the document never said how that case is answered."""
    if not isinstance(status, int) or not 400 <= status < 500:
        return ""
    responses = operation.definition.get("responses") or {}
    return first(*(first(note(operation.definition, code), note(contract.resolve(responses[code])))
                   for code in REFUSALS_OF_VALID_INPUT if code in responses))


def unlisted_class(contract: Contract, operation: Operation, status: int) -> str:
    """A status the contract does not list, where every answer it lists in that class (2xx,
    4xx...) is assumed: the document never said what this case returns."""
    responses = operation.definition.get("responses") or {}
    same = [str(code) for code in responses if str(code)[:1] == str(status)[:1] and str(code) != "default"]
    notes = [first(note(operation.definition, code), note(contract.resolve(responses[code]))) for code in same]
    return notes[0] if notes and all(notes) else ""


def broken_body(contract: Contract, response: dict | None, body: Any) -> str:
    """A response body that breaks its schema only on keywords the contract marks as assumed
    (every way it breaks it, not only the one Schemathesis names first)."""
    for media_type, media in ((response or {}).get("content") or {}).items():
        schema = contract.resolve(media.get("schema")) if "json" in media_type and isinstance(media, dict) else None
        if isinstance(schema, dict):
            notes = keyword_notes(contract, schema, body)
            return notes[0] if notes and all(notes) else ""
    return ""


def failing_keyword(contract: Contract, failure: Any) -> str:
    """The note on the keyword a response failed: the schema holding it, as Schemathesis reports it."""
    path = list(getattr(failure, "schema_path", None) or ())
    if not path:
        return ""
    try:
        schema = failure.schema
    except Exception:  # a failure without a renderable schema: nothing to read the note from
        return ""
    return note(contract.resolve(schema), str(path[-1])) if isinstance(schema, dict) else ""


def missing_headers(contract: Contract, response: dict | None, failure: Any) -> str:
    """Missing response headers, every one of which the contract marks as assumed."""
    names = list(getattr(failure, "missing_headers", None) or ())
    headers = {str(k).lower(): contract.resolve(v) for k, v in ((response or {}).get("headers") or {}).items()}
    notes = [first(note(headers.get(name.lower())), note(headers.get(name.lower()), "required")) for name in names]
    return notes[0] if notes and all(notes) else ""


def rate_limit_notes(contract: Contract, response: dict | None) -> str:
    """Rate-limit headers the contract declares on a response, every one of them assumed."""
    headers = {str(k).lower(): contract.resolve(v) for k, v in ((response or {}).get("headers") or {}).items()}
    notes = [note(spec) for name, spec in headers.items() if name.startswith(RATE_LIMIT_HEADERS)]
    return notes[0] if notes and all(notes) else ""


def parameters(contract: Contract, operation: Operation) -> list[dict]:
    item = contract.resolve((contract.document.get("paths") or {}).get(operation.path) or {})
    return [contract.resolve(p) for p in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]]


def coerce(value: Any, schema: dict) -> Any:
    """A parameter's wire string as its schema's type reads it, so a bound can be checked."""
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if not isinstance(value, str):
        return value
    for kind, convert in (("integer", int), ("number", float)):
        if kind in kinds:
            try:
                return convert(value)
            except ValueError:
                return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def keyword_notes(contract: Contract, schema: dict, value: Any) -> list[str]:
    """For each way `value` breaks `schema`, the note on that keyword, or on a keyword of a schema
    enclosing it ("" where unmarked): an array marking its `items` as assumed covers whatever
    breaks inside one of its items."""
    errors = islice(contract.validator(schema).iter_errors(value), 50)  # a huge body: its first ways suffice
    return [first(note(error.schema, str(error.validator)), enclosing_note(contract, schema, error.relative_schema_path))
            for error in errors]


def enclosing_note(contract: Contract, schema: Any, path: Iterable[Any]) -> str:
    """The first note met walking `path` down from `schema`, each schema's note on the keyword
    the path takes next (local `$ref`s followed on the way)."""
    node = schema
    for step in path:
        if not isinstance(node, (dict, list)):
            return ""
        if isinstance(node, dict):
            why = note(node, str(step))
            if why:
                return why
            node = contract.resolve({"$ref": node[step]}) if step == "$ref" and isinstance(node.get(step), str) else node.get(step)
        else:
            node = node[step] if isinstance(step, int) and 0 <= step < len(node) else None
    return ""


def sent_parameters(operation_params: list[dict], case: Any, only: tuple[str, str] | None) -> Iterable[tuple[dict, Any]]:
    """(parameter, value sent) for the parameters the case carried (or the one named)."""
    for param in operation_params:
        where, name = str(param.get("in")), str(param.get("name"))
        if only is not None and only != (where, name):
            continue
        source = {"query": getattr(case, "query", None), "path": getattr(case, "path_parameters", None),
                  "header": getattr(case, "headers", None), "cookie": getattr(case, "cookies", None)}.get(where) or {}
        if name in source:
            yield param, source[name]
        elif only is not None:
            yield param, None  # the parameter was left out (a required one, for negative data)


def named_part(case: Any) -> tuple[str, str] | None:
    """The (location, name) of the parameter a generated case was made around, if it says."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    where, name = getattr(data, "parameter_location", None), getattr(data, "parameter", None)
    if where is None or not name:
        return None
    where = LOCATIONS.get(str(getattr(where, "value", where)), str(getattr(where, "value", where)))
    return (where, str(name)) if where != "body" else None


def request_schema(contract: Contract, operation: Operation, case: Any) -> dict | None:
    body = contract.resolve(operation.definition.get("requestBody") or {})
    content = body.get("content") or {}
    media = content.get(str(getattr(case, "media_type", "") or "")) or next(iter(content.values()), None)
    schema = contract.resolve((media or {}).get("schema")) if isinstance(media, dict) else None
    return schema if isinstance(schema, dict) else None


def invalid_part(contract: Contract, operation: Operation, case: Any) -> str:
    """Invalid data accepted, where every way it was invalid is an assumed constraint: an assumed
    parameter, or keywords marked in the parameter's or the body's schema."""
    if case is None:
        return ""
    notes: list[str] = []
    only = named_part(case)
    for param, value in sent_parameters(parameters(contract, operation), case, only):
        schema = contract.resolve(param.get("schema") or {})
        if value is None:
            notes.append(first(note(param), note(param, "required")))
        elif note(param):
            notes.append(note(param))
        elif isinstance(schema, dict):
            notes += keyword_notes(contract, schema, coerce(value, schema))
    body = getattr(case, "body", None)
    schema = request_schema(contract, operation, case)
    if only is None and schema is not None and isinstance(body, (dict, list, str, int, float, bool)):
        notes += keyword_notes(contract, schema, body)
    return notes[0] if notes and all(notes) else ""


def valid_part(contract: Contract, operation: Operation, case: Any) -> str:
    """Valid data refused where the request carried a part the contract marks as assumed: a
    parameter, or a body property with a bound of ours (the target may draw the line the
    document never drew elsewhere)."""
    if case is None:
        return ""
    for param, _value in sent_parameters(parameters(contract, operation), case, named_part(case)):
        why = first(any_note(param), any_note(contract.resolve(param.get("schema") or {})))
        if why:
            return why
    body, schema = getattr(case, "body", None), request_schema(contract, operation, case)
    if isinstance(body, dict) and isinstance(schema, dict):
        properties = schema.get("properties") or {}
        for name in body:
            why = any_note(contract.resolve(properties.get(name))) if isinstance(name, str) else ""
            if why:
                return why
    return ""


# ---- WebSocket -------------------------------------------------------------------------------


def ws_assumption(channel: dict | None, declarations: Iterable[str] = (), notes: Iterable[str] = ()) -> str:
    """Why a WebSocket check's expectation is only assumed: the channel marked as a whole, one
    of the channel `declarations` it rests on marked in the channel's map (a declaration or a
    message name), or one of the `notes` of the messages and operations it expects."""
    whole = (channel or {}).get(MARK)
    if isinstance(whole, str):
        return whole
    return first(*(note(channel, name) for name in declarations), *notes)


def frame_keywords(errors: Iterable[Any]) -> str:
    """A server frame that breaks a message only on keywords its schema marks as assumed."""
    notes = [note(error.schema, str(error.validator)) for error in errors]
    return notes[0] if notes and all(notes) else ""
