"""Security requirements as OpenAPI states them: a list of alternatives (OR), each naming
schemes that must all be met (AND); an empty requirement, or no list at all, means open."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    """The principal of the first alternative met, else the first refusal and whether the
    operation may be called without credentials."""

    principal: Any = None
    refusal: Exception | None = None
    optional: bool = False


def first_met(security: list[Any] | None, satisfy: Callable[[Mapping[str, Any]], Any],
              refusal: type[Exception]) -> Outcome:
    """Tries each non-empty alternative in order with `satisfy` (None: its credentials are not
    all there; raising `refusal`: one is present but not acceptable)."""
    requirements = [r for r in (security or []) if isinstance(r, Mapping)]
    outcome = Outcome(optional=not requirements or any(not r for r in requirements))
    for requirement in requirements:
        if not requirement:
            continue
        try:
            principal = satisfy(requirement)
        except refusal as error:
            outcome.refusal = outcome.refusal or error
            continue
        if principal is not None:
            outcome.principal = principal
            return outcome
    return outcome
