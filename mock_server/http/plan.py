"""`OperationPlan`: an operation's declarations, read once at start-up into typed fields.

Every ``x-apitwin-*`` extension an operation carries, its effective security and the credential
material that security names, its success response and the schema of one listed item are looked
up here, when the app is built. The pipeline's steps and the actions read the plan, never the
raw contract, so a request costs no lookups and a plan can be printed (``print(plan)``) to see
what the mock will do for an operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.contracts.operations import Operation
from mock_server.http.shaping import resolved_schema
from mock_server.state.resources import Resource

#: the kinds of work an operation can do (see `mock_server.http.actions`)
STORE_ACTIONS = ("get", "create", "replace", "patch", "delete", "list", "batch-create", "batch-delete")


@dataclass(frozen=True)
class CredentialSource:
    """One place a security scheme reads its credential from: ``header``, ``query`` or ``cookie``
    and the name there (headers lower-cased)."""

    where: str
    name: str


@dataclass(frozen=True)
class OperationPlan:
    operation_id: str
    method: str
    path: str
    action: str                                   # a key of `mock_server.http.actions.ACTIONS`
    security: list[dict[str, list[str]]]
    credential_sources: tuple[CredentialSource, ...]
    roles: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    errors: Mapping[str, Any] | None = None       # the operation's own x-apitwin-errors
    resource: Resource | None = None
    batch: Mapping[str, Any] = field(default_factory=dict)
    pagination: Mapping[str, Any] | None = None
    fields_param: str | None = None               # x-apitwin-fields
    filter_language: Mapping[str, Any] | None = None  # x-apitwin-filter
    selection: Mapping[str, Any] = field(default_factory=dict)  # filter/filters/sort declarations
    sort: Mapping[str, Any] | None = None
    selection_params: frozenset[str] = frozenset()
    update_mode: str = "replace"
    field_map: Mapping[str, str] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    auth_action: str | None = None
    stats_fields: Mapping[str, str] = field(default_factory=dict)
    capacity: Mapping[str, Any] | None = None
    docs_kind: str | None = None
    graphql: bool = False
    success_status: int = 200
    documented_statuses: tuple[int, ...] = ()
    success_media_type: str | None = None
    success_schema: Any = None
    item_schema: Any = None
    items_path: str | None = None
    request_properties: frozenset[str] = frozenset()
    request_defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def store_backed(self) -> bool:
        """Whether the action works on the store (a client's ``Prefer`` example then wins)."""
        return self.action in STORE_ACTIONS


def build_plan(operation: Operation, document: Mapping[str, Any]) -> OperationPlan:
    """The plan of one operation (``document`` resolves the schemas' ``$ref``s)."""
    spec = operation.spec
    resource = operation.resource
    batch = spec.get("x-apitwin-batch")
    batch = dict(batch) if isinstance(batch, Mapping) and resource is not None else {}
    update = spec.get("x-apitwin-update") or {}
    update = {"mode": update} if isinstance(update, str) else dict(update)
    language = spec.get("x-apitwin-filter")
    language = dict(language) if isinstance(language, Mapping) else None
    sort = spec.get("x-apitwin-sort")
    sort = dict(sort) if isinstance(sort, Mapping) else None
    filters = spec.get("x-apitwin-filters") or {}
    selection = {name: spec[name] for name in ("x-apitwin-filter", "x-apitwin-filters") if name in spec}
    success_media_type, success_media = operation.response_media(operation.success_status)
    success_schema = success_media.get("schema")
    pagination = spec.get("x-apitwin-pagination")
    item_schema, items_path = _locate_items(success_schema, resource, pagination, document)
    body_schema = _request_schema(operation)
    body_properties = (resolved_schema(body_schema, document).get("properties") or {}) if body_schema else {}
    defaults = {}
    for name, sub in body_properties.items():
        sub = resolved_schema(sub, document)
        if "default" in sub:  # what the server takes for a field the client leaves out
            defaults[name] = sub["default"]
    return OperationPlan(
        operation_id=operation.operation_id,
        method=operation.method,
        path=operation.path,
        action=_action_kind(spec, resource, batch),
        security=operation.security,
        credential_sources=credential_sources(operation.security, document),
        roles=tuple(spec.get("x-apitwin-roles") or ()),
        permissions=tuple(spec.get("x-apitwin-permissions") or ()),
        errors=spec.get("x-apitwin-errors") or None,
        resource=resource,
        batch=batch,
        pagination=pagination,
        fields_param=spec.get("x-apitwin-fields"),
        filter_language=language,
        selection=selection,
        sort=sort,
        selection_params=frozenset({
            *filters,
            *([language.get("param", "filter")] if language else []),
            (sort or {}).get("param", "sort"),
            (sort or {}).get("order_param", "order"),
        }),
        update_mode=update.get("mode") or ("merge" if operation.method == "patch" else "replace"),
        field_map=dict(update.get("fields") or {}),  # body field -> stored path (bio -> profile.bio)
        events=tuple(spec.get("x-apitwin-events") or ()),
        auth_action=spec.get("x-apitwin-auth"),
        stats_fields=dict(spec.get("x-apitwin-stats") or {}),
        capacity=spec.get("x-apitwin-capacity"),
        docs_kind=str(spec["x-apitwin-docs"]) if spec.get("x-apitwin-docs") else None,
        graphql=bool(spec.get("x-apitwin-graphql")),
        success_status=operation.success_status,
        documented_statuses=tuple(operation.documented_statuses()),
        success_media_type=success_media_type,
        success_schema=success_schema,
        item_schema=item_schema,
        items_path=items_path,
        request_properties=frozenset(body_properties),
        request_defaults=defaults,
    )


def _action_kind(spec: Mapping[str, Any], resource: Resource | None, batch: Mapping[str, Any]) -> str:
    """Which action serves the operation: docs, an auth flow, live stats, a store action, or the
    documented response."""
    if spec.get("x-apitwin-docs"):
        return "docs"
    if spec.get("x-apitwin-auth"):
        return "auth"
    if spec.get("x-apitwin-stats") or spec.get("x-apitwin-capacity"):
        return "stats"
    if resource is None:
        return "documented"
    if batch:
        return "batch-" + str(batch.get("action", "create")).replace("batch-", "")
    return resource.action


def credential_sources(security: list[dict[str, Any]], document: Mapping[str, Any]) -> tuple[CredentialSource, ...]:
    """Every header, query parameter and cookie the operation's security schemes read: the
    exact material a principal is found from (http, oauth2 and openIdConnect use Authorization)."""
    schemes = ((document.get("components") or {}).get("securitySchemes")) or {}
    found: list[CredentialSource] = []
    for requirement in security or []:
        for name in requirement if isinstance(requirement, Mapping) else ():
            scheme = schemes.get(name)
            if not isinstance(scheme, Mapping):
                continue
            kind = scheme.get("type")
            if kind in ("http", "oauth2", "openIdConnect"):
                source = CredentialSource("header", "authorization")
            elif kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
                where, key = str(scheme["in"]), str(scheme.get("name") or "")
                source = CredentialSource(where, key.lower() if where == "header" else key)
            else:
                continue
            if source not in found:
                found.append(source)
    return tuple(found)


def _request_schema(operation: Operation) -> Any:
    if not operation.request_body:
        return None
    media = next(iter((operation.request_body.get("content") or {}).values()), None) or {}
    return media.get("schema")


def _locate_items(schema: Any, resource: Resource | None, pagination: Any, document: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The schema of one listed item and where the list sits in the body."""
    if schema is None or resource is None or resource.action != "list":
        return None, None
    resolved = resolved_schema(schema, document)
    declared = pagination.get("items") if isinstance(pagination, Mapping) else None
    if declared == "" or resolved.get("type") == "array":
        return resolved.get("items"), ""
    if declared:
        node = resolved
        for part in declared.split("."):
            node = resolved_schema((node.get("properties") or {}).get(part, {}), document)
        return node.get("items"), declared
    for name, sub in (resolved.get("properties") or {}).items():
        sub = resolved_schema(sub, document)
        if sub.get("type") == "array" or "items" in sub:
            return sub.get("items"), name
    return None, None
