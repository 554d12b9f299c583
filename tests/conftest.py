"""Shared pytest set-up: a fixed Hypothesis profile so CI runs are repeatable."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "apitwin-ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
settings.load_profile("apitwin-ci")
