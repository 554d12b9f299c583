"""Rate limits as a contract declares them under `x-apitwin.rate_limits`.

    x-apitwin:
      rate_limits:                       # first matching rule wins
        - {name: auth, operations: [login, refreshToken], limit: 5, window: 60}
        - {name: search, tags: [search], limit: 30, window: 60, algorithm: sliding}
        - {name: api, limit: 10, window: 1, burst: 20}       # no operations/tags: every operation
        - {name: pro, plan: pro, limit: 300, window: 60, daily: 100000}

Each rule counts per client (the caller's user id, else its address). Algorithms:
`fixed` (default; counts reset at window boundaries, so `X-RateLimit-Reset` is a boundary),
`sliding` (the last `window` seconds, exactly), and with `burst: N` a token bucket that holds
`limit + burst` requests and refills at `limit` per `window` (nginx-style burst).
Plan rules (`plan: free|pro|...`) apply to callers on that plan (the `plan` of a demo account,
carried in its tokens and API keys). How plans are picked is declared beside the rules:

    x-apitwin:
      plans:
        default: free             # the plan of a caller without one (anonymous requests too)
        header: X-RateLimit-Plan  # optional: answer the plan that was counted in this header

Without `plans.default`, a caller without a plan counts under the last plan rule. `daily: N`
adds a per-day cap (`null` for unlimited).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

DAY = 86400


@dataclass
class RateDecision:
    """What the mock answers: X-RateLimit-Limit/Remaining/Reset, and Retry-After on 429."""

    allowed: bool
    limit: int
    remaining: int
    reset: int              # Unix time when the window (or bucket) is full again
    retry_after: int        # seconds to wait before a retry may succeed (0 when allowed)
    rule: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: float
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    burst: int = 0
    algorithm: str = "fixed"
    plan: str | None = None
    daily: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any], index: int) -> "Rule":
        try:
            limit, window = int(raw["limit"]), float(raw.get("window", 60))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"x-apitwin.rate_limits[{index}] needs an integer `limit` (and a `window` in seconds)") from None
        if limit < 0 or window <= 0:
            raise ValueError(f"x-apitwin.rate_limits[{index}]: limit must be >= 0 and window > 0")
        algorithm = str(raw.get("algorithm", "fixed"))
        if algorithm not in ("fixed", "sliding"):
            raise ValueError(f"x-apitwin.rate_limits[{index}]: algorithm must be fixed or sliding, not {algorithm!r}")
        return cls(name=str(raw.get("name") or f"rule{index}"), limit=limit, window=window,
                   operations=tuple(raw.get("operations") or ()), tags=tuple(raw.get("tags") or ()),
                   burst=int(raw.get("burst") or 0), algorithm=algorithm,
                   plan=str(raw["plan"]) if raw.get("plan") is not None else None,
                   daily=int(raw["daily"]) if raw.get("daily") is not None else None)

    def applies_to(self, operation_id: str, tags: tuple[str, ...] | list[str]) -> bool:
        if not self.operations and not self.tags:
            return True
        return operation_id in self.operations or any(tag in self.tags for tag in tags)


class RateLimiter:
    def __init__(self, rules: list[dict], *, enabled: bool = True, clock: Callable[[], float] = time.time,
                 operation_tags: Mapping[str, list[str]] | None = None, plans: Mapping[str, Any] | None = None):
        self.rules = [Rule.parse(raw, index) for index, raw in enumerate(rules or []) if isinstance(raw, Mapping)]
        self.default_plan = str((plans or {}).get("default")) if (plans or {}).get("default") else None
        self.plan_header = (plans or {}).get("header")
        self.enabled = enabled
        self._clock = clock
        self._tags = {k: tuple(v or ()) for k, v in (operation_tags or {}).items()}
        self._lock = threading.Lock()
        self._fixed: dict[tuple[str, str, float], list[float]] = {}     # -> [window start, count]
        self._sliding: dict[tuple[str, str], deque[float]] = {}
        self._buckets: dict[tuple[str, str], list[float]] = {}          # -> [tokens, last refill]

    @classmethod
    def from_document(cls, document: dict, *, enabled: bool = True, clock: Callable[[], float] = time.time) -> "RateLimiter":
        """A limiter for a contract: its rules, and its operations' tags for tag rules."""
        tags = {op["operationId"]: list(op.get("tags") or [])
                for item in (document.get("paths") or {}).values() if isinstance(item, dict)
                for op in item.values() if isinstance(op, dict) and "operationId" in op}
        declared = document.get("x-apitwin") or {}
        return cls(declared.get("rate_limits") or [], enabled=enabled, clock=clock, operation_tags=tags,
                   plans=declared.get("plans"))

    def reset(self) -> None:
        with self._lock:
            self._fixed.clear()
            self._sliding.clear()
            self._buckets.clear()

    def rule_for(self, operation_id: str, *, plan: str | None = None, tags: list[str] | None = None) -> Rule | None:
        op_tags = tuple(tags) if tags is not None else self._tags.get(operation_id, ())
        plan = plan or self.default_plan
        plan_rules: list[Rule] = []
        for rule in self.rules:
            if not rule.applies_to(operation_id, op_tags):
                continue
            if rule.plan is None:
                return rule
            if plan is not None and rule.plan == plan:
                return rule
            plan_rules.append(rule)
        if not plan_rules:
            return None
        return next((r for r in plan_rules if r.plan == self.default_plan), plan_rules[-1])

    def check(self, operation_id: str, client: str, *, plan: str | None = None,
              tags: list[str] | None = None) -> RateDecision | None:
        """Count one request of `client`; None when limits are off or no rule applies."""
        if not self.enabled:
            return None
        rule = self.rule_for(operation_id, plan=plan, tags=tags)
        if rule is None:
            return None
        now = self._clock()
        with self._lock:
            day = None
            if rule.daily is not None:
                day = self._window_fixed(rule, client, now, rule.daily, DAY, rule.name + "/day", peek=True)
                if not day.allowed:  # the day's quota is spent: refused without counting the window
                    return self._with_headers(rule, day, day)
            if rule.burst:
                decision = self._bucket(rule, client, now)
            elif rule.algorithm == "sliding":
                decision = self._window_sliding(rule, client, now)
            else:
                decision = self._window_fixed(rule, client, now, rule.limit, rule.window, rule.name)
            if day is not None and decision.allowed:
                day = self._window_fixed(rule, client, now, rule.daily, DAY, rule.name + "/day")
                if day.remaining < decision.remaining:
                    # the day's quota binds before the window does: Limit, Remaining and Reset
                    # all describe the day, so a client never plans on requests it will not get
                    decision = day
            return self._with_headers(rule, decision, day)

    def nominal(self, operation_id: str, *, plan: str | None = None,
                tags: list[str] | None = None) -> RateDecision | None:
        """What the headers say with limits off: the rule that would count this request, its
        full allowance (Limit and Remaining alike) and when its current window ends."""
        rule = self.rule_for(operation_id, plan=plan, tags=tags)
        if rule is None:
            return None
        now = self._clock()
        limit = rule.limit + rule.burst
        if rule.burst or rule.algorithm == "sliding":
            reset = math.ceil(now + rule.window)
        else:
            reset = math.ceil(math.floor(now / rule.window) * rule.window + rule.window)
        decision = RateDecision(True, limit, limit, reset, 0, rule.name)
        day = None
        if rule.daily is not None:
            day = RateDecision(True, rule.daily, rule.daily, math.ceil(math.floor(now / DAY) * DAY + DAY), 0, rule.name)
        return self._with_headers(rule, decision, day)

    def _with_headers(self, rule: Rule, decision: RateDecision, day: RateDecision | None) -> RateDecision:
        """The extra headers: the day's quota beside the window, and the plan that was counted."""
        headers: dict[str, str] = {}
        if day is not None:
            headers["X-RateLimit-Limit-Day"] = str(day.limit)
            headers["X-RateLimit-Remaining-Day"] = str(max(0, day.remaining))
        if self.plan_header and rule.plan:
            headers[str(self.plan_header)] = rule.plan
        decision.headers = headers
        return decision

    # ------------------------------------------------------------------ algorithms
    def _window_fixed(self, rule: Rule, client: str, now: float, limit: int, window: float, key: str,
                      peek: bool = False) -> RateDecision:
        start = math.floor(now / window) * window
        slot = self._fixed.get((key, client, window))
        if slot is None or slot[0] != start:
            slot = [start, 0]
            self._fixed[(key, client, window)] = slot
        reset = math.ceil(start + window)
        if slot[1] >= limit:
            return RateDecision(False, limit, 0, reset, max(1, math.ceil(start + window - now)), rule.name)
        if not peek:
            slot[1] += 1
        return RateDecision(True, limit, limit - slot[1], reset, 0, rule.name)

    def _window_sliding(self, rule: Rule, client: str, now: float) -> RateDecision:
        log = self._sliding.setdefault((rule.name, client), deque())
        while log and log[0] <= now - rule.window:
            log.popleft()
        if len(log) >= rule.limit:
            wait = log[0] + rule.window - now if log else rule.window
            return RateDecision(False, rule.limit, 0, math.ceil(now + wait), max(1, math.ceil(wait)), rule.name)
        log.append(now)
        return RateDecision(True, rule.limit, rule.limit - len(log), math.ceil(log[0] + rule.window), 0, rule.name)

    def _bucket(self, rule: Rule, client: str, now: float) -> RateDecision:
        capacity = rule.limit + rule.burst
        rate = rule.limit / rule.window  # tokens per second
        bucket = self._buckets.setdefault((rule.name, client), [float(capacity), now])
        if rate > 0:
            bucket[0] = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] < 1:
            wait = (1 - bucket[0]) / rate if rate > 0 else rule.window
            full = (capacity - bucket[0]) / rate if rate > 0 else rule.window
            return RateDecision(False, capacity, 0, math.ceil(now + full), max(1, math.ceil(wait)), rule.name)
        bucket[0] -= 1
        full = (capacity - bucket[0]) / rate if rate > 0 else 0
        return RateDecision(True, capacity, int(bucket[0]), math.ceil(now + full), 0, rule.name)
