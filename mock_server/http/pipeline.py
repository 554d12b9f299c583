"""One generic handler per operation: the contract's declarations, applied to the store.

Every operation of every API is served by an `OperationHandler` built once at start-up from the
operation's declarations. A request goes through the same steps everywhere:

1. credentials (the operation's ``security``), then the rate limit of the caller;
2. the request against the contract (parameters, content type, body);
3. a client's scenario (``Prefer``) or the run's chaos;
4. the work: an auth flow (``x-apitwin-auth``), a resource action on the store
   (``x-apitwin-resource`` or inferred), live stats (``x-apitwin-stats``), or the documented
   response (its example, else data generated from its schema);
5. events published (``<resource>.created|updated|deleted`` and ``x-apitwin-events``).

Everything returned is shaped by the documented response schema.
"""

from __future__ import annotations

import copy
import logging
import random
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from mock_server.http.errors import ErrorFormat, MockError
from mock_server.events import Event
from mock_server.http.exchange import Reply, Request
from mock_server.contracts.operations import Operation
from mock_server.state.pagination import paginate, put_path
from mock_server.state.querying import apply_filters, declared_filters, parse_filter, project, requested_fields, sort_records
from mock_server.state.resources import Resource
from mock_server.http.scenario import ExampleNotFound, Preference, chaos_status, example_of, parse_prefer
from mock_server.contracts.schemas import deref
from mock_server.http.shaping import Shaper, merge_all_of
from mock_server.http.validation import RequestValidator, SchemaCompiler

logger = logging.getLogger("apitwin.mock")

