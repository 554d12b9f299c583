"""GraphQL over HTTP from an SDL file, resolved against the same store as the REST side.

An OpenAPI operation declaring ``x-apitwin-graphql: schema.graphql`` (POST with a JSON body
``{query, variables, operationName}``, or GET with the same as query parameters) is executed
with graphql-core. Resolution is generic, by convention over the store:

- an object type maps to the collection named after it (``User`` -> ``users``, ``Post`` ->
  ``posts``); a field ``createdAt`` reads the record's ``created_at`` (or ``createdAt``);
- a root field with an ``id`` argument returns that record (null when absent);
- a field whose type is a Relay connection (``edges { cursor node }``, ``pageInfo``,
  ``totalCount``) pages the collection of the node type with ``first`` (0..100) and
  ``after`` (an unknown cursor has nothing after it); on an
  object it holds the records that point back at it (a ``<type>_id``, ``author_id``,
  ``user_id`` or ``owner_id`` field equal to the parent's id), newest first;
- an object-typed field ``author`` reads the record its ``author_id`` names.

A child collection the store does not hold yet (e.g. posts for a user) is generated once per
parent, deterministically from ``--seed``, and stored, so later queries see the same records.
Authentication and rate limits are the REST operation's; every error is in the GraphQL
``errors`` format (the operation's ``x-apitwin-errors`` envelope for HTTP-level errors).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute,
    get_named_type,
    parse,
    validate,
)
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, OperationDefinitionNode

from mock_server.http import bounded_json
from mock_server.http.errors import ErrorFormat, MockError

FOREIGN_KEYS = ("{parent}_id", "author_id", "user_id", "owner_id")
MAX_PAGE = 100
#: a query's tokens: each costs the parser and validator some work, so their number is capped
MAX_QUERY_TOKENS = 10_000
# What a GraphQL document holds that is not structure: block strings, strings and comments.
_NOT_STRUCTURE = re.compile(r'"""[\s\S]*?(?<!\\)"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|#[^\n\r]*')


def check_query_depth(query: str) -> None:
    """Refuse a query nested deeper than the mock's JSON depth limit, before graphql-core's
    recursive parser sees it (a deep ``{a{a{a...`` would otherwise exhaust the Python stack)."""
    depth = bounded_json.bracket_depth(_NOT_STRUCTURE.sub("", query))
    if depth > bounded_json.LIMITS.max_depth:
        raise MockError(400, f"Query nested deeper than {bounded_json.LIMITS.max_depth} levels")


def selection_depth(document: Any) -> int:
    """How deep `document` nests, fragment spreads followed: a chain of fragments, each shallow,
    can nest the execution (and the answer) deeper than any one of them does, and graphql-core's
    own validation follows such a chain recursively. So a spread counts as a level too.

    Iterative, so a long chain of fragments cannot exhaust the stack here; a fragment cycle
    counts once (graphql-core's validation reports it).
    """
    own: dict[Any, int] = {}
    spreads: dict[Any, list[tuple[int, str]]] = {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    for definition in document.definitions:
        deepest, found = 0, []
        stack = [(definition.selection_set, 0)] if getattr(definition, "selection_set", None) else []
        while stack:
            selection_set, level = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FragmentSpreadNode):
                    found.append((level + 1, selection.name.value))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, level))
                elif selection.selection_set is not None:
                    deepest = max(deepest, level + 1)
                    stack.append((selection.selection_set, level + 1))
        own[definition], spreads[definition] = deepest, found
    depth: dict[Any, int] = {}
    for root in document.definitions:
        stack = [(root, False)]
        visiting: set[Any] = set()
        while stack:
            node, expanded = stack.pop()
            if node in depth:
                continue
            children = [fragments[name] for _, name in spreads[node] if name in fragments]
            if not expanded:
                visiting.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in children if child not in depth and child not in visiting)
                continue
            visiting.discard(node)
            through = [level + depth.get(fragments[name], 0) for level, name in spreads[node] if name in fragments]
            depth[node] = max([own[node], *through])
    return max(depth.values(), default=0)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def collection_of(type_name: str) -> str:
    name = snake(type_name)
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    return name if name.endswith("s") else name + "s"


def is_connection(graphql_type: Any) -> bool:
    named = get_named_type(graphql_type)
    return isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= set(named.fields)


def node_type(connection: Any) -> GraphQLObjectType:
    edges = get_named_type(connection).fields["edges"].type
    return get_named_type(get_named_type(edges).fields["node"].type)  # type: ignore[return-value]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(f"cursor:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text[len("cursor:"):] if text.startswith("cursor:") else None


