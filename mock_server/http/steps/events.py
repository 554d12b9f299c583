"""Step 7, events: the operation's ``x-apitwin-events`` published after a successful answer
(store actions publish ``<resource>.created|updated|deleted`` themselves, see `publish`)."""

from __future__ import annotations

from typing import Any

from mock_server.events import Event
from mock_server.http.context import Context
from mock_server.http.exchange import Reply


def events(ctx: Context, reply: Reply) -> None:
    if reply.status >= 400:
        return
    for name in ctx.plan.events:
        if name not in ctx.published:
            data = reply.body if isinstance(reply.body, dict) else {"body": reply.body}
            ctx.services.events.publish(Event(name, data, ctx.meta()))


def publish(ctx: Context, name: str, data: Any, collection: str) -> None:
    """One event about a record of `collection`, remembered so the events step does not repeat it."""
    meta = ctx.meta()
    meta["collection"] = collection
    ctx.services.events.publish(Event(name, data if isinstance(data, dict) else {"value": data}, meta))
    ctx.published.append(name)