TIMESTAMP_FIELDS = ("created_at", "updated_at")
MAX_TTL = 100 * 365 * 24 * 3600.0  # a longer time-to-live is "never" for a mock
_CREDENTIAL_NAME = re.compile(r"(token|key|secret|password|code)$", re.IGNORECASE)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Services:
    """What every handler of one API shares (built once per runtime)."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.document = runtime.document
        self.compiler = SchemaCompiler(runtime.document)
        self.shaper = Shaper(runtime.document, runtime.generator, self.compiler)
        self.errors = ErrorFormat((runtime.document.get("x-apitwin") or {}).get("errors"))
        self.rng = random.Random(runtime.settings.seed)
        self.principals = PrincipalCache(runtime)


class PrincipalCache:
    """Who a credential is, remembered briefly: verifying a JWT is the costliest step of a
    request. Entries end with the token's own expiry, after a few seconds at most, and all at
    once whenever an auth flow runs (logout, session revocation, refresh rotation) or the mock
    is reset, so a revoked credential is refused at once."""

    TTL = 5.0

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def authenticate(self, request: Request, security: list[dict[str, Any]]) -> Any:
        headers = request.headers
        key = (id(security), headers.get("authorization"), headers.get("x-api-key"), headers.get("cookie"), request.query_string)
        now = time.time()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = self.runtime.authenticator.authenticate(headers, dict(request.query_pairs), security)
        if principal is not None:
            expires = (getattr(principal, "claims", None) or {}).get("exp")
            until = now + self.TTL
            if isinstance(expires, (int, float)):
                until = min(until, float(expires))
            if len(self._entries) > 10000:
                self._entries.clear()
            self._entries[key] = (until, principal)
        return principal

    def clear(self) -> None:
        self._entries.clear()


class OperationHandler:
    def __init__(self, operation: Operation, services: Services) -> None:
        self.operation = operation
        self.services = services
        self.runtime = services.runtime
        self.document = services.document
        self.validator = RequestValidator(operation, services.compiler)
        own_errors = operation.extension("x-apitwin-errors")
        self.errors = ErrorFormat(own_errors, base=services.errors) if own_errors else services.errors
        self.resource: Resource | None = operation.resource
        batch = operation.extension("x-apitwin-batch")
        if isinstance(batch, Mapping) and self.resource is not None:
            self.batch = dict(batch)
        else:
            self.batch = {}
        self.auth_action = operation.extension("x-apitwin-auth")
        self.roles = operation.extension("x-apitwin-roles") or []
        self.permissions = operation.extension("x-apitwin-permissions") or []
        self.docs_kind = operation.extension("x-apitwin-docs")
        update = operation.extension("x-apitwin-update") or {}
        update = {"mode": update} if isinstance(update, str) else dict(update)
        self.update_mode = update.get("mode") or ("merge" if operation.method == "patch" else "replace")
        # body field -> stored path, for bodies flatter than the records (bio -> profile.bio)
        self.field_map: dict[str, str] = dict(update.get("fields") or {})
        self.events = list(operation.extension("x-apitwin-events") or [])
        self.stats_fields = operation.extension("x-apitwin-stats") or {}
        self.capacity = operation.extension("x-apitwin-capacity")
        self.pagination = operation.extension("x-apitwin-pagination")
        self.success_media_type, self.success_media = operation.response_media(operation.success_status)
        self.success_schema = self.success_media.get("schema")
        self.item_schema, self.items_path = self._locate_items()
        self._header_cache: dict[int, dict[str, str]] = {}
        self._selections: dict[tuple[str, str], tuple[int, list[dict[str, Any]]]] = {}
        # the query parameters that change which records a list holds and in what order
        language = operation.extension("x-apitwin-filter")
        sort = operation.extension("x-apitwin-sort") or {}
        self.selection_params = {
            *(operation.extension("x-apitwin-filters") or {}),
            *([language.get("param", "filter")] if isinstance(language, Mapping) else []),
            sort.get("param", "sort"),
            sort.get("order_param", "order"),
        }
        body_schema = next(iter((operation.request_body or {}).get("content", {}).values()), {}).get("schema") if operation.request_body else None
        self.request_properties = set(self._properties(body_schema)) if body_schema else set()
        # what the server takes for a field the client leaves out (the request schema's defaults)
        self.request_defaults = {
            name: self._resolved(sub)["default"]
            for name, sub in (self._properties(body_schema) if body_schema else {}).items()
            if "default" in self._resolved(sub)
        }

    # -- the pipeline --------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        headers: dict[str, str] = {}
        try:
            reply = self._handle(request, headers)
        except MockError as error:
            reply = self.error_reply(self._documented_error(error), headers)
        except Exception:  # a bug, not the client's mistake: the API's own 500, and a log line
            logger.exception("unexpected error in %s (%s %s)", self.operation.operation_id, request.method, request.path)
            self.runtime.stats.error()
            reply = self.error_reply(MockError(500), headers)
        self._required_headers(reply)
        return reply

    def _documented_error(self, error: MockError) -> MockError:
        """A path parameter that breaks the contract names nothing that exists: where the
        operation documents 404 and not its validation status, that is the answer."""
        if not error.validation or not error.errors:
            return error
        status = str(self.errors.validation_status)
        if status not in self.operation.responses and "404" in self.operation.responses:
            if all((e.get("loc") or [""])[0] == "path" for e in error.errors):
                return MockError(404)
        return error

    def refusal(self, request: Request) -> Reply | None:
        """The answer to a request that breaks the contract (parameters, content type, body),
        or None: for transports that do the rest of the work themselves (GraphQL)."""
        try:
            self.validator.parameters(request.path_params, request.query_pairs, request.headers, request.cookies)
            self.validator.body(request.body, request.content_type)
        except MockError as error:
            reply = self.error_reply(self._documented_error(error), {})
            self._required_headers(reply)
            return reply
        return None

    def _required_headers(self, reply: Reply) -> None:
        """Headers a response documents as required are always there (the mock's own value,
        e.g. X-RateLimit-* with rate limits off, else the documented example)."""
        required = self._header_cache.get(reply.status)
        if required is None:
            required = {}
            response = self.operation.responses.get(str(reply.status)) or {}
            for name, header in (response.get("headers") or {}).items():
                header = deref(header, self.document)
                if isinstance(header, dict) and header.get("required"):
                    schema = deref(header.get("schema") or {}, self.document)
                    if "example" in header:
                        value = header["example"]
                    elif "example" in schema or schema.get("examples"):
                        value = schema.get("example", (schema.get("examples") or [None])[0])
                    else:
                        value = self.services.shaper.generate(schema, name)
                    required[name] = str(value).lower() if isinstance(value, bool) else str(value)
            self._header_cache[reply.status] = required
        present = {name.lower() for name in reply.headers}
        for name, value in required.items():
            if name.lower() not in present:
                reply.headers[name] = value

    def _handle(self, request: Request, headers: dict[str, str]) -> Reply:
        runtime = self.runtime
        principal, auth_error = None, None
        try:
            principal = self.services.principals.authenticate(request, self.operation.security)
        except Exception as error:  # AuthError, reported after the rate limit had its say
            if not hasattr(error, "status"):
                raise
            auth_error = error
        self._rate_limit(request, principal, headers)
        if auth_error is not None:
            raise auth_to_mock_error(auth_error)
        if principal is not None and (self.roles or self.permissions):
            try:
                authorize = getattr(runtime.authenticator, "authorize", None)
                if callable(authorize):
                    authorize(principal, self.operation.spec)
                else:
                    runtime.authenticator.require_roles(principal, list(self.roles))
                    self._check_permissions(principal)
            except Exception as error:
                if not hasattr(error, "status"):
                    raise
                raise auth_to_mock_error(error) from None

        try:
            params = self.validator.parameters(request.path_params, request.query_pairs, request.headers, request.cookies)
        except MockError as error:
            raise self._explained_filter_error(error, request) from None
        body = self.validator.body(request.body, request.content_type)
        preference = parse_prefer(request.headers.get("prefer"))

        chaos = chaos_status(self.operation.documented_statuses(), runtime.settings.chaos, self.services.rng)
        if chaos is not None:
            preference = Preference(code=chaos)
        if preference.code is not None and preference.code != self.operation.success_status:
            return self.documented_reply(preference.code, preference, headers)

        context = Context(request, params, body, principal, preference, headers)
        if self.docs_kind:
            reply = self._docs()
        elif self.auth_action:
            reply = self._auth_action(context)
        elif self.stats_fields or self.capacity:
            reply = self._stats(context)
        elif preference.example is not None or preference.dynamic:
            reply = self.documented_reply(self.operation.success_status, preference, headers)
        elif self.resource is not None:
            reply = self._resource(context)
        else:
            reply = self.documented_reply(self.operation.success_status, preference, headers)
        for name in self.events:
            if reply.status < 400 and not any(name == e for e in context.published):
                runtime.events.publish(Event(name, reply.body if isinstance(reply.body, dict) else {"body": reply.body}, self._meta(context)))
        return reply

    def _explained_filter_error(self, error: MockError, request: Request) -> MockError:
        """A filter expression the contract's pattern refused, explained clause by clause."""
        language = self.operation.extension("x-apitwin-filter")
        if not isinstance(language, Mapping) or not error.errors:
            return error
        param = language.get("param", "filter")
        if not any(e.get("loc") == ["query", param] for e in error.errors):
            return error
        value = next((v for k, v in request.query_pairs if k == param), "")
        try:
            parse_filter(value, separator=language.get("separator", ";"), nested_in=language.get("nested_in"), param=param)
        except MockError as explained:
            return explained
        return error

    def _check_permissions(self, principal: Any) -> None:
        """``x-apitwin-permissions``: what a credential with permissions (an API key) must hold."""
        granted = getattr(principal, "permissions", None)
        if not self.permissions or granted is None:
            return
        missing = [p for p in self.permissions if p not in granted]
        if missing:
            raise MockError(403, f"This credential lacks the permission {', '.join(missing)}", details={"required": missing})

    def _docs(self) -> Reply:
        from mock_server.http import docs
        kind = str(self.docs_kind)
        title = str((self.document.get("info") or {}).get("title", "API"))
        if kind in ("openapi", "spec"):
            return Reply(200, self.document, {}, "application/json")
        if kind == "redoc":
            spec_path = next((op.path for op in self.runtime.operations.values() if op.extension("x-apitwin-docs") in ("openapi", "spec")), docs.VIEW_PATH)
            return Reply(200, docs.redoc_page(title, spec_path), {}, "text/html; charset=utf-8")
        return Reply(200, docs.swagger_ui_page(title), {}, "text/html; charset=utf-8")

    def _rate_limit(self, request: Request, principal: Any, headers: dict[str, str]) -> None:
        client = getattr(principal, "user_id", None) or request.client
        plan = getattr(principal, "plan", None)
        limiter = self.runtime.limiter
        # With `--rate-limits off` the headers still tell the declared allowance, never used up.
        decision = limiter.check(self.operation.operation_id, str(client), plan=plan) if limiter.enabled \
            else limiter.nominal(self.operation.operation_id, plan=plan)
        if decision is None:
            return
        headers["X-RateLimit-Limit"] = str(decision.limit)
        headers["X-RateLimit-Remaining"] = str(max(0, decision.remaining))
        headers["X-RateLimit-Reset"] = str(decision.reset)
        for name, value in (getattr(decision, "headers", None) or {}).items():
            headers[name] = str(value)
        if not decision.allowed:
            headers["Retry-After"] = str(max(1, decision.retry_after))
            raise MockError(429, details={"retry_after": max(1, decision.retry_after)}, headers={"Retry-After": str(max(1, decision.retry_after))})

    # -- replies -------------------------------------------------------------------------------

    def error_reply(self, error: MockError, headers: dict[str, str] | None = None) -> Reply:
        status, body, extra = self.errors.render(error)
        merged = {**(headers or {}), **extra}
        media_type, media = self.operation.response_media(status)
        schema = media.get("schema")
        if schema is not None and not self.services.compiler.is_valid(schema, body):
            body = self.services.shaper.shape(body, schema)
        return Reply(status, body, merged, media_type or self.errors.media_type)

    def documented_reply(self, status: int, preference: Preference, headers: dict[str, str]) -> Reply:
        """The documented response for `status`: its example, or data generated from its schema."""
        if str(status) not in self.operation.responses:
            raise MockError(400, f"Prefer asks for status {status}, which this operation does not document")
        media_type, media = self.operation.response_media(status)
        if media_type is None:
            return Reply(status, None, headers, None)
        schema = media.get("schema")
        try:
            found, value = example_of(media, self.document, preference.example)
        except ExampleNotFound:
            raise MockError(400, f"Prefer asks for example {preference.example!r}, which this response does not document") from None
        if preference.dynamic or not found:
            if status >= 400:
                _, value, _ = self.errors.render(MockError(status))
                value = self.services.shaper.shape(value, schema) if schema is not None else value
            else:
                value = self.services.shaper.generate(schema) if schema is not None else None
        else:
            value = copy.deepcopy(value)
        if status == 429:
            headers.setdefault("Retry-After", "60")
        return Reply(status, value, headers, media_type)

    def shaped(self, status: int, value: Any, headers: dict[str, str]) -> Reply:
        media_type, media = self.operation.response_media(status)
        if media_type is None:
            return Reply(status, None, headers, None)
        schema = media.get("schema")
        body = self.services.shaper.shape(value, schema) if schema is not None else value
        return Reply(status, body, headers, media_type)

    # -- auth flows ----------------------------------------------------------------------------

    def _auth_action(self, ctx: Context) -> Reply:
        self.services.principals.clear()
        try:
            status, body, extra = self.runtime.authenticator.perform(
                self.auth_action, self.operation.spec, ctx.body if isinstance(ctx.body, dict) else {}, ctx.principal, dict(ctx.request.path_params)
            )
        except Exception as error:
            if not hasattr(error, "status"):
                raise
            raise auth_to_mock_error(error) from None
        ctx.headers.update(extra or {})
        if body is None:
            return Reply(status, None, ctx.headers, None)
        if isinstance(body, dict) and isinstance(ctx.body, dict):
            body = {**body, **self._echoed(status, ctx.body)}
        return self.shaped(status, body, ctx.headers)

    def _echoed(self, status: int, sent: Mapping[str, Any]) -> dict[str, Any]:
        """What the client sent that the response documents: it wins over data an auth flow
        generated for a field it does not keep (a registration shows the email it was sent).
        Never a write-only field, and never a credential (tokens, keys, secrets are the
        server's to issue: a refresh answers a new refresh token, not the one sent)."""
        schema = self.operation.response_media(status)[1].get("schema")
        properties = self._properties(schema)
        return {
            name: copy.deepcopy(value) for name, value in sent.items()
            if name in properties and not _CREDENTIAL_NAME.search(name)
            and not self._resolved(properties[name]).get("writeOnly")
        }

    # -- live stats ----------------------------------------------------------------------------

    def _stats(self, ctx: Context) -> Reply:
        stats = self.runtime.stats
        status = self.operation.success_status
        if self.capacity and stats.at_capacity:
            status = int((self.capacity or {}).get("status", 503))
        reply = self.documented_reply(status, Preference(example=None, dynamic=ctx.preference.dynamic), ctx.headers)
        snapshot = stats.snapshot()
        body = reply.body if isinstance(reply.body, dict) else {}
        schema = self.operation.response_media(status)[1].get("schema")
        for path, stat in (self.stats_fields or {}).items():
            if stat in snapshot and self._documents_path(schema, path):
                put_path(body, path, snapshot[stat])
        return self.shaped(status, body, ctx.headers)

    def _documents_path(self, schema: Any, path: str) -> bool:
        """Whether the response schema names this dotted property path."""
        node = schema
        for part in path.split("."):
            properties = self._properties(node)
            if part not in properties:
                return False
            node = properties[part]
        return True

    # -- resources -----------------------------------------------------------------------------

    def _resource(self, ctx: Context) -> Reply:
        resource = self.resource
        assert resource is not None
        collection = resource.collection_for(ctx.request.path_params)
        if collection.startswith("_") and resource.collection != collection:
            # private collections (credentials, API keys, revoked tokens) are the mock's own
            # bookkeeping: no `{collection}` path reaches them, whatever its pattern allows
            raise MockError(404, f"Collection {collection} not found")
        action = resource.action
        if self.batch:
            action = "batch-" + str(self.batch.get("action", "create")).replace("batch-", "")
        return getattr(self, "_" + action.replace("-", "_"))(ctx, collection, resource)

    def _record_id(self, ctx: Context, resource: Resource) -> Any:
        if resource.id_param is None:
            raise MockError(404)
        return ctx.request.path_params.get(resource.id_param)

    def _find(self, ctx: Context, collection: str, resource: Resource) -> dict[str, Any]:
        record_id = self._record_id(ctx, resource)
        record = self.runtime.store.get(collection, record_id)
        if record is None:
            name = resource.name if resource.collection == collection or not collection else _singular_label(collection)
            raise MockError(404, f"{name.replace('_', ' ').capitalize()} {record_id} not found")
        return record

    def _get(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        record = self._find(ctx, collection, resource)
        return self._one(ctx, record)

    def _one(self, ctx: Context, record: dict[str, Any], status: int | None = None) -> Reply:
        fields = requested_fields(self.operation.extension("x-apitwin-fields"), ctx.params.get("query", {}))
        reply = self.shaped(status or self.operation.success_status, record, ctx.headers)
        if fields and isinstance(reply.body, dict):
            reply.body = project(reply.body, fields, keep=self._required(self.success_schema))
        return reply

    def _new_record(self, ctx: Context, collection: str, resource: Resource, values: Mapping[str, Any], schema: Any,
                    sent_defaults: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], float | None]:
        properties = self._properties(schema)
        overrides = {k: v for k, v in values.items()}
        for name, value in ctx.request.path_params.items():
            if name in properties and name != resource.id_param:
                overrides[name] = value
        if resource.owner and ctx.principal is not None:
            overrides[resource.owner] = ctx.principal.user_id
        for name, value in resource.defaults:
            overrides.setdefault(name, copy.deepcopy(value))
        for name, value in (sent_defaults or {}).items():  # what the server takes for a field left out
            if name not in values and name in properties:
                overrides.setdefault(name, copy.deepcopy(value))
        for name, sub in properties.items():  # a declared default is what the server sets, not chance
            sub = self._resolved(sub)
            if "default" in sub and name not in overrides:
                overrides[name] = copy.deepcopy(sub["default"])
        key_schema = deref(properties.get(resource.key) or {}, self.document)
        if _is_integer(key_schema) and resource.key not in overrides:
            existing = [r.get(resource.key) for r in self.runtime.store.list(collection, copy_records=False)]
            overrides[resource.key] = max([v for v in existing if isinstance(v, int)] + [0]) + 1
        now = utc_now()
        for name in TIMESTAMP_FIELDS:
            if name in properties:
                overrides[name] = now
        expires_at = None
        ttl = values.get(resource.ttl) if resource.ttl else None
        if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0:
            expires_at = time.time() + min(float(ttl), MAX_TTL)
            if "expires_at" in properties:
                overrides["expires_at"] = datetime.fromtimestamp(expires_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = self.runtime.generator.record(schema if isinstance(schema, dict) else {}, root=self.document, overrides=overrides)
        record.update({k: v for k, v in overrides.items() if k not in record})
        # What the client could have sent but did not stays unset (an optional ttl, metadata...),
        # unless the response requires it; the expiry only exists with a ttl.
        required = self._required(schema)
        for name in self.request_properties:
            if name not in values and name not in overrides and name not in required:
                record.pop(name, None)
        if resource.ttl and expires_at is None and "expires_at" not in required and "expires_at" not in values:
            record.pop("expires_at", None)
        if record.get(resource.key) is None:
            record[resource.key] = self.runtime.generator.value(key_schema or {"type": "string", "format": "uuid"}, name=resource.key, root=self.document)
        if resource.key not in values:  # a generated id must name no stored record (a restart
            # with --state and the same seed generates the same ids again)
            self._free_key(collection, resource, record, key_schema)
        if isinstance(schema, dict):  # keep what was generated, so every later read agrees
            record.update(self.services.shaper.shape(record, schema))
        return record, expires_at

    def _free_key(self, collection: str, resource: Resource, record: dict[str, Any], key_schema: Any) -> None:
        """Generate the key again until it names no stored record."""
        store = self.runtime.store
        schema = key_schema or {"type": "string", "format": "uuid"}
        for _ in range(100):
            if store.get(collection, record[resource.key]) is None:
                return
            record[resource.key] = self.runtime.generator.value(schema, name=resource.key, root=self.document)
        raise MockError(500, f"No free {resource.key} left for a new record in {collection}")

    def _create(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        values = self._mapped(ctx.body if isinstance(ctx.body, dict) else {})
        record, expires_at = self._new_record(ctx, collection, resource, values, self.success_schema, self.request_defaults)
        stored = self.runtime.store.insert(collection, record, key=resource.key, expires_at=expires_at)
        reply = self.shaped(self.operation.success_status, stored, ctx.headers)
        self._publish(ctx, f"{resource.name}.created", reply.body, collection)
        return reply

    def _replace(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        """PUT (``x-apitwin-update: replace``): each field sent replaces the stored one whole."""
        return self._update(ctx, collection, resource)

    def _patch(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        """PATCH (``x-apitwin-update: merge``): a JSON merge patch, objects merged key by key."""
        return self._update(ctx, collection, resource)

    def _mapped(self, values: dict[str, Any]) -> dict[str, Any]:
        """The body with declared fields moved to where records keep them."""
        if not self.field_map:
            return values
        out: dict[str, Any] = {}
        for name, value in values.items():
            target = self.field_map.get(name, name)
            node = out
            parts = target.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return out

    def _update(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        current = self._find(ctx, collection, resource)
        values = self._mapped(ctx.body if isinstance(ctx.body, dict) else {})
        if self.update_mode == "merge":
            updated = merge_patch(current, values)
        else:
            updated = {**current, **values}
        updated[resource.key] = current[resource.key]
        return self._save(ctx, collection, resource, current, updated)

    def _save(self, ctx: Context, collection: str, resource: Resource, current: dict, updated: dict) -> Reply:
        properties = self._properties(self.success_schema)
        if "updated_at" in properties or "updated_at" in current:
            updated["updated_at"] = utc_now()
        if isinstance(self.success_schema, dict):
            updated.update(self.services.shaper.shape(updated, self.success_schema))
        stored = self.runtime.store.replace(collection, current[resource.key], updated)
        if stored is None:
            raise MockError(404)
        reply = self._one(ctx, stored)
        self._publish(ctx, f"{resource.name}.updated", reply.body, collection)
        return reply

    def _delete(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        current = self._find(ctx, collection, resource)
        self.runtime.store.delete(collection, current[resource.key])
        status = self.operation.success_status
        media_type, media = self.operation.response_media(status)
        reply = self.documented_reply(status, ctx.preference, ctx.headers) if media_type else Reply(status, None, ctx.headers, None)
        if isinstance(reply.body, dict) and self._schema_has(media.get("schema"), resource.key):
            reply = self.shaped(status, current, ctx.headers)
        self._publish(ctx, f"{resource.name}.deleted", current, collection)
        return reply

    def _list(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        query = ctx.params.get("query", {})
        spec = self.operation.spec
        records = self._selected(collection, query)
        page = paginate(records, self.pagination, query, resource.key)
        fields = requested_fields(spec.get("x-apitwin-fields"), query)
        keep = self._required(self.item_schema) | {resource.key}
        items = []
        for record in page.items:
            item = self.services.shaper.shape_stored(record, self.item_schema) if self.item_schema is not None else record
            items.append(project(item, fields, keep) if fields and isinstance(item, dict) else item)
        return self._list_reply(ctx, items, page.facts)

    def _selected(self, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        """The collection filtered and sorted for this query; remembered until it changes."""
        spec = self.operation.spec
        store = self.runtime.store
        key = (collection, repr(sorted((k, str(v)) for k, v in query.items() if k in self.selection_params)))
        revision = store.revision(collection)
        hit = self._selections.get(key)
        if hit is not None and hit[0] == revision:
            return hit[1]
        filter_decl = spec.get("x-apitwin-filter") if isinstance(spec.get("x-apitwin-filter"), Mapping) else {}
        records = apply_filters(store.list(collection, copy_records=False), declared_filters(spec, query))
        records = sort_records(records, spec.get("x-apitwin-sort"), query, filter_decl.get("nested_in"))
        self._selections[key] = (revision, records)
        if len(self._selections) > 256:
            self._selections.pop(next(iter(self._selections)))
        return records

    def _list_reply(self, ctx: Context, items: list[Any], facts: dict[str, Any]) -> Reply:
        declaration = self.pagination or {}
        for header, fact in (declaration.get("headers") or {}).items():
            if facts.get(fact) is not None:
                ctx.headers[header] = str(facts[fact]).lower() if isinstance(facts[fact], bool) else str(facts[fact])
        status = self.operation.success_status
        if self.items_path == "":
            return Reply(status, items, ctx.headers, self.success_media_type)
        envelope: dict[str, Any] = {}
        for path, fact in (declaration.get("meta") or {}).items():
            put_path(envelope, path, facts.get(fact))
        put_path(envelope, self.items_path, [])
        body = self.services.shaper.shape(envelope, self.success_schema)
        put_path(body, self.items_path, items)
        return Reply(status, body, ctx.headers, self.success_media_type)

    def _batch_create(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        field = self.batch.get("items", resource.items)
        entries = (ctx.body or {}).get(field) or [] if isinstance(ctx.body, dict) else []
        limit = self.batch.get("max", resource.max_items)
        if limit is not None and len(entries) > int(limit):
            raise MockError(400, f"At most {limit} records per batch request", validation=True,
                            errors=[{"loc": ["body", field], "msg": f"ensure this value has at most {limit} items", "type": "value_error.list.max_items"}])
        schema = self._array_item_schema(self.success_schema, field)
        created = []
        for entry in entries:
            record, expires_at = self._new_record(ctx, collection, resource, entry if isinstance(entry, dict) else {}, schema)
            created.append(self.runtime.store.insert(collection, record, key=resource.key, expires_at=expires_at))
        shaped = [self.services.shaper.shape(r, schema) for r in created]
        for record in shaped:
            self._publish(ctx, f"{resource.name}.created", record, collection)
        facts = {"count": len(created), "failed": 0, "records": shaped, "ids": [r.get(resource.key) for r in created], "missing": []}
        return self._batch_reply(ctx, facts, field)

    def _batch_delete(self, ctx: Context, collection: str, resource: Resource) -> Reply:
        field = self.batch.get("ids", resource.ids)
        ids = (ctx.body or {}).get(field) or [] if isinstance(ctx.body, dict) else []
        deleted, missing = [], []
        for record_id in ids:
            record = self.runtime.store.delete(collection, record_id)
            if record is None:
                missing.append(record_id)
            else:
                deleted.append(record_id)
                self._publish(ctx, f"{resource.name}.deleted", record, collection)
        facts = {"count": len(deleted), "failed": len(missing), "ids": deleted, "missing": missing, "records": []}
        return self._batch_reply(ctx, facts, field)

    def _batch_reply(self, ctx: Context, facts: dict[str, Any], field: str) -> Reply:
        status = self.operation.success_status
        mapping = self.batch.get("response") or {}
        body: dict[str, Any] = {}
        for prop in self._properties(self.success_schema):
            fact = mapping.get(prop) or BATCH_FACTS.get(prop)
            if fact in facts:
                body[prop] = facts[fact]
        return self.shaped(status, body, ctx.headers)

    # -- helpers -------------------------------------------------------------------------------

    def _publish(self, ctx: Context, name: str, data: Any, collection: str) -> None:
        meta = self._meta(ctx)
        meta["collection"] = collection
        self.runtime.events.publish(Event(name, data if isinstance(data, dict) else {"value": data}, meta))
        ctx.published.append(name)

    def _meta(self, ctx: Context) -> dict[str, Any]:
        return {
            "operation_id": self.operation.operation_id,
            "user_id": getattr(ctx.principal, "user_id", None),
            "path_params": dict(ctx.request.path_params),
        }

    def _locate_items(self) -> tuple[Any, str | None]:
        """The schema of one listed item and where the list sits in the body."""
        schema = self.success_schema
        if schema is None or self.resource is None or self.resource.action != "list":
            return None, None
        resolved = self._resolved(schema)
        declared = (self.pagination or {}).get("items") if self.pagination else None
        if declared == "" or resolved.get("type") == "array":
            return resolved.get("items"), ""
        if declared:
            node = resolved
            for part in declared.split("."):
                node = self._resolved((node.get("properties") or {}).get(part, {}))
            return node.get("items"), declared
        for name, sub in (resolved.get("properties") or {}).items():
            sub = self._resolved(sub)
            if sub.get("type") == "array" or "items" in sub:
                return sub.get("items"), name
        return None, None

    def _resolved(self, schema: Any) -> dict[str, Any]:
        schema = deref(schema, self.document) if isinstance(schema, dict) else {}
        return merge_all_of(schema, self.document) if "allOf" in schema else schema

    def _properties(self, schema: Any) -> dict[str, Any]:
        return self._resolved(schema).get("properties") or {}

    def _required(self, schema: Any) -> set[str]:
        return set(self._resolved(schema).get("required") or [])

    def _schema_has(self, schema: Any, prop: str) -> bool:
        return prop in self._properties(schema)

    def _array_item_schema(self, schema: Any, preferred: str) -> Any:
        properties = self._properties(schema)
        candidates = [preferred, "records", "items", "data"] + list(properties)
        for name in candidates:
            sub = self._resolved(properties.get(name, {}))
            if sub.get("type") == "array" or "items" in sub:
                return sub.get("items")
        return {}


BATCH_FACTS = {
    "created": "count", "deleted": "count", "count": "count", "failed": "failed", "records": "records",
    "items": "records", "ids": "ids", "deleted_ids": "ids", "not_found": "missing", "missing": "missing",
}

class Context:
    """One request's values as the handler works through them."""

    def __init__(self, request: Request, params: dict[str, Any], body: Any, principal: Any, preference: Preference, headers: dict[str, str]) -> None:
        self.request = request
        self.params = params
        self.body = body
        self.principal = principal
        self.preference = preference
        self.headers = headers
        self.published: list[str] = []


def auth_to_mock_error(error: Any) -> MockError:
    return MockError(
        int(getattr(error, "status", 401)),
        getattr(error, "message", None) or str(error) or None,
        code=getattr(error, "code", None),
        details=getattr(error, "details", None) or None,
        headers=getattr(error, "headers", None),
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge key by key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        result[key] = merge_patch(result.get(key), value)
    return result


def _singular_label(collection: str) -> str:
    from mock_server.state.resources import _singular

    return _singular(collection)


def _is_integer(schema: Any) -> bool:
    declared = schema.get("type") if isinstance(schema, dict) else None
    return declared == "integer" or (isinstance(declared, list) and "integer" in declared)
