"""RateLimiter: windows, burst, plans, daily caps and the numbers behind X-RateLimit-* headers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mock_server.ratelimit import RateLimiter

SPECS = Path(__file__).resolve().parents[2] / "specs"


class Clock:
    def __init__(self, now: float = 1_000_020.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


RULES = [
    {"name": "auth", "operations": ["login", "refreshToken"], "limit": 5, "window": 60},
    {"name": "search", "tags": ["search"], "limit": 2, "window": 10, "algorithm": "sliding"},
    {"name": "api", "limit": 100, "window": 60},
]


def test_fixed_window_counts_down_refuses_and_resets_at_the_boundary():
    clock = Clock()
    limiter = RateLimiter(RULES, clock=clock)
    decisions = [limiter.check("login", "alice") for _ in range(5)]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    assert all(d.allowed and d.limit == 5 and d.rule == "auth" for d in decisions)
    window_end = (clock.now // 60 + 1) * 60
    assert decisions[0].reset == window_end
    refused = limiter.check("login", "alice")
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == window_end - clock.now
    assert limiter.check("login", "bob").allowed          # per client
    assert limiter.check("listUsers", "alice").allowed    # other rule, other count
    clock.now = window_end
    assert limiter.check("login", "alice").remaining == 4


def test_first_matching_rule_wins_and_the_rule_without_operations_is_the_default():
    limiter = RateLimiter(RULES, operation_tags={"search": ["search"]})
    assert limiter.check("refreshToken", "c").rule == "auth"
    assert limiter.check("search", "c").rule == "search"
    assert limiter.check("listMessages", "c").rule == "api"
    assert limiter.check("anything", "c", tags=["search"]).rule == "search"
    assert RateLimiter(RULES[:1]).check("listUsers", "c") is None


def test_sliding_window_forgets_requests_exactly_one_window_later():
    clock = Clock(500.0)
    limiter = RateLimiter(RULES, clock=clock, operation_tags={"search": ["search"]})
    assert limiter.check("search", "c").allowed
    clock.now += 6
    assert limiter.check("search", "c").allowed
    refused = limiter.check("search", "c")
    assert not refused.allowed and refused.retry_after == 4
    clock.now += 4
    assert limiter.check("search", "c").allowed
    assert not limiter.check("search", "c").allowed


def test_burst_lets_a_spike_through_then_refills_at_the_sustained_rate():
    clock = Clock()
    limiter = RateLimiter([{"name": "api", "limit": 10, "window": 1, "burst": 20}], clock=clock)
    allowed = [limiter.check("op", "c").allowed for _ in range(31)]
    assert allowed == [True] * 30 + [False]
    refused = limiter.check("op", "c")
    assert refused.limit == 30 and refused.retry_after == 1
    clock.now += 0.5  # half a second refills five requests
    assert [limiter.check("op", "c").allowed for _ in range(6)] == [True] * 5 + [False]


def test_plans_pick_their_rule_and_daily_caps_apply():
    clock = Clock(10 * 86400 + 30)
    rules = [{"name": "enterprise", "plan": "enterprise", "limit": 1000, "window": 60, "daily": None},
             {"name": "pro", "plan": "pro", "limit": 300, "window": 60, "daily": 100000},
             {"name": "free", "plan": "free", "limit": 3, "window": 60, "daily": 4}]
    limiter = RateLimiter(rules, clock=clock)
    assert limiter.check("op", "a", plan="enterprise").limit == 1000
    assert limiter.check("op", "b", plan="pro").limit == 300
    assert limiter.check("op", "anonymous").rule == "free"     # no plan: the last plan rule
    assert limiter.check("op", "x", plan="unknown").rule == "free"
    for _ in range(2):
        assert limiter.check("op", "anonymous").allowed
    assert not limiter.check("op", "anonymous").allowed        # 3 per minute
    clock.now += 60
    assert limiter.check("op", "anonymous").allowed            # the 4th today
    refused = limiter.check("op", "anonymous")
    assert not refused.allowed and refused.limit == 4 and refused.retry_after > 60
    declared = RateLimiter(rules, plans={"default": "pro", "header": "X-RateLimit-Plan"})
    decision = declared.check("op", "anonymous")
    assert decision.rule == "pro" and decision.headers["X-RateLimit-Plan"] == "pro"
    assert declared.check("op", "a", plan="enterprise").headers == {"X-RateLimit-Plan": "enterprise"}


def test_the_enterprise_contract_declares_how_plans_are_picked():
    with open(SPECS / "enterprise" / "openapi.yaml", encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    limiter = RateLimiter.from_document(document)
    plans = document["x-apitwin"]["plans"]
    by_plan = {rule["plan"]: rule for rule in document["x-apitwin"]["rate_limits"]}
    anonymous = limiter.check("login", "203.0.113.9")
    assert anonymous.limit == by_plan[plans["default"]]["limit"]
    assert anonymous.headers[plans["header"]] == plans["default"]
    for plan, rule in by_plan.items():
        assert limiter.check("listRecords", f"user-{plan}", plan=plan).limit == rule["limit"]


def test_disabled_limits_answer_nothing_and_reset_clears_counts():
    assert RateLimiter(RULES, enabled=False).check("login", "c") is None
    limiter = RateLimiter(RULES)
    for _ in range(5):
        limiter.check("login", "c")
    assert not limiter.check("login", "c").allowed
    limiter.reset()
    assert limiter.check("login", "c").allowed


def test_bad_rules_are_reported_clearly():
    with pytest.raises(ValueError, match="needs an integer `limit`"):
        RateLimiter([{"name": "x"}])
    with pytest.raises(ValueError, match="fixed or sliding"):
        RateLimiter([{"limit": 1, "algorithm": "leaky"}])


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*/openapi.yaml")), ids=lambda p: p.parent.name)
def test_every_bundled_contract_declares_rules_that_cover_every_operation(spec):
    with open(spec, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    limiter = RateLimiter.from_document(document)
    operations = [op["operationId"] for item in document["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op]
    for operation in operations:
        decision = limiter.check(operation, f"client-of-{operation}")
        assert decision is not None and decision.allowed and decision.remaining == decision.limit - 1
