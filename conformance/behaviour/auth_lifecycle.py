"""The auth lifecycle, where the contract declares its operations (`x-apitwin-auth`):
`auth_logout_revokes`, `auth_refresh_rotation`, `auth_wrong_password`, and `auth_lockout` on an
account the probe registers itself (only where the contract has both a registration and
`x-apitwin.auth.lockout`: nobody else's account is ever locked).

Every probe logs in a second session of its own: the run's own session is never logged out,
refreshed or revoked here, so the other phases keep working.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import secrets

from mock_server.contracts.operations import collect_operations

from conformance.auth import REFRESH_KEYS, AuthFailed, AuthSession, Credentials, find_key
from conformance.behaviour.context import BehaviourRun, Inapplicable, fail
from conformance.behaviour.resources import fill, new_body, request_schema, selected
from conformance.contract import Operation

_PARAM = re.compile(r"\{([^}]+)\}")


@dataclasses.dataclass
class Second:
    """A session of the probe's own: its token, refresh token and login answer."""

    session: AuthSession
    answer: dict

    @property
    def headers(self) -> dict[str, str]:
        return self.session.headers()


def auth_operation(run: BehaviourRun, action: str, chosen: bool = False) -> Operation | None:
    """The operation for an auth action; with `chosen`, only if --include/--exclude select it."""
    found = next(run.contract.operations_with("auth", action), None)
    if chosen and found is not None and not selected(found, run.settings.include, run.settings.exclude):
        return None
    return found


def log_in(run: BehaviourRun) -> Second:
    login = auth_operation(run, "login")
    if login is None:
        raise Inapplicable("no login operation")
    credentials = dataclasses.replace(run.session.credentials, token=None, api_key=None)
    session = AuthSession(run.contract, run.target.base_url, credentials, timeout=run.timeout)
    user = session._user()
    if not user:
        raise Inapplicable("no user to log in as")
    try:
        answer = session._send(login, user)
        session._take(answer)
    except AuthFailed as exc:
        raise Inapplicable(str(exc)) from None
    return Second(session, answer)


def probe_operation(run: BehaviourRun) -> Operation | None:
    """A protected GET that needs nothing but credentials: where a token shows it still works."""
    for operation in run.contract.operations.values():
        parameters = [run.contract.resolve(p) for p in operation.definition.get("parameters") or []]
        if (
            operation.method == "get"
            and operation.is_protected
            and not operation.extension("auth")
            and "{" not in operation.path
            and "101" not in {str(code) for code in operation.definition.get("responses") or {}}
            and not any(p.get("required") for p in parameters)
        ):
            return operation
    return None


def token_works(run: BehaviourRun, probe: Operation, headers: dict[str, str]) -> int:
    answer = run.send(probe.method, probe.path, credentials=headers)
    if answer.status == 429:
        raise Inapplicable("rate limited")
    return answer.status


# ---- auth_logout_revokes -------------------------------------------------------------------
def logout_revokes(run: BehaviourRun, operation: Operation) -> None:
    second = log_in(run)
    headers = second.headers
    probe = probe_operation(run)
    if probe is not None and token_works(run, probe, headers) == 401:
        raise Inapplicable("the fresh token does not work to begin with")
    values: dict[str, Any] = {}
    for name in _PARAM.findall(operation.path):
        found = find_key(second.answer, (name, "session_id", "sid")) or (second.answer.get("id") if isinstance(second.answer.get("id"), str) else None)
        if not found:
            raise Inapplicable(f"no {name} in the login answer")
        values[name] = found
    body = {"refresh_token": second.session.refresh_token} if second.session.refresh_token and operation.definition.get("requestBody") else None
    answer = run.send(operation.method, fill(operation.path, values), body=body, credentials=headers)
    if not answer.ok:
        raise Inapplicable(f"{operation.label} answered {answer.brief()}")
    if probe is not None:
        after = token_works(run, probe, headers)
        where = probe.label
    else:  # the revocation itself is the only protected call: the same call again
        after = run.send(operation.method, fill(operation.path, values), body=body, credentials=headers).status
        where = operation.label
    if after != 401:
        raise fail(
            f"the token still works after {operation.label}",
            f"401 from {where} with the token just revoked",
            str(after),
        )


# ---- auth_refresh_rotation -----------------------------------------------------------------
def refresh(run: BehaviourRun, operation: Operation, second: Second, token: str) -> tuple[int, Any]:
    answer = second.session.request(operation, {"refresh_token": token})
    run.trail.append(f"# {operation.label} with a refresh token -> {answer.status_code}")
    if answer.status_code == 429:
        raise Inapplicable("rate limited")
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, None


