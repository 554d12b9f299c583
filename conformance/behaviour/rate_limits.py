"""`rate_limit_enforced` (opt-in): requests spend the documented quota and the limit holds.

`X-RateLimit-Remaining` must fall as requests are made (a new window may refill it) and, once
it reaches zero, the next request must get 429 with `Retry-After`. It spends the quota the
target's users share, so it runs only when asked for: `--checks rate_limit_enforced` or
`--spend-quota`.
"""

from __future__ import annotations

import time

from conformance.behaviour.auth_lifecycle import probe_operation
from conformance.behaviour.context import BehaviourRun, Inapplicable, fail
from conformance.behaviour.resources import selected
from conformance.contract import Operation
from conformance.http.checks import RATE_LIMIT_MARK, as_int

#: the most requests the probe spends before giving up on reaching the limit
MAX_REQUESTS = 600
#: the longest Retry-After the probe waits for when the quota is spent before it begins
MAX_WAIT = 5
#: answers in a row with the same remaining quota that show it is not being spent
STALLS = 3


def remaining_header(run: BehaviourRun, operation: Operation) -> str | None:
    """The documented `...RateLimit-Remaining` header of the operation's 2xx answer."""
    for code, response in (operation.definition.get("responses") or {}).items():
        if not str(code).startswith("2"):
            continue
        for name in (run.contract.resolve(response).get("headers") or {}):
            flat = name.lower().replace("-", "").replace("_", "")
            if RATE_LIMIT_MARK in flat and flat.endswith("remaining"):
                return name
    return None


def target_operation(run: BehaviourRun) -> tuple[Operation, str] | None:
    """A safe GET (no parameters to fill) whose answers document the remaining quota."""
    chosen = [op for op in run.contract.operations.values() if selected(op, run.settings.include, run.settings.exclude)]
    for operation in chosen:
        parameters = [run.contract.resolve(p) for p in operation.definition.get("parameters") or []]
        if (
            operation.method == "get"
            and "{" not in operation.path
            and not operation.extension("auth")
            and "101" not in {str(code) for code in operation.definition.get("responses") or {}}
            and not any(p.get("required") for p in parameters)
            and (name := remaining_header(run, operation))
        ):
            return operation, name
    probe = probe_operation(run)
    return (probe, remaining_header(run, probe)) if probe and remaining_header(run, probe) else None


def rate_limit_enforced(run: BehaviourRun, operation: Operation, header: str) -> None:
    previous: int | None = None
    exhausted = waited = False
    stalls, last_reset = 0, None
    for count in range(1, MAX_REQUESTS + 1):
        answer = run.send(operation.method, operation.path, paced=False)
        if answer.status == 429:
            retry = answer.header("Retry-After")
            if retry is None or (as_int(retry) is None and "," not in retry):
                raise fail("429 without a usable Retry-After", "Retry-After: seconds or an HTTP date", repr(retry))
            if previous is None:  # the quota was spent before we began: wait for a new window once
                wait = as_int(retry)
                if waited or wait is None or wait > MAX_WAIT:
                    raise Inapplicable("the quota is already spent")
                waited = True
                time.sleep(max(wait, 0.5))
                continue
            return
        if not answer.ok:
            raise Inapplicable(f"{operation.label} answered {answer.status}")
        remaining = as_int(answer.header(header))
        if remaining is None:
            raise Inapplicable(f"no {header}")
        if exhausted:
            raise fail(
                "a request is served after the quota reached zero",
                f"429 with Retry-After once {header} is 0",
                f"{answer.status} ({header}: {remaining}) after {count} requests",
            )
        # the same figure again: spent by nobody, unless a new window just refilled it (then the
        # reset time moves); three answers in a row with the same figures are no new window
        reset = answer.header(header[: -len("remaining")] + "Reset") if header.lower().endswith("remaining") else None
        stalls = stalls + 1 if remaining == previous and reset == last_reset else 0
        if stalls >= STALLS:
            raise fail(
                f"{header} does not fall as requests are made",
                f"{header} below {previous} after more requests",
                f"{remaining} on {STALLS + 1} answers in a row (up to request {count})",
            )
        previous, last_reset = remaining, reset
        exhausted = remaining == 0
    raise Inapplicable(f"the limit was not reached in {MAX_REQUESTS} requests")


def run_all(run: BehaviourRun) -> None:
    if "rate_limit_enforced" not in run.enabled:
        return
    found = target_operation(run)
    if found is not None:
        operation, header = found
        run.perform("rate_limit_enforced", operation, lambda: rate_limit_enforced(run, operation, header))
