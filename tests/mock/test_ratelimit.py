"""RateLimiter: windows, burst, plans, daily caps and the numbers behind X-RateLimit-* headers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mock_server.state.ratelimit import RateLimiter

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


# ---------------------------------------------------------------- coherent headers

COHERENCE_RULES = [
    [{"name": "free", "plan": "free", "limit": 5, "window": 60, "daily": 12}],
    [{"name": "tight-day", "limit": 50, "window": 60, "daily": 7}],
    [{"name": "burst", "limit": 3, "window": 2, "burst": 4, "daily": 20}],
    [{"name": "sliding", "limit": 4, "window": 10, "algorithm": "sliding", "daily": 9}],
    [{"name": "enterprise", "plan": "enterprise", "limit": 1000, "window": 60, "daily": None},
     {"name": "free", "plan": "free", "limit": 4, "window": 60, "daily": 10}],
]


@pytest.mark.parametrize("rules", COHERENCE_RULES, ids=lambda r: r[-1]["name"])
def test_limit_remaining_and_reset_describe_one_window_and_remaining_is_a_promise(rules):
    """On every answer Remaining <= Limit, Reset lies ahead, a refusal says 0 remaining, and
    Remaining is true: exactly that many more requests at the same instant are let through
    (whether the window, the burst bucket or the daily cap is what binds)."""
    clock = Clock(10 * 86400 + 5)
    limiter = RateLimiter(rules, clock=clock, plans={"default": "free", "header": "X-RateLimit-Plan"})
    for step in range(40):
        decision = limiter.check("op", "client")
        assert 0 <= decision.remaining <= decision.limit, (step, decision)
        assert decision.reset >= clock.now, (step, decision)
        if not decision.allowed:
            assert decision.remaining == 0 and decision.retry_after >= 1
            assert decision.reset >= clock.now + decision.retry_after - 1
        else:
            promised = decision.remaining
            probe = RateLimiter(rules, clock=clock, plans={"default": "free"})
            probe._fixed = {k: list(v) for k, v in limiter._fixed.items()}
            probe._sliding = {k: type(v)(v) for k, v in limiter._sliding.items()}
            probe._buckets = {k: list(v) for k, v in limiter._buckets.items()}
            granted = [probe.check("op", "client").allowed for _ in range(promised + 1)]
            assert granted == [True] * promised + [False], (step, decision, granted)
        day = decision.headers.get("X-RateLimit-Remaining-Day")
        if day is not None:
            assert 0 <= int(day) <= int(decision.headers["X-RateLimit-Limit-Day"])
            assert decision.remaining <= int(day) or decision.limit == int(decision.headers["X-RateLimit-Limit-Day"])
        assert decision.headers.get("X-RateLimit-Plan") in (None, rules[-1].get("plan"))
        clock.now += 7


def test_with_limits_off_the_headers_name_the_rules_full_allowance():
    clock = Clock(10 * 86400 + 5)
    rules = [{"name": "burst", "limit": 3, "window": 2, "burst": 4},
             {"name": "free", "plan": "free", "limit": 60, "window": 60, "daily": 10000}]
    limiter = RateLimiter(rules[:1], clock=clock, enabled=False)
    nominal = limiter.nominal("op")
    assert (nominal.limit, nominal.remaining) == (7, 7) and nominal.reset > clock.now
    assert RateLimiter(rules[:1], clock=clock).check("op", "c").limit == nominal.limit
    limiter = RateLimiter(rules[1:], clock=clock, enabled=False, plans={"default": "free", "header": "X-RateLimit-Plan"})
    nominal = limiter.nominal("op")
    assert (nominal.limit, nominal.remaining, nominal.reset) == (60, 60, (clock.now // 60 + 1) * 60)
    assert nominal.headers == {"X-RateLimit-Limit-Day": "10000", "X-RateLimit-Remaining-Day": "10000",
                               "X-RateLimit-Plan": "free"}
    assert RateLimiter([], enabled=False).nominal("op") is None