def refresh_rotation(run: BehaviourRun, operation: Operation) -> None:
    second = log_in(run)
    old = second.session.refresh_token
    if not old:
        raise Inapplicable("the login gives no refresh token")
    status, data = refresh(run, operation, second, old)
    if not 200 <= status < 300:
        raise fail(f"{operation.label} refuses a fresh refresh token", "a 2xx answer with a new access token", str(status))
    probe = probe_operation(run)
    try:
        second.session._take(data)
    except AuthFailed:
        raise fail(f"{operation.label} answers without an access token", "an access token", str(data)[:200]) from None
    if probe is not None and token_works(run, probe, second.headers) == 401:
        raise fail("the refreshed access token does not work", f"a 2xx from {probe.label}", "401")
    if not run.contract.auth.get("rotate_refresh"):
        return
    if find_key(data, REFRESH_KEYS) in (None, old):
        raise fail(f"{operation.label} does not rotate the refresh token", "a new refresh token (rotate_refresh)", "the same one, or none")
    status, _ = refresh(run, operation, second, old)
    if 200 <= status < 300:
        raise fail("the old refresh token still works after rotation", f"a 4xx from {operation.label} for the replaced token", str(status))


# ---- auth_wrong_password -------------------------------------------------------------------
def expected_refusal(run: BehaviourRun, operation: Operation) -> set[int]:
    declared = ((run.contract.auth.get("errors") or {}).get("invalid_credentials") or {}).get("status")
    if declared:
        return {int(declared)}
    documented = {int(code) for code in operation.definition.get("responses") or {} if str(code).isdigit()}
    return {401} & documented or {code for code in documented if 400 <= code < 500 and code != 429} or {401}


def wrong_password(run: BehaviourRun, operation: Operation) -> None:
    """The right password gets in (so the user exists) and a wrong one, right after, does not."""
    log_in(run)
    credentials = dataclasses.replace(run.session.credentials, token=None, api_key=None)
    session = AuthSession(run.contract, run.target.base_url, credentials, timeout=run.timeout)
    user = session._user()
    if not user or not user.get("password"):
        raise Inapplicable("no user to try")
    answer = session.request(operation, {**user, "password": str(user["password"]) + "-wrong"})
    run.trail.append(f"# {operation.label} as {user.get('username')} with a wrong password -> {answer.status_code}")
    try:
        log_in(run)  # a good login right after, so the failed attempt never adds up to a lockout
    except Inapplicable:
        pass
    if answer.status_code == 429:
        raise Inapplicable("rate limited")
    expected = expected_refusal(run, operation)
    if answer.status_code not in expected:
        raise fail(
            "a wrong password is not refused as documented",
            f"{' or '.join(str(code) for code in sorted(expected))} without a token",
            f"{answer.status_code} {answer.text[:200]}",
        )
    try:
        session._take(answer.json())
    except (AuthFailed, ValueError):
        return
    raise fail("a wrong password gets a token", "no access token", answer.text[:200])


# ---- auth_lockout --------------------------------------------------------------------------
#: the most wrong passwords the probe sends to lock its own account
MAX_ATTEMPTS = 20


def lockout(run: BehaviourRun, register: Operation, login: Operation) -> None:
    attempts = int((run.contract.auth.get("lockout") or {}).get("attempts") or 0)
    if not 0 < attempts <= MAX_ATTEMPTS:
        raise Inapplicable("no lockout declared")
    bound = collect_operations(run.contract.document)[register.id]
    body = new_body(run.contract, bound, secrets.randbelow(10**6))
    if not isinstance(body, dict) or not isinstance(body.get("password"), str):
        raise Inapplicable("no password in the registration")
    media = (request_schema(run.contract, bound) or ("application/json", {}))[0]
    answer = run.send(register.method, register.path, body=body, form="form" in media, authenticated=False)
    if not answer.ok:
        raise Inapplicable(f"registration answered {answer.brief()}")
    name = str(body.get("username") or body.get("email"))
    session = AuthSession(run.contract, run.target.base_url, Credentials(username=name, password=body["password"]), timeout=run.timeout)
    user = session._user() or {}

    def attempt(password: str) -> int:
        status = session.request(login, {**user, "password": password}).status_code
        run.trail.append(f"# {login.label} as {name} ({'right' if password == body['password'] else 'wrong'} password) -> {status}")
        if status == 429:
            raise Inapplicable("rate limited")
        return status

    if not 200 <= attempt(body["password"]) < 300:
        raise Inapplicable("the new account cannot log in")
    for _ in range(attempts):
        attempt(body["password"] + "-wrong")
    status = attempt(body["password"])
    declared = ((run.contract.auth.get("errors") or {}).get("account_locked") or {}).get("status")
    if 200 <= status < 300 or (declared and status != int(declared)):
        raise fail(
            f"the account is not locked after {attempts} wrong passwords",
            f"{declared or 'a 4xx'} for the right password while locked (x-apitwin.auth.lockout)",
            str(status),
        )


def run_all(run: BehaviourRun) -> None:
    login = auth_operation(run, "login", chosen=True)
    if login is not None:
        run.perform("auth_wrong_password", login, lambda: wrong_password(run, login))
    for action in ("logout", "revoke-session"):
        operation = auth_operation(run, action, chosen=True)
        if operation is not None:
            run.perform("auth_logout_revokes", operation, lambda operation=operation: logout_revokes(run, operation))
    operation = auth_operation(run, "refresh", chosen=True)
    if operation is not None:
        run.perform("auth_refresh_rotation", operation, lambda: refresh_rotation(run, operation))
    register = auth_operation(run, "register", chosen=True)
    if register is not None and login is not None and run.contract.auth.get("lockout"):
        run.perform("auth_lockout", register, lambda: lockout(run, register, login))
