"""`AuthConfig`: what a contract declares about authentication, read once.

Sources: the root `x-apitwin.auth` block, the security schemes, and the operations that carry
`x-apitwin-auth` (their `x-apitwin-resource` names the users or sessions collection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PARAM = re.compile(r"^\{[^}]+\}$")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation with where it lives (the auth flows need its path and method)."""

    method: str
    path: str
    spec: dict


@dataclass
class AuthConfig:
    users: list[dict] = field(default_factory=list)
    clients: list[dict] = field(default_factory=list)
    static_tokens: list[dict] = field(default_factory=list)
    access_ttl: int = 3600
    refresh_ttl: int = 604800
    remember_me_refresh_ttl: int | None = None
    rotate_refresh: bool = False
    lockout_attempts: int | None = None
    lockout_seconds: int = 900
    errors: dict = field(default_factory=dict)
    api_keys: dict = field(default_factory=dict)
    default_roles: list[str] = field(default_factory=lambda: ["user"])
    users_collection: str = "users"
    user_schema: Any = None
    sessions_collection: str | None = None
    schemes: dict = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    #: the contract declares how the mock issues credentials (an ``x-apitwin.auth`` block or an
    #: operation with ``x-apitwin-auth``): only those are accepted. Otherwise any well-formed
    #: credential of the declared kind is (see ``wellformed.py``).
    issues_tokens: bool = False

    @classmethod
    def from_document(cls, document: dict) -> "AuthConfig":
        declared = ((document.get("x-apitwin") or {}).get("auth")) or {}
        operations = [Operation(method, path, op)
                      for path, item in (document.get("paths") or {}).items() if isinstance(item, dict)
                      for method, op in item.items() if method in METHODS and isinstance(op, dict)]
        lockout = declared.get("lockout") or {}
        config = cls(
            users=[dict(u) for u in declared.get("users") or () if isinstance(u, dict)],
            clients=[dict(c) for c in declared.get("clients") or () if isinstance(c, dict)],
            static_tokens=[dict(t) for t in declared.get("static_tokens") or () if isinstance(t, dict)],
            access_ttl=int(declared.get("access_ttl") or 3600),
            refresh_ttl=int(declared.get("refresh_ttl") or 604800),
            remember_me_refresh_ttl=_int_or_none(declared.get("remember_me_refresh_ttl")),
            rotate_refresh=bool(declared.get("rotate_refresh", False)),
            lockout_attempts=_int_or_none(lockout.get("attempts")),
            lockout_seconds=int(lockout.get("seconds") or 900),
            errors=dict(declared.get("errors") or {}),
            api_keys=dict(declared.get("api_keys") or {}),
            default_roles=list(declared.get("default_roles") or ["user"]),
            schemes=dict(((document.get("components") or {}).get("securitySchemes")) or {}),
            operations=operations,
            issues_tokens=bool(declared) or any(op.spec.get("x-apitwin-auth") for op in operations),
        )
        config.users_collection = declared.get("users_collection") or _users_collection(operations)
        config.sessions_collection = declared.get("sessions_collection") or _sessions_collection(operations)
        config.user_schema = _user_schema(document, operations, config.users_collection, declared)
        return config

    def operation_for(self, spec: dict) -> Operation | None:
        for operation in self.operations:
            if operation.spec is spec or operation.spec.get("operationId") == spec.get("operationId"):
                return operation
        return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def resource_of(operation: Operation) -> str | None:
    """The collection an operation names (`x-apitwin-resource`) or its path implies."""
    declared = operation.spec.get("x-apitwin-resource")
    if isinstance(declared, dict):
        declared = declared.get("collection")
    if isinstance(declared, str) and declared and not declared.startswith("{"):
        return declared
    segments = [s for s in operation.path.split("/") if s and not _PARAM.match(s)]
    return segments[-1] if segments else None


def _users_collection(operations: list[Operation]) -> str:
    for operation in operations:
        if operation.spec.get("x-apitwin-auth") == "register":
            return resource_of(operation) or "users"
    return "users"


def _sessions_collection(operations: list[Operation]) -> str | None:
    for operation in operations:
        if operation.spec.get("x-apitwin-auth") in ("login", "revoke-session") and \
                operation.spec.get("x-apitwin-resource"):
            return resource_of(operation)
    return None


def _user_schema(document: dict, operations: list[Operation], collection: str, declared: dict) -> Any:
    """The schema a stored user follows: declared, else what reading one user answers."""
    if declared.get("user_schema"):
        return {"$ref": declared["user_schema"]} if isinstance(declared["user_schema"], str) else declared["user_schema"]
    for operation in operations:
        segments = [s for s in operation.path.split("/") if s]
        if operation.method == "get" and len(segments) >= 2 and _PARAM.match(segments[-1]) \
                and segments[-2] == collection:
            schema = success_schema(operation.spec, document)
            if schema is not None:
                return schema
    schemas = (document.get("components") or {}).get("schemas") or {}
    return {"$ref": "#/components/schemas/User"} if "User" in schemas else None


def success_status(spec: dict) -> int:
    statuses = sorted(int(s) for s in (spec.get("responses") or {}) if str(s).isdigit() and str(s).startswith("2"))
    return statuses[0] if statuses else 200


def success_schema(spec: dict, root: dict | None = None) -> Any:
    response = (spec.get("responses") or {}).get(str(success_status(spec))) or {}
    if "$ref" in response and root is not None:
        from mock_server.datagen.schemas import resolve_pointer

        response = resolve_pointer(root, response["$ref"])
    for media, content in (response.get("content") or {}).items():
        if "json" in media and isinstance(content, dict):
            return content.get("schema")
    return None


def has_status(spec: dict, status: int) -> bool:
    return str(status) in {str(s) for s in (spec.get("responses") or {})}
