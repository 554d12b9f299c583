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
from conformance.websocket.connection import Connection, Violated

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext

#: body fields that address the event's recipient: set to the logged-in user so it reaches us
RECIPIENT = re.compile(r"(^|_)(receiver|recipient|target|to)(_user)?(_id)?$")


async def rest_event(run: WsContext, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
    http = next(
        (
            candidate
            for candidate in run.target.contract.operations.values()
            if set(candidate.extension("events") or []) & set(op.events) and "{" not in candidate.path
        ),
        None,
    )
    if http is None or not op.messages:
        return
    body = example_body(run, http)
    if body is None:
        return
    connection = await run.connection(opened, channel, f"rest event {op.id}")
    await asyncio.sleep(0.1)
    user = run.user_id()
    if isinstance(body, dict) and user:
        body = {key: (user if RECIPIENT.search(key) and isinstance(value, str) else value) for key, value in body.items()}
    url = run.target.base_url + http.path
    connection.transcript.append(f"# {http.method.upper()} {url} {json.dumps(body)}")
    # only the status matters: the body is never read (stream=True), so no answer can be too large
    answer = await asyncio.to_thread(
        http_transport.request, http.method.upper(), url, json=body, headers=run.session.headers(), timeout=run.wait, stream=True
    )
    answer.close()
    connection.transcript.append(f"# -> {answer.status_code}")
    if not 200 <= answer.status_code < 300:
        return
    got = await connection.expect(lambda f: any(run.contract.valid(m, f) for m in op.messages), run.wait)
    if got is None:
        raise Violated(
            f"{http.id} did not produce {', '.join(m.name for m in op.messages)}",
            f"{', '.join(m.name for m in op.messages)} after {http.method.upper()} {http.path} ({', '.join(op.events)})",
            "nothing",
        )


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
