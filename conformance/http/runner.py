"""Run the HTTP phases (examples, fuzz, stateful) with Schemathesis' engine, as a library.

Schemathesis does the generating, sending, shrinking and its built-in checks; apitwin adds
its own checks (registered with Schemathesis only for the duration of this run, so nothing
leaks into other users of the library in the same process), logs in automatically, and turns
the engine's events into a `Report`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.checks import CHECKS
from schemathesis.engine import events, from_schema
from schemathesis.engine.errors import UnexpectedError

from urllib.parse import urlsplit

from conformance.assumptions import NO_BODY, assumption
from conformance.auth import AuthSession
from conformance.contract import Contract
from conformance.coverage import EngineFollower, HttpCoverage
from conformance.http import offline
from conformance.http import transport as http_transport
from conformance.http.access_marks import with_visible_marks
from conformance.http.checks import HttpCheckState
from conformance.http.datarefs import without_data_refs
from conformance.http.pacing import scarce_operations
from conformance.http.transport import NoAnswer, ResponseTooLarge, TargetStopped
from conformance.registry import BUILTIN_CHECKS, CheckInfo, Violation
from conformance.results import Finding, Report
from conformance.session.guard import SessionGuard
from conformance.http.form_reading import is_valid_on_the_wire
from conformance.settings import CheckSettings, SettingsError
from conformance.target import Target
from mock_server.contracts.discriminators import express_discriminators
from mock_server.contracts.inline import inline_files
from mock_server.contracts.loader import load_document

#: our phase names -> Schemathesis' phases
PHASE_MAP = {
    "examples": ("examples",),
    "fuzz": ("coverage", "fuzzing"),
    "coverage": ("coverage",),
    "fuzzing": ("fuzzing",),
    "stateful": ("stateful",),
}

Progress = Callable[[str, str, int], None]  # (phase, operation label, failures so far)


def engine_config(settings: CheckSettings, enabled: set[str], contract: Contract | None = None) -> dict[str, Any]:
    """The Schemathesis configuration (the same keys as its TOML file) for this run; operations
    the contract limits to a few requests a minute get a few cases (pacing.scarce_operations)."""
    wanted = {phase for ours in settings.phases for phase in PHASE_MAP.get(ours, ())}
    config: dict[str, Any] = {
        "workers": settings.workers,
        "request-timeout": settings.request_timeout,
        "generation": {"max-examples": settings.max_examples, "deterministic": settings.seed is not None, "database": "none"},
        "phases": {phase: {"enabled": phase in wanted} for phase in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {name: {"enabled": name in enabled} for name in BUILTIN_CHECKS},
        "auth": {"auto-signup": False},
        "cache": {"enabled": False},  # runs stay independent, and nothing is written to the working directory
        "suppress-health-check": ["all"],
    }
    if settings.seed is not None:
        config["seed"] = settings.seed
    if settings.time_budget:
        config["max-time"] = max(1, int(settings.time_budget))
    if contract is not None:
        config["operations"] = [
            {"include-operation-id": operation_id, "generation": {"max-examples": min(cases, settings.max_examples)}, "phases": {"coverage": {"enabled": False}}}
            for operation_id, cases in scarce_operations(contract).items()
        ]
    return config


def raw(operation: Any) -> dict:
    definition = getattr(operation, "definition", None)
    return getattr(definition, "raw", None) or {}


def matches(operation: Any, selectors: list[str]) -> bool:
    """An operation is selected by its operationId, its path, `METHOD path`, or one of its tags."""
    definition = raw(operation)
    names = {
        str(definition.get("operationId", "")),
        operation.path,
        f"{operation.method.upper()} {operation.path}",
        *(str(tag) for tag in definition.get("tags") or ()),
    }
    return any(selector in names for selector in selectors)


@contextmanager
def registered(checks: list[CheckInfo], state: HttpCheckState) -> Iterator[None]:
    """Our checks as Schemathesis checks, bound to this run's state, for this run only."""
    added = []
    for info in checks:
        if info.name in CHECKS.get_all_names():
            continue

        def bound(ctx: Any, response: Any, case: Any, _function: Any = info.function) -> None:
            _function(state, response, case)

        bound.__name__ = info.name
        CHECKS.register(bound)
        added.append(info.name)
    try:
        yield
    finally:
        for name in added:
            CHECKS.unregister(name)


