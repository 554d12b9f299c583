"""Step 4b, content negotiation: the client's ``Accept`` must take one of the media types the
answer is documented in (that of the ``Prefer``'d status, else the success response), or the
request is refused with 406 before any work is done. Which type is written is decided when the
reply is finished (`Responder.negotiated`)."""

from __future__ import annotations

from mock_server.http.context import Context
from mock_server.http.errors import MockError
from mock_server.http.negotiation import choose
from mock_server.http.scenario import parse_prefer


def negotiation(ctx: Context) -> None:
    accept = ctx.request.headers.get("accept")
    if not accept:
        return
    status = parse_prefer(ctx.request.headers.get("prefer")).code or ctx.plan.success_status
    offered = list(ctx.replies.operation.response_content(status))
    if offered and choose(accept, offered) is None:
        raise MockError(
            406,
            f"None of the media types this answer is documented in ({', '.join(offered)}) is acceptable (Accept: {accept[:200]})",
        )
