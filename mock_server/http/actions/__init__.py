"""The work an operation does, by kind (an `OperationPlan.action`): one module per kind, one
line here per action. An action takes the request's `Context` and returns a `Reply`."""

from __future__ import annotations

from collections.abc import Callable

from mock_server.http.actions import auth_flow, batch, crud, docs, documented, listing, live_stats
from mock_server.http.context import Context
from mock_server.http.exchange import Reply

Action = Callable[[Context], Reply]

ACTIONS: dict[str, Action] = {
    "get": crud.get,
    "create": crud.create,
    "replace": crud.update,
    "patch": crud.update,
    "delete": crud.delete,
    "list": listing.list_records,
    "batch-create": batch.batch_create,
    "batch-delete": batch.batch_delete,
    "auth": auth_flow.auth_flow,
    "stats": live_stats.live_stats,
    "docs": docs.docs_page,
    "documented": documented.documented,
}
