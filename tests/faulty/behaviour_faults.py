"""Faults in behaviour a shape never shows: lists that ignore what they are asked, writes that
do not persist, tokens that outlive their logout. Each is caught by one behaviour check (see
`conformance.behaviour`); like every fault here, each reads only the contract.
"""

from __future__ import annotations

import json

from tests.faulty.faults import FaultState, HttpExchange, fault, frame_types, message_names, operations_where


def _drop_params(*declarations: str):  # noqa: ANN202
    """Drop the query parameters the operation's declarations name (the server ignores them)."""

    def drop(state: FaultState, exchange: HttpExchange) -> None:
        operation = exchange.operation
        if operation is None or exchange.method != "GET":
            return
        names: set[str] = set()
        for declaration in declarations:
            value = operation.extension(declaration)
            if declaration == "sort" and isinstance(value, dict):
                names |= {value.get("param", "sort"), value.get("order_param") or ""}
            elif declaration == "filter" and isinstance(value, dict):
                names.add(value.get("param", "filter"))
            elif declaration == "filters" and isinstance(value, dict):
                names |= set(value)
            elif declaration == "fields" and isinstance(value, str):
                names.add(value)
        exchange.query = {key: item for key, item in exchange.query.items() if key not in names}

    return drop


fault("sort_ignored", "the list ignores the sort it is asked for (always the default order)", on_request=_drop_params("sort"))
fault("filter_ignored", "the list ignores its filters (returns everything)", on_request=_drop_params("filters", "filter"))
fault("fields_ignored", "the list ignores the fields projection (whole records)", on_request=_drop_params("fields"))


def _is_resource_write(exchange: HttpExchange, methods: tuple[str, ...]) -> bool:
    operation = exchange.operation
    return operation is not None and exchange.method in methods and not operation.extension("auth")


def _drop_optional_field(state: FaultState, exchange: HttpExchange) -> None:
    """A create that forgets one optional field the client sent."""
    if not _is_resource_write(exchange, ("POST",)):
        return
    try:
        body = json.loads(exchange.body or b"null")
    except ValueError:
        return
    request = state.contract.resolve(exchange.operation.definition.get("requestBody") or {})
    schema = state.contract.resolve(((request.get("content") or {}).get("application/json") or {}).get("schema") or {})
    required = set(schema.get("required") or [])
    if isinstance(body, dict):
        dropped = next((name for name in body if name not in required and name != "ttl"), None)
        if dropped is not None:
            body.pop(dropped)
            exchange.body = json.dumps(body).encode()


fault("create_drops_field", "a create stores the record without one optional field it was sent", on_request=_drop_optional_field)


def _update_as_read(state: FaultState, exchange: HttpExchange) -> None:
    if _is_resource_write(exchange, ("PUT", "PATCH")) and "{" in exchange.operation.path:
        exchange.headers["x-fault-update"] = exchange.body.decode("utf-8", "replace") or "{}"
        exchange.method = "GET"


def _answer_as_updated(state: FaultState, exchange: HttpExchange) -> None:
    sent = exchange.headers.get("x-fault-update")
    body = exchange.json()
    if sent is None or not 200 <= exchange.status < 300 or not isinstance(body, dict):
        return
    try:
        body.update(json.loads(sent))
    except ValueError:
        return
    exchange.set_json(body)


fault("update_not_persisted", "PUT/PATCH answers with the updated record but stores nothing", on_request=_update_as_read, on_response=_answer_as_updated)


def _patch_as_put(state: FaultState, exchange: HttpExchange) -> None:
    if _is_resource_write(exchange, ("PATCH",)):
        replace = state.contract.operation_for("put", exchange.operation.path)
        if replace is not None:
            exchange.method = "PUT"


fault("patch_replaces", "PATCH replaces the objects it sends instead of merging them", on_request=_patch_as_put)


