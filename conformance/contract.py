"""A read-only view of one API's contracts: the declarations the checks need.

Every check reads what differs between APIs from here (the error envelope, the login
operation, pagination, rate-limit headers, security), never from the API's name. The raw
documents stay untouched; `$ref`s are followed on demand, so line-accurate error messages and
Schemathesis' own loading keep working on the original files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import referencing
import referencing.jsonschema

from mock_server.contracts.directions import REQUEST, RESPONSE, has_marks, view
from mock_server.contracts.loader import load_document
from mock_server.contracts.discriminators import express_discriminators
from mock_server.contracts.refs import is_data, refuse_remote_refs
from mock_server.contracts.schemas import anchored_schemas
from mock_server.contracts.servers import server_path

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOCUMENT_URI = "urn:apitwin:contract"


def pointer_get(document: Any, pointer: str) -> Any:
    """Follow a local JSON pointer (`#/components/schemas/Error`)."""
    node = document
    for part in pointer.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def dig(value: Any, path: str, missing: Any = None) -> Any:
    """The value at a dotted path (`meta.total_count`, list indexes as digits); '' or '.' is the
    value itself, and `missing` stands for a path the value does not have."""
    if path in ("", "."):
        return value
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return missing
    return value


def has_path(value: Any, path: str) -> bool:
    if not path:
        return True
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False
    return True


@dataclass(frozen=True)
class Operation:
    """One OpenAPI operation with the declarations attached to it."""

    id: str
    method: str
    path: str
    definition: dict
    security: list[dict]
    tags: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def extension(self, name: str, default: Any = None) -> Any:
        return self.definition.get(f"x-apitwin-{name}", default)

    @property
    def is_protected(self) -> bool:
        """Whether the operation demands credentials (no empty alternative in `security`)."""
        return bool(self.security) and all(requirement for requirement in self.security)


@dataclass
class Contract:
    """An API's OpenAPI document plus its optional AsyncAPI and GraphQL companions."""

    name: str
    openapi_path: Path | None
    asyncapi_path: Path | None = None
    graphql_path: Path | None = None
    document: dict = field(default_factory=dict)
    _validators: dict = field(default_factory=dict, repr=False)
    _pinned: list = field(default_factory=list, repr=False)
    _registries: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls,
        name: str,
        openapi: Path | None,
        asyncapi: Path | None = None,
        graphql: Path | None = None,
    ) -> "Contract":
        document = load_document(openapi) if openapi else {}
        if openapi:
            refuse_remote_refs(document, openapi)  # the suite, like the mock, never fetches a contract part
            document = express_discriminators(document)  # the mock's reading of `discriminator`, the spec's
        return cls(name=name, openapi_path=openapi, asyncapi_path=asyncapi, graphql_path=graphql, document=document)

    # ---- root declarations -------------------------------------------------------------
    @property
    def declarations(self) -> dict:
        return self.document.get("x-apitwin") or {}

    @property
    def errors(self) -> dict:
        return self.declarations.get("errors") or {}

    @property
    def auth(self) -> dict:
        return self.declarations.get("auth") or {}

    @property
    def states_valid_credentials(self) -> bool:
        """Whether the contract says which credentials are valid (``x-apitwin.auth`` or an
        operation with ``x-apitwin-auth``). Without that, its security schemes only say what kind
        of credential travels where, and "this made-up key must be refused" is our guess."""
        return bool(self.auth) or next(self.operations_with("auth"), None) is not None

    @property
    def rate_limits(self) -> list[dict]:
        return list(self.declarations.get("rate_limits") or [])

    @cached_property
    def asyncapi(self) -> dict:
        return load_document(self.asyncapi_path) if self.asyncapi_path else {}

    def server_base_path(self) -> str:
        """The base path of the first server (`/v2` for `http://localhost:8003/v2`)."""
        servers = [server for server in self.document.get("servers") or [] if isinstance(server, dict)]
        return server_path(servers[0]) if servers else ""

    # ---- operations --------------------------------------------------------------------
    @cached_property
    def operations(self) -> dict[str, Operation]:
        found: dict[str, Operation] = {}
        root_security = self.document.get("security") or []
        for path, item in (self.document.get("paths") or {}).items():
            item = self.resolve(item)
            for method in HTTP_METHODS:
                definition = item.get(method)
                if not isinstance(definition, dict):
                    continue
                op_id = definition.get("operationId") or f"{method.upper()} {path}"
                found[op_id] = Operation(
                    id=op_id,
                    method=method,
                    path=path,
                    definition=definition,
                    security=list(definition.get("security", root_security)),
                    tags=tuple(definition.get("tags") or ()),
                )
        return found

    def operation_for(self, method: str, path: str) -> Operation | None:
        for operation in self.operations.values():
            if operation.method == method.lower() and operation.path == path:
                return operation
        return None

    def operations_with(self, extension: str, value: Any = None) -> Iterator[Operation]:
        for operation in self.operations.values():
            declared = operation.extension(extension)
            if declared is not None and (value is None or declared == value):
                yield operation

    # ---- schemas -----------------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        """Follow local `$ref`s until a non-reference node."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            node = pointer_get(self.document, ref)
        return node

    @cached_property
    def _marked(self) -> bool:
        """Whether a schema says ``readOnly`` or ``writeOnly``: then requests and answers are
        checked against different views of it (mock_server/contracts/directions.py)."""
        return has_marks(self.document)

    def _registry(self, direction: str) -> referencing.Registry:
        cached = self._registries.get(direction)
        if cached is not None:
            return cached
        contents = view(self.document, direction, self.document) if self._marked else self.document
        anchored = anchored_schemas(contents)
        if anchored:  # `$dynamicRef: '#node'` finds its anchor only where JSON Schema looks
            contents = {**contents, "$defs": {**(contents.get("$defs") or {}), **anchored}}
        resource = referencing.Resource(contents=contents, specification=referencing.jsonschema.DRAFT202012)
        registry = referencing.Registry().with_resource(DOCUMENT_URI, resource)
        if not self._marked:  # one view serves both directions
            self._registries.update({REQUEST: registry, RESPONSE: registry})
        self._registries[direction] = registry
        return registry

    def validator(self, schema: dict, direction: str = RESPONSE) -> jsonschema.protocols.Validator:
        """A 2020-12 validator for a schema taken from this document (local `$ref`s work), for
        an answer (`direction` ``response``: ``writeOnly`` properties never required) or a
        request (``request``: ``readOnly`` ones never required)."""
        key = (schema["$ref"] if set(schema) == {"$ref"} else id(schema), direction)
        cached = self._validators.get(key)
        if cached is None:
            directed = view(schema, direction, self.document) if self._marked else schema
            cached = jsonschema.Draft202012Validator(
                _reroot(directed), registry=self._registry(direction), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            self._validators[key] = cached
            self._pinned.append(schema)  # keeps id() keys unique for the contract's lifetime
        return cached

    def schema_errors(self, schema: dict, instance: Any, direction: str = RESPONSE) -> list[str]:
        """Readable validation errors of `instance` against `schema` (empty when valid); a
        request's body is checked with `direction` ``request``."""
        messages = []
        for error in self.validator(schema, direction).iter_errors(instance):
            where = "/".join(str(part) for part in error.absolute_path)
            messages.append(f"{where or '(root)'}: {error.message}")
            if len(messages) >= 3:
                break
        return messages

    def response_for(self, operation: Operation, status: int) -> dict | None:
        responses = operation.definition.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return self.resolve(responses[key])
        return None

    def error_schema(self) -> dict | None:
        pointer = self.errors.get("schema")
        if isinstance(pointer, str):
            return {"$ref": pointer}
        schemas = (self.document.get("components") or {}).get("schemas") or {}
        return {"$ref": "#/components/schemas/Error"} if "Error" in schemas else None

    def security_schemes(self) -> dict[str, dict]:
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        return {name: self.resolve(scheme) for name, scheme in schemes.items()}


def _reroot(schema: Any, parents: tuple[str, ...] = ()) -> Any:
    """Point local refs at the whole document so a sub-schema validates on its own. Data
    (`const`, `enum`, examples, extensions) is copied as it is: a `$ref` key there is a value."""
    if isinstance(schema, dict):
        return {
            key: (
                DOCUMENT_URI + value if key in ("$ref", "$dynamicRef") and isinstance(value, str) and value.startswith("#")
                else value if is_data(key, parents, value)
                else _reroot(value, (*parents[-1:], key))
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_reroot(item, parents) for item in schema]
    return schema
