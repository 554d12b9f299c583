"""Step 6, action: the work the plan names (`mock_server.http.actions.ACTIONS`). A client's
``Prefer`` example or ``dynamic=true`` on a store action answers the documented response instead."""

from __future__ import annotations

from mock_server.http.actions import ACTIONS
from mock_server.http.context import Context
from mock_server.http.exchange import Reply


def action(ctx: Context) -> Reply:
    kind = ctx.plan.action
    preference = ctx.preference
    if ctx.plan.store_backed and (preference.example is not None or preference.dynamic):
        kind = "documented"
    with ctx.services.store.write_group():  # one synced commit per request, however many records
        return ACTIONS[kind](ctx)