def _logout_without_revoking(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    operation = exchange.operation
    if operation is None or operation.extension("auth") not in ("logout", "revoke-session"):
        return None
    status = min(int(code) for code in operation.definition.get("responses") or {} if str(code).startswith("2"))
    exchange.status = status
    exchange.response_headers = [(b"content-type", b"application/json")] if status != 204 else []
    exchange.body = b"" if status == 204 else b"{}"
    return exchange


fault("logout_keeps_token", "logout / session deletion answers success but the token keeps working", on_request=_logout_without_revoking)


def _refresh_token_of(exchange: HttpExchange) -> str | None:
    try:
        body = json.loads(exchange.body or b"null")
    except ValueError:
        return None
    return body.get("refresh_token") if isinstance(body, dict) else None


def _replay_refresh(state: FaultState, exchange: HttpExchange) -> HttpExchange | None:
    """A refresh token already used is answered as it was the first time (never rotated out)."""
    if exchange.operation is None or exchange.operation.extension("auth") != "refresh":
        return None
    token = _refresh_token_of(exchange)
    exchange.headers["x-fault-refresh"] = token or ""
    stored = state.memo.get(("refresh", token))
    if stored is None:
        return None
    exchange.status, exchange.response_headers, exchange.body = stored
    return exchange


def _remember_refresh(state: FaultState, exchange: HttpExchange) -> None:
    token = exchange.headers.get("x-fault-refresh")
    if token and 200 <= exchange.status < 300:
        state.memo[("refresh", token)] = (exchange.status, list(exchange.response_headers), exchange.body)


fault("refresh_token_reusable", "a rotated-out refresh token keeps working", on_request=_replay_refresh, on_response=_remember_refresh)


def _accept_wrong_password(state: FaultState, exchange: HttpExchange) -> None:
    """A refused login is answered with the last successful one (the password is not checked)."""
    if exchange.operation is None or exchange.operation.extension("auth") != "login":
        return
    if 200 <= exchange.status < 300:
        state.memo["login"] = (exchange.status, list(exchange.response_headers), exchange.body)
    elif exchange.status in (400, 401, 403) and "login" in state.memo:
        exchange.status, exchange.response_headers, exchange.body = state.memo["login"]


def _no_lockout(state: FaultState, exchange: HttpExchange) -> None:
    """A locked account's login is served anyway (the lock is counted but never enforced)."""
    if exchange.operation is None or exchange.operation.extension("auth") != "login":
        return
    declared = ((state.contract.auth.get("errors") or {}).get("account_locked") or {}).get("status") or 403
    if 200 <= exchange.status < 300:
        state.memo["good_login"] = (exchange.status, list(exchange.response_headers), exchange.body)
    elif exchange.status == int(declared) and "good_login" in state.memo:
        exchange.status, exchange.response_headers, exchange.body = state.memo["good_login"]


fault("no_lockout", "the account lockout is never enforced", on_response=_no_lockout)

fault("wrong_password_accepted", "a login with a wrong password succeeds once anyone has logged in", on_response=_accept_wrong_password)



def _serve_past_limit(state: FaultState, exchange: HttpExchange) -> None:
    """A 429 is turned into the last success, quota headers and all: the limit is only advertised."""
    key = ("served", exchange.method, exchange.path)
    if 200 <= exchange.status < 300:
        state.memo[key] = (exchange.status, list(exchange.response_headers), exchange.body)
    elif exchange.status == 429 and key in state.memo:
        exchange.status, exchange.response_headers, exchange.body = state.memo[key]


fault("rate_limit_not_enforced", "X-RateLimit-Remaining counts down to 0 but requests keep being served", on_response=_serve_past_limit)


# ---- WebSocket promises ----------------------------------------------------------------------
def _effect_types(state: FaultState, effect: str, key: str | None = None) -> set[str]:
    """Frame types of the messages that carry (key=None) or that deliver (key) an effect."""
    ops = operations_where(state.contract, lambda name, op: effect in (op.get("x-apitwin-effect") or {}))
    if key is None:
        return frame_types(state.contract, [n for op in ops for n in message_names(op.get("messages"))])
    return frame_types(state.contract, [op["x-apitwin-effect"][effect].get(key) for op in ops if op["x-apitwin-effect"][effect].get(key)])


def _unsubscribe_elsewhere(state: FaultState, frame: dict) -> dict | None:
    """An unsubscribe is applied to another topic than the one asked (the client stays subscribed)."""
    if frame.get("type") in _effect_types(state, "unsubscribe"):
        ops = operations_where(state.contract, lambda name, op: "unsubscribe" in (op.get("x-apitwin-effect") or {}))
        path = ops[0]["x-apitwin-effect"]["unsubscribe"]
        node = frame
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and parts[-1] in node:
            node[parts[-1]] = ["apitwin.elsewhere"] if isinstance(node[parts[-1]], list) else "apitwin.elsewhere"
    return frame


fault("ws_unsubscribe_ignored", "unsubscribing does not stop the topic's deliveries", on_client_frame=_unsubscribe_elsewhere)


def _first_subscriber_only(state: FaultState, frame: dict) -> dict | None:
    """A fan-out reaches one subscriber; the same frame to the others is dropped."""
    if frame.get("type") not in _effect_types(state, "fanout", "message"):
        return frame
    text = json.dumps(frame, sort_keys=True)
    seen = state.memo.setdefault("fanned", set())
    if text in seen:
        return None
    seen.add(text)
    return frame


fault("ws_broadcast_one_subscriber", "a broadcast reaches only one of the topic's subscribers", on_frame=_first_subscriber_only)


def _leak_direct(state: FaultState, frame: dict) -> dict | None:
    """A direct message is also sent to every other open connection, whoever's it is."""
    if frame.get("type") in _effect_types(state, "deliver", "message"):
        state.memo["leak"] = frame
    return frame


fault("ws_direct_leaks", "a direct message also reaches other users' connections", on_frame=_leak_direct)


def _stale_event(state: FaultState, frame: dict) -> dict | None:
    """A REST-triggered event carries the record of the previous call, not the one just written."""
    ops = operations_where(state.contract, lambda name, op: op.get("action") == "send" and op.get("x-apitwin-events"))
    if frame.get("type") not in frame_types(state.contract, [n for op in ops for n in message_names(op.get("messages"))]):
        return frame
    previous = state.memo.get("last_event")
    state.memo["last_event"] = frame
    return previous or frame


fault("ws_event_stale", "a REST-triggered event carries the previous record, not the one just written", on_frame=_stale_event)
