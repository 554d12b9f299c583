"""Every check the suite runs, by name: Schemathesis' built-ins and apitwin's own.

A check is a small named function registered here with the transport it applies to and one
line saying what fault it catches. `apitwin check --list-checks`, `--checks` and
`--exclude-checks` all work from this one table, and a failure always carries the check's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemathesis.core.failures import Failure


class Violation(Failure):
    """A check's verdict: what the contract expected and what actually came back."""

    code = "AT900"
    kind_title = "Contract violation"

    def __init__(self, title: str, *, expected: str, actual: str, operation: str | None = None) -> None:
        super().__init__(operation=operation, title=title, message=f"Expected: {expected}\nActual: {actual}")
        self.expected = expected
        self.actual = actual

    @property
    def _unique_key(self) -> str:
        return f"{self.title}|{self.expected}"


@dataclass(frozen=True)
class CheckInfo:
    name: str
    transport: str  # http | websocket | graphql
    origin: str  # schemathesis | apitwin
    summary: str
    function: Callable[..., Any] | None = None


#: Schemathesis' built-in checks the suite runs in its HTTP phases, with what each catches.
BUILTIN_CHECKS: dict[str, str] = {
    "not_a_server_error": "no 5xx answer, whatever the input",
    "status_code_conformance": "every status code is documented for its operation",
    "content_type_conformance": "every Content-Type is documented for its response",
    "response_headers_conformance": "required response headers are present and valid",
    "response_schema_conformance": "every response body matches its documented schema",
    "negative_data_rejection": "input that breaks the contract is rejected with a 4xx",
    "positive_data_acceptance": "input the contract allows is accepted",
    "missing_required_header": "a request missing a required header is rejected",
    "unsupported_method": "an undocumented method is answered 405",
    "allow_header_conformance": "405 answers carry an Allow header listing the documented methods",
    "ignored_auth": "a protected operation does not answer 2xx without valid credentials",
    "use_after_free": "a deleted resource is gone (stateful)",
    "ensure_resource_availability": "a created resource can be read back (stateful)",
}


class CheckRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckInfo] = {}
        for name, summary in BUILTIN_CHECKS.items():
            self._checks[name] = CheckInfo(name=name, transport="http", origin="schemathesis", summary=summary)

    def register(self, transport: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
            name = function.__name__
            self._checks[name] = CheckInfo(
                name=name, transport=transport, origin="apitwin", summary=summary, function=function
            )
            return function

        return decorator

    def declare(self, name: str, transport: str, summary: str, origin: str = "apitwin") -> None:
        """A check without a per-response function: performed by a runner, or Schemathesis' own."""
        self._checks[name] = CheckInfo(name=name, transport=transport, origin=origin, summary=summary)

    def all(self) -> list[CheckInfo]:
        return list(self._checks.values())

    def names(self) -> list[str]:
        return list(self._checks)

    def get(self, name: str) -> CheckInfo:
        return self._checks[name]

    def select(self, transport: str, enabled: set[str]) -> list[CheckInfo]:
        return [info for info in self._checks.values() if info.transport == transport and info.name in enabled]


REGISTRY = CheckRegistry()
register = REGISTRY.register


def load_all() -> CheckRegistry:
    """Import the modules that register checks, so the table is complete."""
    from conformance.http import checks as _http  # noqa: F401
    from conformance.behaviour import checks as _behaviour  # noqa: F401
    from conformance.websocket import checks as _ws  # noqa: F401
    from conformance import graphql_phase as _graphql  # noqa: F401

    return REGISTRY
