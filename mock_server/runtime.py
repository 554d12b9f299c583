"""Everything one API's mock holds at run time, built once and passed explicitly.

`ApiRuntime` is the single object the HTTP app, the control endpoints and the other transports
(WebSocket, GraphQL, webhooks) share: the contract as written and the OpenAPI 3.0 view Connexion
reads, the settings of this run, the state, the data generator, the authenticator, the rate
limiter, the event bus, the live stats and the request journal. Nothing in the mock is a module
global; two runtimes in one process (one per API) never see each other's state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_server.contracts.discriminators import express_discriminators
from mock_server.contracts.downgrade import downgrade
from mock_server.contracts.refs import refuse_remote_refs
from mock_server.events import EventBus
from mock_server.http.journal import Journal
from mock_server.contracts.operations import Operation, collect_operations
from mock_server.settings import MockSettings
from mock_server.state.stats import Stats
from mock_server.state.store import Store


@dataclass
class ApiRuntime:
    name: str
    document: dict[str, Any]          # the contract (OpenAPI 3.0 or 3.1), discriminators spelled out
    view: dict[str, Any]              # its OpenAPI 3.0 view, for Connexion
    settings: MockSettings
    store: Store
    generator: Any                    # mock_server.datagen.DataGenerator
    authenticator: Any                # mock_server.auth.Authenticator
    limiter: Any                      # mock_server.state.ratelimit.RateLimiter
    events: EventBus
    stats: Stats
    journal: Journal
    operations: dict[str, Operation]  # by operationId
    spec_path: Path | None = None
    api: Any = None                   # mock_server.contracts.bundle.Api when known
    fixtures: dict[str, list[dict]] = field(default_factory=dict)
    #: the contract as written, as `/openapi.json` serves it, when `document` differs from it (JSON
    #: text, not a second tree of objects: a vendor-sized contract must stay small in memory)
    written_json: bytes | None = None

    @property
    def declarations(self) -> dict[str, Any]:
        """The contract's root ``x-apitwin`` block (empty for a plain user spec)."""
        return self.document.get("x-apitwin") or {}

    @property
    def port(self) -> int | None:
        return self.settings.port or self.declarations.get("port")

    @classmethod
    def build(cls, api: Any, settings: MockSettings) -> ApiRuntime:
        """Build the runtime for a bundled/located API (a `bundle.Api`) under `settings`."""
        from mock_server.contracts.loader import load_document

        if api.openapi is None:
            if api.asyncapi is None:
                raise ValueError(f"{api.name}: no openapi.yaml or asyncapi.yaml to serve")
            return cls.from_document(http_side_of(load_document(api.asyncapi)), settings, name=api.name, api=api)
        document = load_document(api.openapi)
        return cls.from_document(document, settings, name=api.name, spec_path=Path(api.openapi), api=api)

    @classmethod
    def from_document(
        cls,
        document: dict[str, Any],
        settings: MockSettings,
        *,
        name: str = "api",
        spec_path: Path | None = None,
        api: Any = None,
        generator: Any = None,
        authenticator: Any = None,
        limiter: Any = None,
        fixtures: dict[str, list[dict]] | None = None,
    ) -> ApiRuntime:
        """Build from a loaded document; the keyword arguments replace parts (unit tests)."""
        refuse_remote_refs(document, spec_path or name)
        written = document
        # validation, generation and routing read one meaning of `discriminator`: spelled in JSON Schema
        document = express_discriminators(document)
        view = downgrade(written, source=str(spec_path) if spec_path else name)
        declarations = document.get("x-apitwin") or {}
        store = Store(settings.state_file)
        if fixtures is None:
            from mock_server.fixtures import load_fixtures

            fixtures = load_fixtures(name) if api is not None else {}
        if store.is_empty():
            store.reset(fixtures)
        if generator is None:
            from mock_server.datagen import DataGenerator

            generator = DataGenerator(seed=settings.seed)
        if authenticator is None:
            from mock_server.auth import Authenticator

            authenticator = Authenticator(document, store, seed=settings.seed)
        operations = collect_operations(document)
        if limiter is None:
            from mock_server.state.ratelimit import RateLimiter

            limiter = RateLimiter.from_document(document, enabled=settings.rate_limits)
        max_connections = settings.max_connections or _declared_max_connections(api) or 10000
        runtime = cls(
            name=name,
            document=document,
            view=view,
            settings=settings,
            store=store,
            generator=generator,
            authenticator=authenticator,
            limiter=limiter,
            events=EventBus(),
            stats=Stats(max_connections=max_connections, host=settings.host, port=settings.port or declarations.get("port") or 0),
            journal=Journal(),
            operations=operations,
            spec_path=spec_path,
            api=api,
            fixtures=fixtures,
            written_json=json.dumps(written, ensure_ascii=False, default=str).encode() if written is not document else None,
        )
        return runtime

    def reset(self) -> None:
        """Back to the state at start: the fixtures, the demo accounts, an empty journal."""
        self.store.reset(self.fixtures)
        reset_auth = getattr(self.authenticator, "reset", None)
        if callable(reset_auth):
            reset_auth()
        else:  # an authenticator without reset(): rebuild it, which seeds the demo accounts again
            self.authenticator = type(self.authenticator)(self.document, self.store, seed=self.settings.seed)
        reset_limits = getattr(self.limiter, "reset", None)
        if callable(reset_limits):
            reset_limits()
        self.journal.clear()

    def close(self) -> None:
        self.store.close()


def http_side_of(asyncapi: dict[str, Any]) -> dict[str, Any]:
    """The HTTP side of an API that has only an AsyncAPI contract: no operations, its title and
    version, and its root ``x-apitwin`` (port, error envelope). The WebSocket side is the API."""
    info = asyncapi.get("info") if isinstance(asyncapi.get("info"), dict) else {}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": str(info.get("title") or "AsyncAPI"), "version": str(info.get("version") or "0")},
        "paths": {},
    }
    if isinstance(asyncapi.get("x-apitwin"), dict):
        document["x-apitwin"] = {k: v for k, v in asyncapi["x-apitwin"].items() if k in ("port", "errors", "docs")}
    schemes = (asyncapi.get("components") or {}).get("securitySchemes")
    if isinstance(schemes, dict):  # what the handshake takes, as OpenAPI names it (the start-up table shows it)
        document["components"] = {"securitySchemes": {
            name: {**scheme, "type": "apiKey"} if scheme.get("type") == "httpApiKey" else scheme
            for name, scheme in schemes.items() if isinstance(scheme, dict)}}
    return document


def _declared_max_connections(api: Any) -> int | None:
    """The WebSocket capacity the AsyncAPI contract declares (``x-apitwin-max-connections``)."""
    asyncapi = getattr(api, "asyncapi", None)
    if not asyncapi:
        return None
    try:
        from mock_server.contracts.loader import load_document

        document = load_document(asyncapi)
    except Exception:  # the WebSocket side reports its own contract errors
        return None
    for channel in (document.get("channels") or {}).values():
        if isinstance(channel, dict) and isinstance(channel.get("x-apitwin-max-connections"), int):
            return channel["x-apitwin-max-connections"]
    return None
