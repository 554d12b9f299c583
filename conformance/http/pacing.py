"""Pacing: send no faster than the target allows, and wait out a 429 instead of reporting it.

A conformance run tests the server, not its doorway: a run that trips the target's rate limit
learns nothing from the 429 pages it gets back. So every request the suite sends waits its turn:

- `--rate-limit N/s` (or `N/m`, `N/h`) caps the whole run from its first request;
- limits the contract declares (`x-apitwin.rate_limits`) cap the requests of the operations they
  cover, per caller (the credentials a request carries, or none: servers count callers apart);
- what the server says (`X-RateLimit-*`, `RateLimit-*`, the `RateLimit` field) replaces what the
  contract declares: once a caller's answers carry the figures, it sends while the server says
  requests remain and waits for the reset the server names when none do;
- a 429 is retried after `Retry-After` (or the reset the headers name), a bounded number of times
  with a bounded wait; only then does the caller see it.

Whether the server enforces its limits is the `rate_limit_headers` check's job, not this one's.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

from conformance.contract import Contract, Operation

#: at most this many retries of one request answered 429
MAX_RETRIES = 3
#: no single wait is longer than this (a server asking for an hour is not waited for)
MAX_WAIT = 60.0
#: a request never waits longer than this in total for its turn and its retries
MAX_TOTAL_WAIT = 150.0
#: waits are stretched a little: the server's clock and windows are not ours
SAFETY = 1.05
#: a Unix time, not a number of seconds, when a reset value is this large
EPOCH_THRESHOLD = 1_000_000_000
PLAN = "(plan)"  # the rule standing for a contract's plan rules
UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
CREDENTIAL_HEADERS = ("authorization", "cookie", "x-api-key")
#: an operation whose declared allowance is below this many requests a minute is "scarce": the
#: suite generates few cases for it instead of waiting minutes for its window (see scarce_operations)
SCARCE_PER_MINUTE = 30
#: the generation budget of a run the contract's declared limits pace, unless --time-budget says
#: otherwise: at the declared rate a default run would take minutes, most of them spent waiting
PACED_TIME_BUDGET = 20.0
#: requests a second below which declared limits size a run (a default run sends about a thousand,
#: and at this rate those would take longer than the budget)
SLOW_RATE = 50.0


class NoTurn(Exception):
    """This request's turn would come after the instant it may wait until."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"its turn comes in {delay:.0f} s")
        self.delay = delay


class RateLimitError(ValueError):
    """A `--rate-limit` value that is not N/s, N/m or N/h."""


