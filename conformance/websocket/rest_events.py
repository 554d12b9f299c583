"""`ws_rest_events`: a REST call whose operation declares `x-apitwin-events` produces the
WebSocket message whose operation lists the same events, on a connection of the same user.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from conformance.http import transport as http_transport
from conformance.websocket.asyncapi import Channel, WsOperation
from conformance.websocket.connection import Connection, NotTested, Violated

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext

#: body fields that address the event's recipient: set to the logged-in user so it reaches us
RECIPIENT = re.compile(r"(^|_)(receiver|recipient|target|to)(_user)?(_id)?$")
#: the most of the REST answer read
MAX_ANSWER = 1024 * 1024
#: where a written record keeps its identity
ID_KEYS = ("id", "message_id", "uuid", "_id")


async def trigger(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> tuple[Any, Any, str] | None:
    """Make the REST call that emits `op`'s event with a connection open: (the REST answer's
    body, the event frame or None, the call's label); None when there is nothing to call.
    A refused call (`NotTested`) tests nothing: no event is due after it."""
    http = next(
        (
            candidate
            for candidate in run.target.contract.operations.values()
            if set(candidate.extension("events") or []) & set(op.events) and "{" not in candidate.path
        ),
        None,
    )
    if http is None or not op.messages:
        return None
    body = example_body(run, http)
    if body is None:
        return None
    connection = await run.connection(opened, channel, f"rest event {op.id}")
    await asyncio.sleep(0.1)
    user = run.user_id()
    if isinstance(body, dict) and user:
        body = {key: (user if RECIPIENT.search(key) and isinstance(value, str) else value) for key, value in body.items()}
    url = run.target.base_url + http.path
    connection.transcript.append(f"# {http.method.upper()} {url} {json.dumps(body)}")
    answer = await asyncio.to_thread(
        http_transport.request, http.method.upper(), url, json=body, headers=run.session.headers(), timeout=run.wait, stream=True
    )
    try:
        raw = answer.raw.read(MAX_ANSWER, decode_content=True) if 200 <= answer.status_code < 300 else b""
    finally:
        answer.close()
    connection.transcript.append(f"# -> {answer.status_code}")
    if not 200 <= answer.status_code < 300:
        raise NotTested(f"{http.method.upper()} {http.path}, the call that emits it, was answered {answer.status_code}")
    try:
        written = json.loads(raw or b"null")
    except ValueError:
        written = None
    got = await connection.expect(lambda f: any(run.contract.valid(m, f) for m in op.messages), run.wait)
    return written, got, f"{http.method.upper()} {http.path}"


async def rest_event(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    outcome = await trigger(run, channel, op, opened)
    if outcome is not None and outcome[1] is None:
        raise Violated(
            f"{outcome[2]} did not produce {', '.join(m.name for m in op.messages)}",
            f"{', '.join(m.name for m in op.messages)} after {outcome[2]} ({', '.join(op.events)})",
            "nothing",
        )


async def event_record(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    """`ws_event_record`: the event carries the record the REST call just wrote (its id and
    the text values the call stored), not a stale or made-up one."""
    outcome = await trigger(run, channel, op, opened)
    if outcome is None or outcome[1] is None or not isinstance(outcome[0], dict):
        return
    written, frame, call = outcome
    identity = next((written[key] for key in ID_KEYS if isinstance(written.get(key), (str, int)) and not isinstance(written.get(key), bool)), None)
    shown = json.dumps(frame)
    problems = [f"the id {json.dumps(identity)}"] if identity is not None and json.dumps(identity) not in shown else []
    # the fields the event itself carries (its schema chooses which) hold the written values
    carried = leaves(frame)
    for key, value in written.items():
        if isinstance(value, str) and key not in ID_KEYS and not key.endswith("_at") and key in carried and value not in carried[key]:
            problems.append(f"{key} = {json.dumps(value)}")
    if problems:
        raise Violated(
            f"the event after {call} does not carry the record just written",
            f"the frame to hold {', '.join(problems[:4])} (from the {call} answer)",
            shown[:300],
        )


def leaves(value: Any, depth: int = 0, found: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    """Every key in a frame with the scalar values it has anywhere (nested up to a depth)."""
    found = {} if found is None else found
    if depth > 6:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                leaves(item, depth + 1, found)
            else:
                found.setdefault(key, []).append(item)
    elif isinstance(value, list):
        for item in value:
            leaves(item, depth + 1, found)
    return found


def example_body(run: WsContext, operation: Any) -> Any:
    """The operation's first JSON request example, or None."""
    contract = run.target.contract
    request = contract.resolve(operation.definition.get("requestBody") or {})
    for media_type, media in (request.get("content") or {}).items():
        if "json" not in media_type or not isinstance(media, dict):
            continue
        for example in (media.get("examples") or {}).values():
            example = contract.resolve(example)
            if isinstance(example, dict) and "value" in example:
                return example["value"]
        if "example" in media:
            return media["example"]
    return None