def drive(schema: Any, handle: Callable[[Any], bool | None], seconds: float | None = None) -> None:
    """Run Schemathesis on `schema`, handing each event over; stop once the transport has
    stopped (the target stopped answering, or the run's deadline passed), `handle` says so, or
    `seconds` have passed (Schemathesis' own `max-time` is checked between operations only)."""
    schema.hook("filter_failure")(not_about_rate_limits)
    until = time.monotonic() + seconds if seconds else None
    stream = from_schema(schema).execute()
    # A phase may go long without an event (the stateful phase building its state machine on a
    # large contract): the limit is also kept by a timer, not only between events.
    timer = threading.Timer(seconds, stream.stop) if seconds else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        for event in stream:
            if handle(event) or http_transport.current().stopped or (until is not None and time.monotonic() > until):
                stream.stop()
    finally:
        if timer is not None:
            timer.cancel()


def not_about_rate_limits(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """A 429 the transport could not wait out is evidence of nothing but the rate limit: only
    apitwin's own checks (the envelope, the rate-limit headers) judge it."""
    return response is None or response.status_code != 429 or isinstance(failure, Violation)


def install_auth(schema: Any, session: AuthSession) -> None:
    class ContractAuth:
        """Credentials from the contract's own login (see conformance.auth)."""

        def get(self, case: Any, context: Any) -> dict[str, Any]:
            return {"headers": session.headers(), "query": session.query()}

        def set(self, case: Any, data: dict[str, Any], context: Any) -> None:
            if data["headers"]:
                case.headers = {**(case.headers or {}), **data["headers"]}
            if data["query"]:
                case.query = {**(case.query or {}), **data["query"]}

    schema.auth(refresh_interval=None)(ContractAuth)


def load_schema(target: Target, settings: CheckSettings, enabled: set[str]) -> Any:
    config = schemathesis.Config.from_dict(engine_config(settings, enabled, target.contract))
    offline.install()
    path = Path(target.contract.openapi_path)
    try:
        # Read by our loader, not Schemathesis' own: the contract and the files it refers to are
        # YAML 1.2 (`18:00` is a string), and a remote $ref is never fetched. `$ref` keys in data,
        # which Schemathesis would follow, are put out of its way first.
        document = with_visible_marks(inline_files(load_document(path), base=path))
        # `discriminator` in JSON Schema's words: a tagged choice, not "valid under several oneOf"
        document = express_discriminators(document)
        schema = schemathesis.openapi.from_dict(without_data_refs(document) or document, config=config)
        schema.location = path.resolve().as_uri()
    except Exception as exc:  # Schemathesis raises several loader errors; all mean "cannot use this file"
        raise SettingsError(f"{target.contract.openapi_path}: Schemathesis cannot load it: {exc}") from None
    schema.config.update(base_url=target.base_url)
    # A WebSocket handshake documented as an HTTP operation (a 101 answer) is the WebSocket
    # phase's to test: a plain HTTP request can never get its documented answer.
    schema = schema.exclude(lambda ctx: "101" in {str(code) for code in (raw(ctx.operation).get("responses") or {})})
    if settings.include:
        schema = schema.include(lambda ctx: matches(ctx.operation, settings.include))
    if settings.exclude:
        schema = schema.exclude(lambda ctx: matches(ctx.operation, settings.exclude))
    return schema


def run_http(
    target: Target,
    settings: CheckSettings,
    enabled: set[str],
    session: AuthSession,
    apitwin_checks: list[CheckInfo],
    progress: Progress | None = None,
    guard: SessionGuard | None = None,
) -> Report:
    report = Report(api=target.contract.name, base_url=target.base_url)
    if not any(phase in PHASE_MAP for phase in settings.phases) or target.contract.openapi_path is None:
        return report
    schema = load_schema(target, settings, enabled)
    state = HttpCheckState(contract=target.contract, timeout=settings.request_timeout)
    started = time.monotonic()
    follow = EngineFollower(HttpCoverage(report.coverage, schema), report.timings)
    if guard is None:
        install_auth(schema, session)
        with registered(apitwin_checks, state):

            def handle(event: Any) -> bool:
                collect(event, report, progress, contract=target.contract)
                follow(event)
                return False

            drive(schema, handle, settings.generation_limit)
    else:
        run_guarded(schema, guard, target, report, apitwin_checks, state, progress, follow, settings.generation_limit)
    report.duration = time.monotonic() - started
    if session.failure and "auth_login" in enabled:
        report.add_finding(
            Finding(
                check="auth_login",
                operation="login",
                transport="http",
                phase="setup",
                title="cannot log in through the contract's own auth operation",
                expected="a 2xx answer with an access token",
                actual=session.failure,
            )
        )
    return report


def run_guarded(
    schema: Any,
    guard: SessionGuard,
    target: Target,
    report: Report,
    apitwin_checks: list[CheckInfo],
    state: HttpCheckState,
    progress: Progress | None,
    follow: Callable[[Any], None] | None = None,
    seconds: float | None = None,
) -> None:
    """The HTTP phases under the session guard: operations it must not run are left out, and
    a session that cannot be restored stops the phase (see conformance.session)."""
    from conformance.session.hooks import guarding, install_guarded_auth

    contract = target.contract
    for operation in contract.operations.values():
        reason = guard.excluded(operation)
        if reason:
            report.not_tested[operation.label] = reason
    if report.not_tested:
        schema = schema.exclude(
            lambda ctx: f"{ctx.operation.method.upper()} {ctx.operation.path}" in report.not_tested
        )
    install_guarded_auth(schema, guard)
    with registered(apitwin_checks, state), guarding(guard, schema):

        def handle(event: Any) -> bool:
            collect(event, report, progress, contract=contract)
            if follow is not None:
                follow(event)
            if guard.lost and not report.session_lost:
                report.session_lost = guard.lost
                report.errors.append(f"HTTP phases stopped: {guard.lost}")
                return True
            return False

        drive(schema, handle, seconds)
    with http_transport.current().patient(http_transport.CLEANUP_GRACE, try_late=True):
        deleted, left = guard.cleanup(target.base_url)
    if deleted or left:
        report.notes.append(f"cleanup: deleted {deleted} record(s) the run created" + (f", {left} left (no DELETE, it failed, or the rate limit held it past the time budget)" if left else ""))
    if guard.rewrites:
        report.notes.append(f"{guard.rewrites} state-changing request(s) aimed at data the run did not create were pointed at its own records or at ids that name nothing")


CONFLICT_WORDS = re.compile(r"already|taken|exists|duplicate|conflict|in use", re.IGNORECASE)


def is_expected_rejection(contract: Contract, check: str, label: str, failure: Any = None) -> bool:
    """A valid body the server refuses for a documented reason outside the body's schema: a
    registration seeing a username it has already registered (examples are sent more than
    once), or any documented answer that says a unique value is already taken (a generated
    body may reuse a username or email the server already holds)."""
    if check != "positive_data_acceptance" or " " not in label:
        return False
    method, path = label.split(" ", 1)
    operation = contract.operation_for(method, path)
    if operation is None:
        return False
    if operation.extension("auth") == "register":
        return True
    status = getattr(failure, "status_code", None)
    documented = contract.response_for(operation, status) if isinstance(status, int) and 400 <= status < 500 else None
    text = " ".join(
        [str((documented or {}).get("description") or "")]
        + [str(example) for media in ((documented or {}).get("content") or {}).values() if isinstance(media, dict) for example in (media.get("examples") or {}).values()]
    )
    return documented is not None and CONFLICT_WORDS.search(text) is not None


def is_unstated_credential_validity(contract: Contract, check: str, failure: Any) -> bool:
    """`ignored_auth` sending a made-up or generated credential and getting in: a violation only
    where the contract says which credentials are valid. A contract that names only the kind
    and place (an API key in a header) is served, by a mock, with any such key accepted; a
    request without one is still held to 401."""
    if check != "ignored_auth" or contract.states_valid_credentials:
        return False
    return str(getattr(failure, "scenario", "")) in ("invalid_auth", "generated_auth")


def documents_no_status(contract: Contract, check: str, label: str) -> bool:
    """An operation whose contract documents no responses at all (OpenAPI 3.1 allows it) states
    no status: status_code_conformance has nothing to hold its answers to."""
    if check != "status_code_conformance" or " " not in label:
        return False
    method, path = label.split(" ", 1)
    operation = contract.operation_for(method, path)
    return operation is not None and not operation.definition.get("responses")


_COMPONENT = re.compile(r"Invalid component: parameters? ((?:`[^`]+`(?:, )?)+) in (path|query|header|cookie)")


def is_ambiguous_serialization(contract: Contract, check: str, label: str, message: str) -> bool:
    """A negative case whose only broken parts are arrays or objects written in a parameter
    style (simple, label, matrix, form...): on the wire these have no type of their own, so the
    mangled value Schemathesis sends often reads as a valid one (``.,false`` is the object
    ``{"": "false"}``; ``a`` an array of one string). Accepting it breaks nothing the document
    states; refusing it would refuse the valid value it spells."""
    found = _COMPONENT.search(message or "")
    if check != "negative_data_rejection" or found is None or " " not in label:
        return False
    method, path = label.split(" ", 1)
    operation = contract.operation_for(method, path)
    if operation is None:
        return False
    item = contract.resolve((contract.document.get("paths") or {}).get(path) or {})
    declared = [contract.resolve(p) for p in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]]
    names = re.findall(r"`([^`]+)`", found.group(1))
    for name in names:
        parameter = next((p for p in reversed(declared) if p.get("name") == name and p.get("in") == found.group(2)), None)
        schema = contract.resolve((parameter or {}).get("schema") or {})
        if parameter is None or "content" in parameter or not ({"array", "object"} & _types_of(schema)):
            return False
    return bool(names)


