"""Step 5, scenario: the client's ``Prefer`` header (a documented status, a named example,
generated data) or the run's ``--chaos``, which answers a documented error instead."""

from __future__ import annotations

from mock_server.http.context import Context
from mock_server.http.exchange import Reply
from mock_server.http.scenario import Preference, chaos_status, parse_prefer


def scenario(ctx: Context) -> Reply | None:
    preference = parse_prefer(ctx.request.headers.get("prefer"))
    chaos = chaos_status(list(ctx.plan.documented_statuses), ctx.services.settings.chaos, ctx.services.rng)
    if chaos is not None:
        preference = Preference(code=chaos)
    ctx.preference = preference
    if preference.code is not None and preference.code != ctx.plan.success_status:
        return ctx.replies.documented(preference.code, preference, ctx.headers, ctx.request.headers.get("accept"))
    return None