def parse_rate(text: str) -> tuple[int, float]:
    """`10/s` -> (10, 1.0); `300/m` -> (300, 60.0)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([smh])\s*", text or "")
    if not match or int(match.group(1)) < 1:
        raise RateLimitError(f"--rate-limit {text!r}: expected N/s, N/m or N/h with N >= 1")
    return int(match.group(1)), UNITS[match.group(2)]


@dataclass
class Window:
    """One caller's allowance in one rate-limit class: a sliding log of its sends, and what the
    server last said about it."""

    limit: int | None
    period: float
    sent: deque = field(default_factory=deque)
    remaining: int | None = None
    reset_at: float | None = None  # monotonic time the server's window resets
    told: bool = False  # the server reports its figures: they replace the declared limit

    def delay(self, now: float) -> float:
        """How long a new request must wait before this window lets it through."""
        if self.told:
            if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
                return max(0.0, self.reset_at - now)
            return 0.0
        if not self.limit:
            return 0.0
        while self.sent and now - self.sent[0] >= self.period * SAFETY:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return max(0.0, self.sent[-self.limit] + self.period * SAFETY - now)

    def take(self, at: float) -> None:
        self.sent.append(at)
        if self.remaining is not None:
            self.remaining -= 1
        if self.reset_at is not None and at >= self.reset_at:
            self.remaining = self.reset_at = None


def header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def as_number(value: str | None) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def reset_delay(value: float | None, now_wall: float) -> float | None:
    """A reset given as seconds from now or as a Unix time, as seconds from now."""
    if value is None:
        return None
    return max(0.0, value - now_wall) if value > EPOCH_THRESHOLD else max(0.0, value)


def server_window(headers: Mapping[str, Any]) -> tuple[int | None, int | None, float | None]:
    """(limit, remaining, seconds to reset) from X-RateLimit-*, RateLimit-* or `RateLimit`."""
    now_wall = time.time()
    for prefix in ("x-ratelimit-", "ratelimit-"):
        limit, remaining = as_number(header(headers, prefix + "limit")), as_number(header(headers, prefix + "remaining"))
        if remaining is not None:
            reset = reset_delay(as_number(header(headers, prefix + "reset")), now_wall)
            return (int(limit) if limit is not None else None), int(remaining), reset
    combined = header(headers, "ratelimit")  # draft-ietf-httpapi-ratelimit-headers: `limit=10, remaining=0, reset=30`
    if combined:
        fields = dict(re.findall(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+)", combined))
        remaining = fields.get("remaining", fields.get("r"))
        if remaining is not None:
            reset = fields.get("reset", fields.get("t"))
            limit = fields.get("limit")
            return (int(limit) if limit else None), int(remaining), float(reset) if reset else None
    return None, None, None


def retry_after(headers: Mapping[str, Any]) -> float | None:
    """Seconds a 429 asks the client to wait: Retry-After (seconds or HTTP-date), else the reset."""
    value = header(headers, "retry-after")
    if value:
        seconds = as_number(value)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    return server_window(headers)[2]


def caller_of(headers: Mapping[str, Any]) -> str:
    """Who the server will count a request against: its credentials ('' for none). A server
    counts per user or per address; a bad token counts like no token, not like the good one."""
    values = [header(headers, name) for name in CREDENTIAL_HEADERS]
    if not any(values):
        return ""
    return hashlib.sha256("\n".join(value or "" for value in values).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rule:
    """A declared limit (`x-apitwin.rate_limits` entry) and the operations it covers."""

    name: str
    limit: int
    period: float
    operations: frozenset[str]
    tags: frozenset[str]

    def covers(self, operation: Operation | None) -> bool:
        if not self.operations and not self.tags:
            return True
        if operation is None:
            return False
        return operation.id in self.operations or bool(self.tags & set(operation.tags))


def declared_rules(contract: Contract | None) -> list[Rule]:
    """The contract's rules; of the plan rules, the strictest stands for them all (until the
    answers' headers tell a caller's own figures, which then replace it)."""
    rules: list[Rule] = []
    plan_rules: list[Rule] = []
    for entry in (contract.rate_limits if contract else []):
        if not isinstance(entry, dict) or not entry.get("limit") or not entry.get("window"):
            continue
        rule = Rule(
            name=str(entry.get("name") or len(rules)),
            limit=int(entry["limit"]),
            period=float(entry["window"]),
            operations=frozenset(str(item) for item in entry.get("operations") or ()),
            tags=frozenset(str(item) for item in entry.get("tags") or ()),
        )
        (plan_rules if entry.get("plan") else rules).append(rule)
    if plan_rules:
        strictest = min(plan_rules, key=lambda rule: rule.limit / rule.period)
        rules.append(Rule(PLAN, strictest.limit, strictest.period, frozenset(), frozenset()))
    return rules


class OperationIndex:
    """Which contract operation a concrete request URL is, by the contract's path templates."""

    def __init__(self, contract: Contract | None, base_path: str = "") -> None:
        self.base_path = base_path.rstrip("/")
        self.patterns: list[tuple[str, re.Pattern, Operation]] = []
        for operation in (contract.operations.values() if contract else ()):
            parts = re.split(r"(\{[^}]+\})", operation.path)
            regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
            self.patterns.append((operation.method, re.compile(regex), operation))
        # literal paths before templated ones: /users/me is not /users/{id}
        self.patterns.sort(key=lambda item: item[2].path.count("{"))

    def _relative(self, path: str) -> str:
        if self.base_path and path.startswith(self.base_path):
            return path[len(self.base_path):] or "/"
        return path

    def find(self, method: str, path: str) -> Operation | None:
        path = self._relative(path)
        for candidate_method, pattern, operation in self.patterns:
            if candidate_method == method.lower() and pattern.fullmatch(path):
                return operation
        return None

    def template(self, path: str) -> str | None:
        """The contract's path template a concrete path is an instance of, whatever the method."""
        path = self._relative(path)
        return next((operation.path for _, pattern, operation in self.patterns if pattern.fullmatch(path)), None)