def _types_of(schema: Any) -> set[str]:
    declared = schema.get("type") if isinstance(schema, dict) else None
    types = {declared} if isinstance(declared, str) else set(declared or [])
    if isinstance(schema, dict) and not types:
        types |= {"array"} if "items" in schema else {"object"} if "properties" in schema else set()
    return types


def is_documented_elsewhere(contract: Contract, check: str, info: Any) -> bool:
    """An "unsupported" method that another documented operation serves at that very URL
    (DELETE /sessions/refresh is DELETE /sessions/{session_id}): not a violation."""
    if check != "unsupported_method" or not info.steps:
        return False
    step = info.steps[-1]
    path = urlsplit(step.path).path if "://" in step.path else step.path.split("?")[0]
    for candidate in contract.operations.values():
        if candidate.method == step.method.lower() and template_regex(candidate.path).fullmatch(path):
            return True
    return False


def template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def collect(event: Any, report: Report, progress: Progress | None, transport: str = "http", contract: Contract | None = None) -> None:
    """Fold one engine event into the report (checks of another transport get its prefix)."""
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        for nodes in recorder.checks.values():
            for node in nodes:
                name = node.name if transport == "http" or node.name.startswith(f"{transport}_") else f"{transport}_{node.name}"
                info = node.failure_info
                failure = info.failure if info else None
                operation = (failure.operation if failure and failure.operation else None) or recorder.label
                if failure is None or (
                    contract is not None
                    and (is_documented_elsewhere(contract, name, info) or is_expected_rejection(contract, name, operation, failure)
                         or is_unstated_credential_validity(contract, name, failure)
                         or documents_no_status(contract, name, operation)
                         or is_ambiguous_serialization(contract, name, operation, str(getattr(failure, "message", "")))
                         or is_valid_on_the_wire(contract, name, operation, sent(recorder, info)[1] if info else None))
                ):
                    report.count(operation, name, passed=True)
                    continue
                report.add_finding(
                    Finding(
                        check=name,
                        operation=operation,
                        transport=transport,
                        phase=str(event.phase.value if hasattr(event.phase, "value") else event.phase),
                        title=failure.title,
                        expected=getattr(failure, "expected", "") or BUILTIN_CHECKS.get(node.name, ""),
                        actual=getattr(failure, "actual", "") or failure.message,
                        reproduce="\n".join(step.curl for step in info.steps) or info.code_sample,
                        assumption=assumption(contract, name, operation, failure, *sent(recorder, info)),
                    )
                )
        if progress is not None:
            progress(str(event.phase.value), recorder.label, len(report.failures))
    elif isinstance(event, events.NonFatalError):
        if reported_elsewhere(event.value):
            return  # the transport keeps these as incidents: findings on their operation, or the stop
        report.errors.append(f"{event.label}: {event.info.title}: {event.info.message}".strip())
        report.errored_phases.add(str(getattr(event.phase, "value", event.phase)))
    elif isinstance(event, events.FatalError):
        report.errors.append(f"Schemathesis stopped: {event.exception}")
    elif isinstance(event, events.PhaseFinished) and event.phase.name.value in ("examples", "coverage", "fuzzing", "stateful"):
        name = event.phase.name.value
        if event.phase.skip_reason is not None and event.status.value == "skip":
            if event.phase.skip_reason.value != "disabled":  # not asked for: not worth a line
                report.phases.setdefault(name, f"skipped: {event.phase.skip_reason.value}")
        else:
            status = event.status.value
            if status == "failure" and not any(finding.phase == name for finding in report.failures):
                status = "success"  # its only failures were documented exceptions or assumptions
            if status == "error" and name not in report.errored_phases:
                status = "success"  # its only errors were the transport's: incidents, or requests not sent
            if status == "interrupted" and not report.session_lost and not http_transport.current().stopped:
                status = "success"  # stopped at the run's time limit (the summary notes the limit)
            report.phases[name] = status


def reported_elsewhere(error: BaseException | None) -> bool:
    """An error reported elsewhere: one the transport raised on purpose (no answer, too large,
    not sent), alone or as every one of the errors a run gathered into a group, or Hypothesis'
    "flaky" verdict on a case whose own error Schemathesis reports by itself (`UnexpectedError`)."""
    if isinstance(error, BaseExceptionGroup):
        return all(reported_elsewhere(inner) for inner in error.exceptions)
    return isinstance(error, (NoAnswer, ResponseTooLarge, TargetStopped, UnexpectedError))


def sent(recorder: Any, info: Any) -> tuple[str, Any, int | None, Any]:
    """The method, the case, and the answer's status and JSON body (`NO_BODY` when it has none)
    of the request a failure was found on."""
    if not info.steps:
        return "", None, None, NO_BODY
    step = info.steps[-1]
    node = recorder.cases.get(step.case_id)
    response = getattr(recorder.interactions.get(step.case_id), "response", None)
    try:
        body = json.loads(response.content) if response is not None and response.content else NO_BODY
    except ValueError:
        body = NO_BODY
    return step.method, getattr(node, "value", None), getattr(response, "status_code", None), body


def is_violation(failure: Any) -> bool:
    return isinstance(failure, Violation)
