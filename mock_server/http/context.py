"""What the pipeline's steps and the actions share: the API's services and one request's context.

`Services` is built once per API: the runtime's store, rate limiter, authenticator, event bus and
stats, seen through the interfaces the pipeline depends on (so a shared store or limiter for
several replicas can stand in), plus the schema compiler, the shaper and the error envelope.
`Context` carries one request through the steps: what the earlier steps found (principal,
parameters, body, preference) and the headers the reply will carry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_server.http import docs
from mock_server.http.errors import ErrorFormat
from mock_server.http.examples import ExampleSource
from mock_server.http.exchange import Request
from mock_server.http.scenario import Preference
from mock_server.http.shaping import Shaper
from mock_server.http.validation import SchemaCompiler

if TYPE_CHECKING:
    from mock_server.auth.interfaces import AuthService
    from mock_server.events import EventBus
    from mock_server.http.plan import OperationPlan
    from mock_server.http.responses import Responder
    from mock_server.http.steps.credentials import PrincipalCache
    from mock_server.state.interfaces import RateLimits, RecordStore
    from mock_server.state.stats import Stats


class Services:
    """What every operation of one API shares (built once per runtime)."""

    def __init__(self, runtime: Any) -> None:
        from mock_server.http.actions.listing import Selections
        from mock_server.http.steps.credentials import PrincipalCache

        self.runtime = runtime
        self.document: dict[str, Any] = runtime.document
        self.compiler = SchemaCompiler(runtime.document)
        self.shaper = Shaper(runtime.document, runtime.generator, self.compiler)
        self.examples = ExampleSource(runtime.document, runtime.settings.seed, runtime.generator)
        self.errors = ErrorFormat((runtime.document.get("x-apitwin") or {}).get("errors"))
        self.rng = random.Random(runtime.settings.seed)
        self.principals: PrincipalCache = PrincipalCache()
        self.selections = Selections()
        self.store: RecordStore = runtime.store
        self.limiter: RateLimits = runtime.limiter
        self.events: EventBus = runtime.events
        self.stats: Stats = runtime.stats
        self.generator: Any = runtime.generator
        self.settings: Any = runtime.settings
        # where the contract is served as JSON, for a ReDoc page (an ``x-apitwin-docs: openapi``
        # operation's path, else the mock's own)
        self.spec_path: str = next((op.path for op in runtime.operations.values()
                                    if op.extension("x-apitwin-docs") in ("openapi", "spec")), docs.VIEW_PATH)

    @property
    def authenticator(self) -> AuthService:
        """Looked up each time: resetting the mock may build a new one."""
        return self.runtime.authenticator


@dataclass
class Context:
    """One request's values as the steps work through them."""

    plan: OperationPlan
    services: Services
    replies: Responder
    request: Request
    validator: Any = None                     # the operation's RequestValidator
    headers: dict[str, str] = field(default_factory=dict)
    principal: Any = None
    auth_error: Exception | None = None
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    preference: Preference = field(default_factory=Preference)
    published: list[str] = field(default_factory=list)

    def meta(self) -> dict[str, Any]:
        """What an event says about the request that caused it."""
        return {
            "operation_id": self.plan.operation_id,
            "user_id": getattr(self.principal, "user_id", None),
            "path_params": dict(self.request.path_params),
        }