class Pacer:
    """Decides when each request may go, and whether a 429 is worth waiting out."""

    def __init__(self, rules: list[Rule], index: OperationIndex, overall: tuple[int, float] | None = None) -> None:
        self.rules = rules
        self.index = index
        self.overall = Window(*overall) if overall else None
        self.windows: dict[tuple[str, str], Window] = {}
        self.waited = 0.0  # seconds spent waiting, for the report
        self.retried = 0  # 429 answers waited out
        self._lock = threading.Lock()

    def _window(self, method: str, path: str, caller: str) -> Window:
        operation = self.index.find(method, path)
        rule = next((rule for rule in self.rules if rule.covers(operation)), None)
        label = operation.label if operation else "*"
        # A plan's limit depends on who calls: anonymous callers share one, but with credentials
        # an operation may still count under another plan (a login under the free one), so each
        # operation learns its own figures from the answers.
        shared = rule is not None and (rule.name != PLAN or not caller)
        name = rule.name if shared else label
        key = (name, caller)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = Window(rule.limit if rule else None, rule.period if rule else 60.0)
        return window

    def wait_turn(
        self, method: str, path: str, headers: Mapping[str, Any], budget: float = MAX_TOTAL_WAIT, until: float | None = None
    ) -> float:
        """Block until this request may be sent (at most `budget` seconds, then it goes anyway);
        the time waited. A turn that comes after the monotonic instant `until` raises `NoTurn`
        at once: waiting part of the way would spend time and still not send."""
        caller = caller_of(headers)
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                window = self._window(method, path, caller)
                delay = max(window.delay(now), self.overall.delay(now) if self.overall else 0.0)
                if until is not None and delay > 0 and now + delay > until:
                    self.waited += waited
                    raise NoTurn(delay)
                if delay <= 0 or waited >= budget:
                    window.take(now)
                    if self.overall:
                        self.overall.take(now)
                    self.waited += waited
                    return waited
            step = min(delay, MAX_WAIT, budget - waited)
            time.sleep(max(step, 0.01))
            waited += max(step, 0.01)

    def observe(self, method: str, path: str, request_headers: Mapping[str, Any], status: int, headers: Mapping[str, Any]) -> float | None:
        """Learn from an answer's rate-limit headers; for a 429, how long to wait before retrying
        (None: not a 429, or no hint how long to wait)."""
        caller = caller_of(request_headers)
        _, remaining, reset = server_window(headers)
        with self._lock:
            window = self._window(method, path, caller)
            now = time.monotonic()
            if remaining is not None:
                window.told = True
                window.remaining = remaining
                window.reset_at = now + reset * SAFETY if reset is not None else None
            if status != 429:
                return None
            wait = retry_after(headers)
            if wait is None:
                return None
            wait = min(wait * SAFETY + 0.05, MAX_WAIT)
            window.told, window.remaining, window.reset_at = True, 0, now + wait
            self.retried += 1
            return wait


def scarce_operations(contract: Contract | None) -> dict[str, int]:
    """operationId -> how many cases to generate, for operations whose declared limit allows
    fewer than SCARCE_PER_MINUTE requests a minute (a login at 5 a minute): fuzzing them as
    widely as the rest would spend the whole run waiting for their window. The first request of
    each minute's allowance goes to the contract's examples; what is left, split over the
    operations sharing the limit, sizes their fuzzing."""
    if contract is None:
        return {}
    rules = [rule for rule in declared_rules(contract) if rule.name != PLAN]
    sharing: dict[str, list[Operation]] = {}
    for operation in contract.operations.values():
        rule = next((rule for rule in rules if rule.covers(operation)), None)
        if rule is not None and rule.limit * 60.0 / rule.period < SCARCE_PER_MINUTE:
            sharing.setdefault(rule.name, []).append(operation)
    budget: dict[str, int] = {}
    for name, operations in sharing.items():
        rule = next(rule for rule in rules if rule.name == name)
        per_minute = rule.limit * 60.0 / rule.period
        for operation in operations:
            budget[operation.id] = max(1, int(per_minute // (2 * len(operations))))
    return budget


def paced_budget(settings: Any, contract: Contract | None) -> tuple[float | None, str]:
    """The time limit a run gets, and a note saying why when pacing chose it (then it is a cap,
    not a budget to fill): limits slower than `SLOW_RATE` (declared by the contract, or
    `--rate-limit`) size a run that has no `--time-budget` of its own."""
    if settings.time_budget is not None:
        return settings.time_budget, ""
    rates = [rule.limit / rule.period for rule in declared_rules(contract)]
    if settings.rate_limit:
        count, period = parse_rate(settings.rate_limit)
        rates.append(count / period)
    if not rates or min(rates) >= SLOW_RATE:
        return None, ""
    return PACED_TIME_BUDGET, (
        f"paced: the rate limits allow {min(rates) * 60:g} requests a minute, so the run was capped "
        f"at {PACED_TIME_BUDGET:g} s (--time-budget N runs longer)"
    )
