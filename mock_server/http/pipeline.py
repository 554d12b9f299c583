"""One pipeline per operation: the operation's plan, applied to a request in named steps.

Every operation of every API is served by an `OperationPipeline` built once at start-up: its
`OperationPlan` (the declarations, read once), its request validator and its `Responder`. A
request goes through the same steps everywhere, each in its own module under ``steps/``:

1. ``credentials``: who the caller is (the operation's ``security``);
2. ``rate_limit``: the caller's allowance (X-RateLimit-*, 429);
3. ``access``: a credential problem (401), roles and permissions (403);
4. ``validation``: parameters, content type and body against the contract;
   ``negotiation``: the client's ``Accept`` takes one of the answer's media types (else 406);
5. ``scenario``: a client's ``Prefer`` or the run's chaos, which may answer at once;
6. ``action``: the work of the plan's kind (``actions/``: CRUD, listing, batches, auth flows,
   live stats, docs, the documented response);
7. ``events``: ``x-apitwin-events`` published after a success.

Errors at any step are answered in the API's envelope by the `Responder`, which also shapes
every reply by its documented schema and sets the headers it documents as required.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_server.contracts.operations import Operation
from mock_server.http import request_id
from mock_server.http.actions import ACTIONS
from mock_server.http.context import Context, Services
from mock_server.http.errors import ErrorFormat, MockError
from mock_server.http.exchange import Reply, Request
from mock_server.http.plan import OperationPlan, build_plan
from mock_server.http.responses import Responder
from mock_server.http.steps.access import access
from mock_server.http.steps.action import action
from mock_server.http.steps.credentials import credentials
from mock_server.http.steps.events import events
from mock_server.http.steps.negotiation import negotiation
from mock_server.http.steps.rate_limit import rate_limit
from mock_server.http.steps.scenario import scenario
from mock_server.http.steps.validation import validation
from mock_server.http.validation import RequestValidator

Step = Callable[[Context], "Reply | None"]

#: the steps before the action, in order; a step answers early by returning a reply
BEFORE_ACTION: tuple[Step, ...] = (credentials, rate_limit, access, validation, negotiation, scenario)


class OperationPipeline:
    def __init__(self, operation: Operation, services: Services) -> None:
        self.operation = operation
        self.services = services
        self.plan: OperationPlan = build_plan(operation, services.document)
        if self.plan.action not in ACTIONS:
            raise ValueError(f"{operation.operation_id}: no action of kind {self.plan.action!r}")
        self.validator = RequestValidator(operation, services.compiler)
        own = self.plan.errors
        self.replies = Responder(operation, services, ErrorFormat(own, base=services.errors) if own else services.errors)

    def context(self, request: Request) -> Context:
        return Context(self.plan, self.services, self.replies, request, validator=self.validator)

    def handle(self, request: Request) -> Reply:
        """The answer, written in the documented media type the client's ``Accept`` prefers."""
        return self.replies.negotiated(self.answer(request), request.headers.get("accept"))

    def answer(self, request: Request) -> Reply:
        ctx = self.context(request)
        try:
            reply = self._run(ctx)
        except MockError as error:
            return self.replies.error(error, ctx.headers)
        except Exception:  # a bug, not the client's mistake: the API's own 500, and a log line with its id
            error = request_id.fault(request.headers, f"in {self.plan.operation_id} ({request.method} {request.path})")
            self.services.stats.error()
            return self.replies.error(error, ctx.headers)
        return self.replies.finished(reply)

    def _run(self, ctx: Context) -> Reply:
        for step in BEFORE_ACTION:
            early = step(ctx)
            if early is not None:
                return early
        reply = action(ctx)
        events(ctx, reply)
        return reply

    def refusal(self, request: Request) -> Reply | None:
        """The answer to a request that breaks the contract (parameters, content type, body),
        or None: for transports that do the rest of the work themselves (GraphQL)."""
        try:
            validation(self.context(request))
        except MockError as error:
            return self.replies.error(error, {})
        return None

    def error_reply(self, error: MockError, headers: dict[str, str] | None = None) -> Reply:
        return self.replies.error(error, headers)
