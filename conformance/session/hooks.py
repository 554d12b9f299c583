"""The guard's place in Schemathesis' engine: its auth provider and its call hooks.

Schemathesis dispatches `before_call` only to global hooks, so the guard's hooks are
registered for the duration of one run and act only on cases of that run's schemas; nothing
stays behind for other users of the library in the same process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from schemathesis import hooks as schemathesis_hooks

from conformance.contract import Operation
from conformance.session.guard import SessionGuard


def operation_of(guard: SessionGuard, case: Any) -> Operation | None:
    return guard.contract.operation_for(case.operation.method, case.operation.path)


def install_guarded_auth(schema: Any, guard: SessionGuard) -> None:
    session = guard.session

    class GuardedAuth:
        """Credentials from the contract's own login, a login of its own for session-ending
        operations (see conformance.session.guard)."""

        def get(self, case: Any, context: Any) -> dict[str, Any]:
            return {"headers": guard.credentials(operation_of(guard, case)), "query": session.query()}

        def set(self, case: Any, data: dict[str, Any], context: Any) -> None:
            if data["headers"]:
                case.headers = {**(case.headers or {}), **data["headers"]}
            if data["query"]:
                case.query = {**(case.query or {}), **data["query"]}

    schema.auth(refresh_interval=None)(GuardedAuth)


@contextmanager
def guarding(guard: SessionGuard, *schemas: Any) -> Iterator[None]:
    """Run `guard` around every call of cases from `schemas` while the block runs."""
    ours = {id(schema) for schema in schemas}

    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        if id(case.operation.schema) in ours:
            guard.prepare(operation_of(guard, case), case)

    def after_call(context: Any, case: Any, response: Any) -> None:
        if id(case.operation.schema) not in ours:
            return
        request = getattr(response, "request", None)
        headers = getattr(request, "headers", None) or {}
        guard.observe(operation_of(guard, case), case, response.status_code, headers, _json(response), _header(response, "location"))

    schemathesis.hook("before_call")(before_call)
    schemathesis.hook("after_call")(after_call)
    try:
        yield
    finally:
        schemathesis_hooks.unregister(before_call)
        schemathesis_hooks.unregister(after_call)


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content or b"null")
    except (ValueError, TypeError):
        return None


def _header(response: Any, name: str) -> str | None:
    for key, value in (response.headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None
