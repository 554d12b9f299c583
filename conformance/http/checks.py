"""apitwin's own HTTP checks: what the contract's `x-apitwin` declarations promise.

Each check is a plain function `(state, response, case)` that raises `Violation` with what was
expected and what came back. `state` is the run's `HttpCheckState`: the contract plus what a
check must remember across responses (which operations were already walked page by page), so
no check keeps hidden module state. Schemathesis runs them next to its built-ins (see
`conformance.http.runner`), so their failures get the same reproducible curl commands.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from conformance.contract import Contract, Operation, dig, has_path
from conformance.http import transport as http_transport
from conformance.registry import REGISTRY, Violation, register

RATE_LIMIT_MARK = "ratelimit"
RATE_LIMIT_FIELDS = ("limit", "remaining", "reset")  # the numeric trio; others (a plan name) are informational
MAX_PAGES = 30
BAD_TOKEN = "apitwin.invalid.token"


@dataclass
class HttpCheckState:
    """What the apitwin checks share during one run against one API."""

    contract: Contract
    timeout: float = 10.0
    walked: set[str] = field(default_factory=set)
    auth_probed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_time(self, memo: set[str], key: str) -> bool:
        with self.lock:
            if key in memo:
                return False
            memo.add(key)
            return True


# ---- helpers -------------------------------------------------------------------------------
def header(response: Any, name: str) -> str | None:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return None


def body_json(response: Any) -> Any:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def is_json(response: Any) -> bool:
    content_type = (header(response, "content-type") or "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def operation_of(state: HttpCheckState, case: Any) -> Operation | None:
    return state.contract.operation_for(case.operation.method, case.operation.path)


def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def as_int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def replay(
    state: HttpCheckState,
    response: Any,
    *,
    query: dict[str, Any] | None = None,
    drop_headers: set[str] = frozenset(),
    add_headers: dict[str, str] | None = None,
    drop_query: set[str] = frozenset(),
) -> requests.Response:
    """Send the request behind `response` again, changed as asked (credentials, query)."""
    prepared = response.request
    parts = urlsplit(prepared.url)
    params = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in drop_query]
    if query is not None:
        params = [(key, value) for key, value in params if key not in query] + [
            (key, str(value)) for key, value in query.items()
        ]
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
    headers = {
        key: value
        for key, value in prepared.headers.items()
        if key.lower() not in {name.lower() for name in drop_headers} and key.lower() != "content-length"
    }
    headers.update(add_headers or {})
    return http_transport.request(prepared.method, url, headers=headers, data=prepared.body, timeout=state.timeout)


def as_curl(request: Any) -> str:
    """The curl command for a request the check itself sent (credentials masked)."""
    parts = [f"curl -X {request.method}"]
    for key, value in request.headers.items():
        if key.lower() in ("user-agent", "accept-encoding", "accept", "connection", "content-length", "x-schemathesis-testcaseid"):
            continue
        shown = "[Filtered]" if key.lower() in ("authorization", "x-api-key", "cookie") and value not in (f"Bearer {BAD_TOKEN}", BAD_TOKEN) else value
        parts.append(f"-H '{key}: {shown}'")
    if request.body:
        body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else str(request.body)
        parts.append("-d '" + body.replace("'", "'\"'\"'") + "'")
    parts.append(f"'{request.url}'")
    return " ".join(parts)


# ---- error envelope ------------------------------------------------------------------------
@register("http", "every 4xx/5xx answer carries the API's own error envelope (x-apitwin.errors)")
def error_envelope(state: HttpCheckState, response: Any, case: Any) -> None:
    status = response.status_code
    contract = state.contract
    envelope = contract.error_schema()
    if status < 400 or envelope is None or case.method.upper() == "HEAD":
        return
    if not response.content:
        raise Violation(
            f"{status} answer without an error body",
            expected=f"a body in the API's error envelope ({envelope['$ref']})",
            actual="an empty body",
        )
    data = body_json(response)
    if data is None or not is_json(response):
        raise Violation(
            f"{status} answer is not JSON",
            expected=f"application/json in the API's error envelope ({envelope['$ref']})",
            actual=f"{header(response, 'content-type')}: {short(response.content.decode('utf-8', 'replace'))}",
        )
    candidates = [envelope]
    operation = operation_of(state, case)
    documented = contract.response_for(operation, status) if operation else None
    if documented:
        for media_type, media in (documented.get("content") or {}).items():
            if "json" in media_type and isinstance(media, dict) and "schema" in media:
                candidates.append(media["schema"])
    schemas = (contract.document.get("components") or {}).get("schemas") or {}
    if status == contract.errors.get("validation_status") and "ValidationError" in schemas:
        candidates.append({"$ref": "#/components/schemas/ValidationError"})
    problems: list[str] = []
    for schema in candidates:
        errors = contract.schema_errors(schema, data)
        if not errors:
            return
        problems = problems or errors
    raise Violation(
        f"{status} answer is not in the API's error envelope",
        expected=f"a body valid against {envelope['$ref']}",
        actual=f"{short(data)} ({'; '.join(problems)})",
    )


# ---- rate limits ---------------------------------------------------------------------------
def documented_headers(contract: Contract, operation: Operation | None, status: int) -> dict[str, dict]:
    if operation is None:
        return {}
    documented = contract.response_for(operation, status)
    return {name: contract.resolve(spec) for name, spec in ((documented or {}).get("headers") or {}).items()}


@register("http", "X-RateLimit-* / Retry-After: required ones present, none sent without the rest, numeric and consistent")
def rate_limit_headers(state: HttpCheckState, response: Any, case: Any) -> None:
    operation = operation_of(state, case)
    documented = documented_headers(state.contract, operation, response.status_code)
    names = [
        name
        for name in documented
        if RATE_LIMIT_MARK in name.lower().replace("-", "").replace("_", "")
        and name.lower().endswith(RATE_LIMIT_FIELDS)
    ]
    if response.status_code == 429 and any(name.lower() == "retry-after" for name in documented):
        names.append("Retry-After")
    if not names:
        return
    sent = [name for name in names if header(response, name) is not None]
    required = [name for name in names if (documented.get(name) or {}).get("required")]
    # Optional headers may be left out, but only all together: a partial set is a bug.
    expected = names if sent or required else []
    missing = [name for name in expected if header(response, name) is None]
    if missing:
        raise Violation(
            f"rate-limit header missing: {', '.join(missing)}",
            expected=f"headers {', '.join(names)} on a {response.status_code} answer"
            + (f" (the answer sends {', '.join(sent)})" if sent else " (required by the contract)"),
            actual=f"no {', '.join(missing)}",
        )
    if not sent:
        return
    names = sent
    values = {name.lower(): header(response, name) for name in names}
    numbers = {name: as_int(value) for name, value in values.items()}
    bad = [name for name, value in numbers.items() if value is None or value < 0]
    if bad:
        raise Violation(
            "rate-limit header is not a non-negative integer",
            expected=f"{', '.join(bad)} as integers >= 0",
            actual=", ".join(f"{name}: {values[name]!r}" for name in bad),
        )
    limit = next((value for name, value in numbers.items() if name.endswith("limit")), None)
    remaining = next((value for name, value in numbers.items() if name.endswith("remaining")), None)
    if limit is not None and remaining is not None and remaining > limit:
        raise Violation(
            "X-RateLimit-Remaining exceeds X-RateLimit-Limit",
            expected=f"remaining <= limit ({limit})",
            actual=f"remaining = {remaining}",
        )
    if response.status_code == 429 and remaining not in (None, 0):
        raise Violation(
            "429 answer while requests remain",
            expected="X-RateLimit-Remaining: 0 on a 429",
            actual=f"X-RateLimit-Remaining: {remaining}",
        )


# ---- pagination ----------------------------------------------------------------------------
@dataclass
class Page:
    items: list | None
    facts: dict[str, Any]
    headers: dict[str, Any]


def read_page(declaration: dict, response: Any) -> Page:
    data = body_json(response)
    items = dig(data, declaration.get("items", "data") or "")
    facts = {
        fact: dig(data, path)
        for path, fact in (declaration.get("meta") or {}).items()
        if has_path(data, path)
    }
    headers = {
        fact: header(response, name) for name, fact in (declaration.get("headers") or {}).items()
    }
    for fact, value in headers.items():  # totals a cursor API only sends as headers still count
        if fact != "page" and fact not in facts and as_int(value) is not None:
            facts[fact] = as_int(value)
    return Page(items=items if isinstance(items, list) else None, facts=facts, headers=headers)


@register("http", "documented pagination headers are present and agree with the page body")
def pagination_headers(state: HttpCheckState, response: Any, case: Any) -> None:
    operation = operation_of(state, case)
    declaration = operation.extension("pagination") if operation else None
    if not declaration or not declaration.get("headers") or not 200 <= response.status_code < 300:
        return
    page = read_page(declaration, response)
    missing = [name for name, fact in declaration["headers"].items() if page.headers.get(fact) is None]
    if missing:
        raise Violation(
            f"pagination header missing: {', '.join(missing)}",
            expected=f"headers {', '.join(declaration['headers'])} on a paginated list",
            actual=f"no {', '.join(missing)}",
        )
    for name, fact in declaration["headers"].items():
        raw = page.headers[fact]
        in_body = page.facts.get(fact)
        if in_body is None:
            continue
        if str(raw).lower() != str(in_body).lower() and as_int(raw) != in_body:
            raise Violation(
                f"pagination header {name} disagrees with the body",
                expected=f"{name}: {in_body} (the body's {fact})",
                actual=f"{name}: {raw}",
            )


def item_ids(items: list) -> list[Any]:
    ids = []
    for item in items:
        if isinstance(item, dict):
            for key in ("id", "_id", "uuid", "message_id", "key"):
                if key in item:
                    ids.append(json.dumps(item[key], default=str))
                    break
    return ids


def param_bounds(contract: Contract, operation: Operation, name: str) -> tuple[int, int]:
    parameters = list(operation.definition.get("parameters") or [])
    for parameter in parameters:
        parameter = contract.resolve(parameter)
        if parameter.get("name") == name:
            schema = contract.resolve(parameter.get("schema") or {})
            low = int(schema.get("minimum", 1))
            high = int(schema.get("maximum", 100))
            return max(low, 1), max(high, 1)
    return 1, 100


def check_single_page(declaration: dict, page: Page, asked: int | None, *, forward: bool = False) -> None:
    """One page on its own: size within the limit, totals that add up."""
    facts = page.facts
    size = len(page.items or [])
    per_page = as_int(facts.get("per_page")) or as_int(facts.get("limit")) or asked
    if per_page and size > per_page:
        raise Violation(
            "page holds more items than its size",
            expected=f"at most {per_page} items",
            actual=f"{size} items",
        )
    total, pages, number = (as_int(facts.get(name)) for name in ("total", "pages", "page"))
    if total is not None and per_page and pages is not None:
        allowed = {math.ceil(total / per_page)} | ({0, 1} if total == 0 else set())
        if pages not in allowed:
            raise Violation(
                "page count does not match the total",
                expected=f"pages = ceil({total} / {per_page}) = {math.ceil(total / per_page)}",
                actual=f"pages = {pages}",
            )
    if total is not None and per_page and number is not None and number >= 1:
        should = max(0, min(per_page, total - (number - 1) * per_page))
        if size != should:
            raise Violation(
                "page size does not match the total",
                expected=f"{should} items on page {number} of a {total}-item list at {per_page} per page",
                actual=f"{size} items",
            )
    has_more, cursor = facts.get("has_more"), facts.get("next_cursor")
    if forward and has_more is True and cursor in (None, ""):
        raise Violation("has_more without a next cursor", expected="next_cursor when has_more is true", actual="none")


@register("http", "pages add up: sizes, page counts and totals agree across a walk through every page")
def pagination_consistency(state: HttpCheckState, response: Any, case: Any) -> None:
    operation = operation_of(state, case)
    declaration = operation.extension("pagination") if operation else None
    if not declaration or not 200 <= response.status_code < 300:
        return
    page = read_page(declaration, response)
    if page.items is None:
        raise Violation(
            "paginated list without its items",
            expected=f"a list at {declaration.get('items', 'data') or '(body)'}",
            actual=short(body_json(response)),
        )
    check_single_page(declaration, page, None)
    if state.first_time(state.walked, operation.id):
        walk_pages(state, operation, declaration, response)


def walk_pages(state: HttpCheckState, operation: Operation, declaration: dict, response: Any) -> None:
    """Read the whole list page by page, without filters, and compare with its totals.

    Pages are 5 items (within the parameter's bounds) unless the list is too long to read in
    MAX_PAGES pages: then they are as large as it takes, so a long list is still walked whole."""
    params = declaration.get("params") or {}
    size_param = {"page": params.get("per_page", "per_page")}.get(declaration.get("style", "page"), params.get("limit", "limit"))
    low, high = param_bounds(state.contract, operation, size_param)
    size = max(low, min(high, 5))
    walk = PageWalk(state, operation, declaration, response, size)
    total = walk.read()
    if walk.complete or total is None or total <= size * MAX_PAGES:
        walk.verdict()
        return
    larger = max(low, min(high, math.ceil(total / (MAX_PAGES - 1))))
    if larger > size:
        walk = PageWalk(state, operation, declaration, response, larger)
        walk.read()
        walk.verdict()


@dataclass
class PageWalk:
    """One walk through a paginated list at a fixed page size (see `walk_pages`)."""

    state: HttpCheckState
    operation: Operation
    declaration: dict
    response: Any
    size: int
    seen: list[Any] = field(default_factory=list)
    trail: list[str] = field(default_factory=list)
    reported_total: int | None = None
    complete: bool = False  # reached the last page within MAX_PAGES

    def fetch(self, query: dict[str, Any]) -> Page | None:
        """One page (checked on its own), or None when the server refuses it."""
        params = self.declaration.get("params") or {}
        answer = replay(self.state, self.response, query=query, drop_query=_filters(self.operation, set(params.values())))
        self.trail.append(as_curl(answer.request))
        if answer.status_code != 200:
            return None
        page = read_page(self.declaration, answer)
        check_single_page(self.declaration, page, self.size, forward=self.declaration.get("style") == "cursor")
        self.reported_total = as_int(page.facts.get("total"))
        self.seen.extend(item_ids(page.items or []))
        return page

    def read(self) -> int | None:
        """Walk from the first page; the list's reported total (None if it reports none)."""
        style = self.declaration.get("style", "page")
        params = self.declaration.get("params") or {}
        size = self.size
        if style == "page":
            page_param, size_param = params.get("page", "page"), params.get("per_page", "per_page")
            for number in range(1, MAX_PAGES + 1):
                page = self.fetch({page_param: number, size_param: size})
                if page is None:
                    return None
                pages = as_int(page.facts.get("pages"))
                if not page.items or len(page.items) < size or (pages is not None and number >= pages):
                    self.complete = True
                    break
        elif style == "offset":
            offset_param, limit_param = params.get("offset", "offset"), params.get("limit", "limit")
            for index in range(MAX_PAGES):
                page = self.fetch({offset_param: index * size, limit_param: size})
                if page is None:
                    return None
                if not page.items or len(page.items) < size:
                    self.complete = True
                    break
        elif style == "cursor":
            # The contract says which parameter takes next_cursor: `next: before|after` (default after).
            limit_param = params.get("limit", "limit")
            direction = str(self.declaration.get("next") or "after")
            next_param = params.get(direction, direction)
            query: dict[str, Any] = {limit_param: size}
            for _ in range(MAX_PAGES):
                page = self.fetch(query)
                if page is None:
                    return None
                cursor = page.facts.get("next_cursor")
                if page.facts.get("has_more") is False or not cursor:
                    self.complete = True
                    break
                query = {limit_param: size, next_param: cursor}
        return self.reported_total

    def verdict(self) -> None:
        """Across a complete walk: no item twice, and as many items as the reported total."""
        if not self.complete:
            return
        seen = self.seen
        duplicates = sorted({item for item in seen if seen.count(item) > 1})
        if duplicates:
            raise Violation(
                "the same item appears on two pages",
                expected="each item on exactly one page",
                actual=f"repeated: {', '.join(duplicates[:5])}\npages read:\n" + "\n".join(self.trail),
            )
        if self.reported_total is not None and seen and len(seen) != self.reported_total:
            raise Violation(
                "walking every page does not yield the reported total",
                expected=f"{self.reported_total} items across all pages",
                actual=f"{len(seen)} items\npages read:\n" + "\n".join(self.trail),
            )


def _filters(operation: Operation, paging: set[str]) -> set[str]:
    """Every optional query parameter (filters, sort, the fuzzed paging values): dropped so the
    walk reads the whole list from its start with only the paging it sets itself."""
    optional = {
        str(parameter.get("name"))
        for parameter in operation.definition.get("parameters") or []
        if isinstance(parameter, dict) and parameter.get("in") == "query" and not parameter.get("required")
    }
    return optional | paging


# ---- auth ----------------------------------------------------------------------------------
def credential_carriers(contract: Contract, operation: Operation) -> tuple[set[str], set[str]]:
    """Header and query names through which the operation's security schemes take credentials."""
    headers, query = {"Authorization", "Cookie"}, set()
    schemes = contract.security_schemes()
    for requirement in operation.security:
        for name in requirement:
            scheme = schemes.get(name) or {}
            if scheme.get("type") == "apiKey":
                (query if scheme.get("in") == "query" else headers).add(scheme.get("name", ""))
    return headers, query


@register("http", "every protected operation answers 401 without credentials and with a bad token")
def auth_required(state: HttpCheckState, response: Any, case: Any) -> None:
    operation = operation_of(state, case)
    if operation is None or not operation.is_protected or not 200 <= response.status_code < 300:
        return
    if not state.first_time(state.auth_probed, operation.id):
        return
    headers, query = credential_carriers(state.contract, operation)
    without = replay(state, response, drop_headers=headers, drop_query=query)
    if without.status_code == 429:
        state.auth_probed.discard(operation.id)  # rate limited, not answered: probe again later
        return
    if without.status_code != 401:
        raise Violation(
            "protected operation does not answer 401 without credentials",
            expected="401 when no credentials are sent",
            actual=f"{without.status_code} {short(without.text, 200)}\n{as_curl(without.request)}",
        )
    if not state.contract.states_valid_credentials:
        return  # the contract names only the kind of credential, not which ones are bad
    bad = replay(
        state,
        response,
        drop_headers=headers,
        drop_query=query,
        add_headers={"Authorization": f"Bearer {BAD_TOKEN}", **{name: BAD_TOKEN for name in headers if name not in ("Authorization", "Cookie")}},
    )
    if bad.status_code == 429:
        state.auth_probed.discard(operation.id)
        return
    if bad.status_code != 401:
        raise Violation(
            "protected operation does not answer 401 with a bad token",
            expected="401 for an invalid token",
            actual=f"{bad.status_code} {short(bad.text, 200)}\n{as_curl(bad.request)}",
        )


REGISTRY.declare("auth_login", "http", "the contract's own login (or client-credentials) operation yields a working token")
REGISTRY.declare(
    "bounded_response", "http", "every answer arrives within --request-timeout and is no larger than --max-response-size"
)

HTTP_CHECKS = (error_envelope, rate_limit_headers, pagination_headers, pagination_consistency, auth_required)
