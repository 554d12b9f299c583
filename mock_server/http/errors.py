"""Every error the mock gives, in the API's own envelope.

A client's mistake (a body that breaks the contract, an unknown id, a wrong method or content
type, a body too large, malformed JSON or JSON that is not UTF-8) must look exactly like the
real service's error, never like the mock framework's. The envelope is declared once per API
(and may be overridden per operation, e.g. for an OAuth token endpoint)::

    x-apitwin:
      errors:
        body: {error: {code: '{code}', message: '{message}', details: '{details}'}}
        codes: {400: INVALID_REQUEST, 404: NOT_FOUND, ...}    # status -> code
        messages: {401: Not authenticated, ...}               # status -> default message
        validation_status: 400                                # a request that breaks the contract
        validation_body: {detail: '{errors}'}                 # optional, e.g. FastAPI's list
    # on one operation:
    x-apitwin-errors: {body: {error: '{code}', error_description: '{message}'}, codes: {400: invalid_request}}

Placeholders: ``{code}``, ``{message}``, ``{details}``, ``{errors}`` (the list of
``{loc, msg, type}`` validation problems), ``{status}``. A string that is exactly one
placeholder is replaced by the value itself (an object or a list); a placeholder whose value is
missing removes its key. Without any declaration the envelope is RFC 9457 problem details.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

_PLACEHOLDER = re.compile(r"\{(code|message|details|errors|status)\}")

PROBLEM_BODY = {"type": "about:blank", "title": "{title}", "status": "{status}", "detail": "{message}"}

#: the generic code of a status when the contract declares none.
DEFAULT_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_ERROR",
    429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE",
}


class MockError(Exception):
    """An error answer: status, code and message, plus details and validation problems.

    `code` None means "the contract's code for this status".
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        validation: bool = False,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.details = details
        self.errors = errors
        self.headers = dict(headers or {})
        self.validation = validation
        #: the status the operation documents for this error, where it differs (see error_status)
        self.documented_status: int | None = None
        super().__init__(f"{status} {message or ''}".strip())


VALIDATION_MESSAGE = "Request validation failed"


def validation_error(errors: list[dict[str, Any]], message: str = VALIDATION_MESSAGE) -> MockError:
    """The request breaks the contract: the API's validation status and body."""
    return MockError(400, message, errors=errors, validation=True)


class ErrorFormat:
    """Renders `MockError`s as one API's (or one operation's) envelope."""

    def __init__(self, declaration: Mapping[str, Any] | None, base: ErrorFormat | None = None) -> None:
        declaration = dict(declaration or {})
        if base is not None:
            merged = dict(base.declaration)
            for key in ("codes", "messages"):
                if key in declaration:
                    declaration[key] = {**merged.get(key, {}), **declaration[key]}
            merged.update(declaration)
            declaration = merged
        self.declaration = declaration
        self.body = declaration.get("body")
        self.codes = {int(k): v for k, v in (declaration.get("codes") or {}).items()}
        self.messages = {int(k): v for k, v in (declaration.get("messages") or {}).items()}
        self.validation_status = int(declaration.get("validation_status", 400))
        self.validation_body = declaration.get("validation_body")
        self.media_type = "application/json" if self.body is not None else "application/problem+json"

    def status_of(self, error: MockError) -> int:
        if error.documented_status is not None:
            return error.documented_status
        return self.validation_status if error.validation else error.status

    def code_for(self, status: int, code: str | None = None) -> str:
        return code or self.codes.get(status) or DEFAULT_CODES.get(status) or _reason(status).upper().replace(" ", "_")

    def render(self, error: MockError) -> tuple[int, Any, dict[str, str]]:
        """(status, body, headers) for `error`."""
        status, values = self.facts(error)
        if error.validation and self.validation_body is not None:
            template = self.validation_body
        elif self.body is not None:
            template = self.body
        else:
            template = PROBLEM_BODY
        return status, fill(template, values), error.headers

    def facts(self, error: MockError) -> tuple[int, dict[str, Any]]:
        """(status, placeholder values) of `error`: what any envelope of it says."""
        status = self.status_of(error)
        message = error.message or self.messages.get(status) or _reason(status)
        if error.errors:
            error.errors = abridged_problems(error.errors)
        if error.validation and error.errors and error.message in (None, VALIDATION_MESSAGE):
            first = error.errors[0]
            message = f"Invalid {describe_location(first.get('loc') or [])}: {first.get('msg', 'invalid value')}"
        message = abridged(message)
        details = error.details
        if details is None and error.errors:
            first = error.errors[0]
            details = {
                "field": ".".join(str(p) for p in first.get("loc", [])[1:]) or None,
                "reason": first.get("msg"),
                "errors": error.errors,
            }
            details = {k: v for k, v in details.items() if v is not None}
        values = {
            "code": self.code_for(status, error.code),
            "message": message,
            "details": details,
            "errors": error.errors or ([{"loc": ["request"], "msg": message, "type": "value_error"}]),
            "status": status,
            "title": _reason(status),
        }
        return status, values


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """Substitute placeholders; a key whose sole placeholder has no value is left out."""
    if isinstance(template, dict):
        out = {}
        for key, sub in template.items():
            if isinstance(sub, str) and _sole(sub) and values.get(_sole(sub)) is None:  # type: ignore[arg-type]
                continue
            out[key] = fill(sub, values)
        return out
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, str):
        name = _sole(template)
        if name:
            return values.get(name)
        return re.sub(r"\{(code|message|details|errors|status|title)\}", lambda m: str(values.get(m.group(1), "")), template)
    return template


#: an error never echoes more of the client's request than this
MAX_PROBLEMS = 10
MAX_MESSAGE = 500
MAX_QUOTED = 40
_QUOTED = re.compile(r"""("[^"]{%d,}"|'[^']{%d,}')""" % (MAX_QUOTED, MAX_QUOTED))


def abridged(text: str) -> str:
    """A problem message that quotes the client's value cut short (a 200 KB string that is too
    long is not repeated back in full), and is itself of bounded length."""
    text = _QUOTED.sub(lambda m: m.group(0)[: MAX_QUOTED // 2] + "\u2026" + m.group(0)[0], text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "\u2026"


def abridged_problems(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first few validation problems, each message abridged and each location bounded."""
    out = []
    for problem in problems[:MAX_PROBLEMS]:
        problem = dict(problem)
        if isinstance(problem.get("msg"), str):
            problem["msg"] = abridged(problem["msg"])
        if isinstance(problem.get("loc"), list):
            problem["loc"] = [abridged(p) if isinstance(p, str) else p for p in problem["loc"][:32]]
        out.append(problem)
    return out


def describe_location(loc: list[Any]) -> str:
    """``['query', 'page']`` -> "query parameter 'page'"; ``['body', 'email']`` -> "body field 'email'"."""
    if not loc:
        return "request"
    where, rest = str(loc[0]), ".".join(str(p) for p in loc[1:])
    if not rest:
        return where
    if where in ("query", "path", "header", "cookie"):
        return f"{where} parameter {rest!r}"
    return f"{where} field {rest!r}"


def _sole(text: str) -> str | None:
    match = re.fullmatch(r"\{(code|message|details|errors|status|title)\}", text)
    return match.group(1) if match else None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