class StoreResolver:
    """Resolves any field of the schema against the runtime's store (see the module docstring)."""

    def __init__(self, runtime: Any, schema: GraphQLSchema) -> None:
        self.runtime = runtime
        self.schema = schema

    def resolve(self, parent: Any, info: Any, **args: Any) -> Any:
        field = info.parent_type.fields[info.field_name]
        return_type = field.type
        if is_connection(return_type):
            return self.connection(parent, info.parent_type, node_type(return_type), args)
        named = get_named_type(return_type)
        if parent is None or info.parent_type is self.schema.query_type:
            if isinstance(named, GraphQLObjectType) and "id" in args:
                return self.runtime.store.get(collection_of(named.name), args["id"])
            if isinstance(named, GraphQLObjectType) and _is_list(return_type):
                return self.runtime.store.list(collection_of(named.name))
            return None
        if not isinstance(parent, dict):
            return None
        for key in (info.field_name, snake(info.field_name)):
            if key in parent:
                return parent[key]
        if isinstance(named, GraphQLObjectType):
            reference = parent.get(f"{snake(info.field_name)}_id")
            if reference is not None:
                return self.runtime.store.get(collection_of(named.name), reference)
        return None

    def connection(self, parent: Any, parent_type: GraphQLObjectType, node: GraphQLObjectType, args: dict[str, Any]) -> dict[str, Any]:
        first = args.get("first")
        if first is not None:  # the schema's bound: at most MAX_PAGE, never negative
            first = max(0, min(int(first), MAX_PAGE))
        collection = collection_of(node.name)
        if isinstance(parent, dict) and parent_type is not self.schema.query_type:
            records = self.children(parent, parent_type, node, collection)
            records.sort(key=lambda r: str(r.get("created_at", "")), reverse=True)
        else:
            records = self.runtime.store.list(collection)
        key = self.runtime.store.key_of(collection)
        start = 0
        if args.get("after"):
            after = decode_cursor(str(args["after"]))
            ids = [str(r.get(key)) for r in records]
            # a cursor this connection never gave out (or of a deleted record): nothing follows it
            start = ids.index(after) + 1 if after in ids else len(records)
        end = len(records) if first is None else start + first
        page = records[start:end]
        edges = [{"cursor": encode_cursor(r.get(key)), "node": r} for r in page]
        return {
            "edges": edges,
            "totalCount": len(records),
            "pageInfo": {
                "hasNextPage": end < len(records),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    def children(self, parent: dict[str, Any], parent_type: GraphQLObjectType, node: GraphQLObjectType, collection: str) -> list[dict[str, Any]]:
        parent_id = parent.get("id")
        keys = [k.format(parent=snake(parent_type.name)) for k in FOREIGN_KEYS]
        store = self.runtime.store

        def mine() -> list[dict[str, Any]]:
            return store.find(collection, lambda r: any(r.get(k) == parent_id for k in keys))

        found = mine()
        if not found:  # generation is deterministic, so after a reset the same records return
            self.generate(collection, node, keys, parent_id, parent_type)
            found = mine()
        return found

    def generate(self, collection: str, node: GraphQLObjectType, keys: list[str], parent_id: Any, parent_type: GraphQLObjectType) -> None:
        """Made-up children of one parent, the same for the same --seed."""
        from mock_server.datagen import DataGenerator

        seed = zlib.crc32(f"{self.runtime.settings.seed}:{collection}:{parent_id}".encode())
        generator = DataGenerator(seed=seed)
        schema = object_schema(node, parent_type)
        owner_key = next((k for k in keys if k != keys[0] and k[:-3] in {snake(n) for n in node.fields}), keys[0])
        count = 2 + seed % 9
        for index in range(count):
            record = generator.record(schema, overrides={owner_key: parent_id})
            record["id"] = f"{collection[:4]}_{parent_id}_{index + 1}"
            self.runtime.store.insert(collection, record)


def object_schema(node: GraphQLObjectType, parent_type: GraphQLObjectType) -> dict[str, Any]:
    """A JSON Schema for the scalar fields of a GraphQL object type (for made-up records)."""
    properties: dict[str, Any] = {}
    required = []
    for name, field in node.fields.items():
        named = get_named_type(field.type)
        kind = {"String": {"type": "string"}, "ID": {"type": "string"}, "Int": {"type": "integer", "minimum": 0, "maximum": 100000},
                "Float": {"type": "number"}, "Boolean": {"type": "boolean"}}.get(named.name)
        if kind is None or _is_list(field.type):
            continue
        key = snake(name)
        if key.endswith("_at"):
            kind = {"type": "string", "format": "date-time"}
        properties[key] = kind
        required.append(key)
    return {"type": "object", "properties": properties, "required": required}


def _is_list(graphql_type: Any) -> bool:
    while isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


class GraphQLApp:
    """The ASGI app behind every ``x-apitwin-graphql`` operation of one API."""

    def __init__(self, runtime: Any, schema: GraphQLSchema) -> None:
        self.runtime = runtime
        self.schema = schema
        self.resolver = StoreResolver(runtime, schema)
        base = ErrorFormat(runtime.declarations.get("errors"))
        self.errors: dict[str, ErrorFormat] = {}
        for op_id, operation in runtime.operations.items():
            declared = operation.extension("x-apitwin-graphql")
            if declared:
                own = operation.extension("x-apitwin-errors")
                self.errors[op_id] = ErrorFormat(own, base=base) if own else base
        self.base_errors = base

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = scope["apitwin.request"]
        errors = self.errors.get(request.operation_id, self.base_errors)
        headers: dict[str, str] = {}
        try:
            operation = self.runtime.operations[request.operation_id]
            principal = self._authenticate(request, operation)
            self._rate_limit(request, operation, principal, headers)
            status, body = self.execute(request)
        except MockError as error:
            status, body, extra = errors.render(error)
            headers.update(extra)
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        raw += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": data if request.method != "HEAD" else b""})

    def _authenticate(self, request: Any, operation: Any) -> Any:
        try:
            return self.runtime.authenticator.authenticate(request.headers, dict(request.query_pairs), operation.security)
        except Exception as error:
            if not hasattr(error, "status"):
                raise
            raise MockError(int(error.status), getattr(error, "message", None), details=getattr(error, "details", None) or None,
                            headers=getattr(error, "headers", None)) from None

    def _rate_limit(self, request: Any, operation: Any, principal: Any, headers: dict[str, str]) -> None:
        client = str(getattr(principal, "user_id", None) or request.client)
        decision = self.runtime.limiter.check(operation.operation_id, client)
        if decision is None:
            return
        headers.update({"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(max(0, decision.remaining)),
                        "X-RateLimit-Reset": str(decision.reset)})
        if not decision.allowed:
            retry = str(max(1, decision.retry_after))
            raise MockError(429, "Too many requests", headers={"Retry-After": retry})

    def execute(self, request: Any) -> tuple[int, dict[str, Any]]:
        query, variables, operation_name = self._graphql_request(request)
        check_query_depth(query)
        try:
            document = parse(query, max_tokens=MAX_QUERY_TOKENS)
        except GraphQLError as error:
            return 200, {"errors": [error.formatted]}
        if selection_depth(document) > bounded_json.LIMITS.max_depth:
            raise MockError(400, f"Query nested deeper than {bounded_json.LIMITS.max_depth} levels through its fragments")
        problems = validate(self.schema, document)
        if problems:
            return 200, {"errors": [p.formatted for p in problems]}
        if request.method == "GET" and any(
            isinstance(d, OperationDefinitionNode) and d.operation.value != "query" for d in document.definitions
        ):
            raise MockError(405, "Only queries may be sent with GET", headers={"Allow": "POST"})
        result = execute(self.schema, document, variable_values=variables, operation_name=operation_name,
                         field_resolver=self.resolver.resolve)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        body["data"] = result.data
        return 200, body

    def _graphql_request(self, request: Any) -> tuple[str, dict[str, Any] | None, str | None]:
        if request.method == "GET":
            params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        else:
            media = (request.content_type or "").split(";")[0].strip().lower()
            if media == "application/graphql":
                return request.body.decode("utf-8", "replace"), None, None
            if media not in ("application/json", "") and not media.endswith("+json"):
                raise MockError(415, f"Unsupported media type {media}; send application/json")
            try:  # the body's size was capped when it was read
                params = bounded_json.loads(request.body or b"null", bounded_json.LIMITS.sized(None))
            except bounded_json.JsonLimitError as error:
                raise MockError(error.status, f"Body refused: {error}") from None
            except ValueError:
                raise MockError(400, "Body is not valid JSON.") from None
            if not isinstance(params, dict):
                raise MockError(400, "Body must be a JSON object with a query.")
        query = params.get("query")
        if not isinstance(query, str) or not query.strip():
            raise MockError(400, "Must provide query string.")
        variables = params.get("variables")
        if isinstance(variables, str):
            try:
                variables = bounded_json.loads(variables) if variables else None
            except bounded_json.JsonLimitError as error:
                raise MockError(error.status, f"Variables refused: {error}") from None
            except ValueError:
                raise MockError(400, "Variables are invalid JSON.") from None
        if variables is not None and not isinstance(variables, dict):
            raise MockError(400, "Variables must be a JSON object.")
        name = params.get("operationName")
        return query, variables, name if isinstance(name, str) and name else None


def build_endpoint(runtime: Any, sdl_path: Path) -> GraphQLApp:
    return GraphQLApp(runtime, build_schema(sdl_path.read_text(encoding="utf-8")))
