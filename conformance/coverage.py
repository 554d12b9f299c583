"""How much of the contract a run exercised: what was documented, and what was actually seen.

Every item the contracts document is listed first with no hits (`Coverage.document`), then each
observation of a run adds hits to it (`Coverage.observe`); an observation of something the
contract does not document adds nothing. So a figure always reads "of what the document states,
this much was seen", and a target that answers only 200 and 500 cannot raise it by answering
undocumented statuses.

The kinds of item:

- `status`: an operation × a documented response key (`200`, `4XX`, `default`), hit by a
  response whose status the contract maps to that key (its own code, else its range, else
  `default`, the same rule the checks apply);
- `parameter`: an operation's documented parameter (`query:page`, `header:X-Request-Id`), hit
  by a request that carried it;
- `property`: a documented request body property (`body:title`, nested ones as `body:meta.tags`,
  array items as `body:items[].id`), hit by a request body that had it;
- `message`: an AsyncAPI message of a channel, `to server:` (a frame the suite sent that matches
  the message's schema) or `from server:` (a frame it received that does);
- `field`: a GraphQL object type's field (`Query.notes`, `Note.title`), hit by a query selecting it;
- `check`: a named check that applies to a transport the run tested, hit each time it ran.

The headline is the share of documented operation×status pairs observed; a contract without
HTTP operations falls back to messages, then GraphQL fields (`HEADLINE_ORDER`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import pointer_get

KINDS = ("status", "parameter", "property", "message", "field", "check")
HEADLINE_ORDER = ("status", "message", "field")
LABELS = {
    "status": "documented operation×status pairs observed",
    "parameter": "documented parameters sent",
    "property": "documented request body properties sent",
    "message": "documented WebSocket messages sent and received",
    "field": "GraphQL fields queried",
    "check": "named checks run",
}
#: how deep request bodies (and their schemas) are followed for nested properties
MAX_PROPERTY_DEPTH = 3
#: a generated GraphQL query is parsed only up to this many tokens
MAX_QUERY_TOKENS = 10_000

Key = tuple[str, str, str]  # (kind, group, name)


@dataclass
class Figure:
    """One kind's share: `covered` of `total` documented items seen at least once."""

    covered: int
    total: int

    @property
    def ratio(self) -> float:
        """The exact share in percent (0 when nothing is documented), what --min-coverage compares."""
        return 100.0 * self.covered / self.total if self.total else 0.0

    @property
    def percent(self) -> float | None:
        """For display: one decimal, rounded down, so 2999 of 3000 never shows as 100%."""
        return None if not self.total else math.floor(1000 * self.covered / self.total) / 10

    def to_dict(self) -> dict:
        return {"covered": self.covered, "total": self.total, "percent": self.percent}


@dataclass
class Timing:
    """Requests sent to one operation and how long their answers took."""

    requests: int = 0
    seconds: float = 0.0
    slowest: float = 0.0

    def add(self, elapsed: float) -> None:
        self.requests += 1
        self.seconds += elapsed
        self.slowest = max(self.slowest, elapsed)

    def to_dict(self) -> dict:
        mean = self.seconds / self.requests if self.requests else 0.0
        return {"requests": self.requests, "mean_ms": round(mean * 1000, 1), "slowest_ms": round(self.slowest * 1000, 1)}


@dataclass
class Coverage:
    """Documented items of each kind with how often the run hit them, plus per-group timings."""

    hits: dict[Key, int] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)

    def document(self, kind: str, group: str, name: str) -> None:
        self.hits.setdefault((kind, group, name), 0)

    def observe(self, kind: str, group: str, name: str, count: int = 1) -> bool:
        """Count a hit on a documented item; False (and nothing counted) for anything else."""
        key = (kind, group, name)
        if key not in self.hits:
            return False
        self.hits[key] += count
        return True

    def figure(self, kind: str) -> Figure:
        counts = [hits for (k, _, _), hits in self.hits.items() if k == kind]
        return Figure(covered=sum(1 for hits in counts if hits), total=len(counts))

    def headline(self) -> tuple[str, Figure]:
        """The figure `--min-coverage` is held to (see the module docstring)."""
        for kind in HEADLINE_ORDER:
            figure = self.figure(kind)
            if figure.total:
                return kind, figure
        return HEADLINE_ORDER[0], Figure(0, 0)

    def groups(self, kind: str) -> dict[str, dict[str, int]]:
        """{group: {name: hits}} for one kind, in the order documented."""
        grouped: dict[str, dict[str, int]] = {}
        for (k, group, name), hits in self.hits.items():
            if k == kind:
                grouped.setdefault(group, {})[name] = hits
        return grouped

    def merge(self, other: "Coverage") -> None:
        for key, hits in other.hits.items():
            self.hits[key] = self.hits.get(key, 0) + hits
        for group, timing in other.timings.items():
            mine = self.timings.setdefault(group, Timing())
            mine.requests += timing.requests
            mine.seconds += timing.seconds
            mine.slowest = max(mine.slowest, timing.slowest)

    def to_dict(self) -> dict:
        kind, figure = self.headline()
        return {
            "headline": {"kind": kind, "label": LABELS[kind], **figure.to_dict()},
            "summary": {name: {"label": LABELS[name], **self.figure(name).to_dict()} for name in KINDS},
            "items": [
                {"kind": k, "group": group, "name": name, "hits": hits} for (k, group, name), hits in self.hits.items()
            ],
            "timings": {group: timing.to_dict() for group, timing in self.timings.items()},
        }


# ---- HTTP (OpenAPI operations, as Schemathesis loaded them) ---------------------------------
def status_key(keys: Iterable[str], status: int) -> str | None:
    """The documented response key a status falls under: its own, its range, else `default`."""
    keys = list(keys)
    for candidate in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if candidate in keys:
            return candidate
    return None


def schema_paths(
    schema: Any, resolve: Callable[[Any], Any], prefix: str = "", depth: int = 0, within: frozenset[int] = frozenset()
) -> list[str]:
    """Dotted names of the properties a JSON schema documents (`allOf`/`anyOf`/`oneOf` merged,
    array items as `name[]`), down to MAX_PROPERTY_DEPTH; a schema that contains itself (through
    `$ref`) is followed once."""
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth >= MAX_PROPERTY_DEPTH or id(schema) in within:
        return []
    within = within | {id(schema)}
    names: list[str] = []
    for combinator in ("allOf", "anyOf", "oneOf"):
        parts = schema.get(combinator)
        for part in parts if isinstance(parts, list) else ():
            names += schema_paths(part, resolve, prefix, depth, within)
    if prefix:
        names += schema_paths(schema.get("items"), resolve, prefix + "[]", depth, within)
    properties = schema.get("properties")
    for name, sub in (properties.items() if isinstance(properties, dict) else ()):
        path = f"{prefix}.{name}" if prefix else str(name)
        names.append(path)
        names += schema_paths(sub, resolve, path, depth + 1, within)
    return list(dict.fromkeys(names))


def value_paths(value: Any, prefix: str = "", depth: int = 0) -> set[str]:
    """The dotted names a request body actually carried, named as `schema_paths` names them."""
    found: set[str] = set()
    if depth >= MAX_PROPERTY_DEPTH:
        return found
    if isinstance(value, dict):
        for name, sub in value.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            found.add(path)
            found |= value_paths(sub, path, depth + 1)
    elif isinstance(value, list) and prefix:
        for item in value[:50]:
            found |= value_paths(item, prefix + "[]", depth)
    return found


class HttpCoverage:
    """Documents a Schemathesis OpenAPI schema's operations and reads each finished scenario's
    recorded cases and responses."""

    def __init__(self, coverage: Coverage, schema: Any) -> None:
        self.coverage = coverage
        self.document_root = getattr(schema, "raw_schema", None) or {}
        self.statuses: dict[str, list[str]] = {}
        #: operation -> {"header:x-trace": "header:X-Trace", "query:page": "query:page"}: documented
        #: parameters by how a request names them (header names in any case)
        self.parameters: dict[str, dict[str, str]] = {}
        for result in schema.get_all_operations():
            operation = _ok(result)
            if operation is not None:
                self.document(operation)

    def resolver(self, schema: Any) -> Callable[[Any], Any]:
        """Follows local `$ref`s in a body schema: Schemathesis bundles the referenced schemas
        into the schema itself (`#/x-bundled/...`); others point into the whole document."""
        roots = [schema, self.document_root]

        def resolve(node: Any) -> Any:
            seen: set[str] = set()
            while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
                ref = node["$ref"]
                if ref in seen:
                    return {}
                seen.add(ref)
                node = next((found for found in (_pointer(root, ref) for root in roots) if found is not None), {})
            return node

        return resolve

    def document(self, operation: Any) -> None:
        label = operation.label
        definition = getattr(operation.definition, "raw", None) or {}
        keys = [str(key) for key in (definition.get("responses") or {})]
        self.statuses[label] = keys
        for key in keys:
            self.coverage.document("status", label, key)
        for parameter in operation.iter_parameters():
            location = str(getattr(parameter.location, "value", parameter.location))
            name = f"{location}:{parameter.name}"
            self.parameters.setdefault(label, {})[_wire_name(location, str(parameter.name))] = name
            self.coverage.document("parameter", label, name)
        for body in operation.body:
            schema = (getattr(body, "definition", None) or {}).get("schema")
            for path in schema_paths(schema, self.resolver(schema)):
                self.coverage.document("property", label, f"body:{path}")

    def observe(self, recorder: Any) -> None:
        """Fold one scenario: every case that was sent, with its response if one came."""
        for case_id, node in recorder.cases.items():
            interaction = recorder.interactions.get(case_id)
            if interaction is None:
                continue  # built but never sent
            case = node.value
            label = case.operation.label
            self.observe_request(label, case)
            response = interaction.response
            if response is not None:
                key = status_key(self.statuses.get(label, ()), response.status_code)
                if key is not None:
                    self.coverage.observe("status", label, key)
                self.coverage.timings.setdefault(label, Timing()).add(float(response.elapsed or 0.0))

    def observe_request(self, label: str, case: Any) -> None:
        documented = self.parameters.get(label, {})
        for location, values in (("query", case.query), ("path", case.path_parameters), ("header", case.headers), ("cookie", case.cookies)):
            for name in values or {}:
                key = documented.get(_wire_name(location, str(name)))
                if key is not None:
                    self.coverage.observe("parameter", label, key)
        if isinstance(case.body, dict):
            for path in value_paths(case.body):
                self.coverage.observe("property", label, f"body:{path}")


def _wire_name(location: str, name: str) -> str:
    return f"{location}:{name.lower() if location == 'header' else name}"


def _pointer(root: Any, ref: str) -> Any:
    try:
        return pointer_get(root, ref)
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def _ok(result: Any) -> Any:
    try:
        return result.ok()
    except Exception:  # an operation Schemathesis could not load is not documented coverage
        return None


# ---- GraphQL --------------------------------------------------------------------------------
class GraphqlCoverage:
    """Documents every field of the SDL's object types and reads the queries the phase sent."""

    def __init__(self, coverage: Coverage, sdl: str) -> None:
        from graphql import GraphQLObjectType, build_schema

        self.coverage = coverage
        self.schema = build_schema(sdl)
        for name, kind in self.schema.type_map.items():
            if isinstance(kind, GraphQLObjectType) and not name.startswith("__"):
                for field_name in kind.fields:
                    coverage.document("field", name, field_name)

    def observe(self, recorder: Any) -> None:
        for case_id, node in recorder.cases.items():
            if case_id in recorder.interactions:
                body = node.value.body
                query = body.get("query") if isinstance(body, dict) else body
                if isinstance(query, str):
                    self.observe_query(query)

    def observe_query(self, query: str) -> None:
        from graphql import GraphQLError, TypeInfo, TypeInfoVisitor, Visitor, get_named_type, parse, visit

        try:
            document = parse(query, no_location=True, max_tokens=MAX_QUERY_TOKENS)
        except GraphQLError:
            return
        info = TypeInfo(self.schema)
        coverage = self.coverage

        class Fields(Visitor):
            def enter_field(self, node: Any, *_: Any) -> None:
                parent = info.get_parent_type()
                if parent is not None:
                    coverage.observe("field", get_named_type(parent).name, node.name.value)

        visit(document, TypeInfoVisitor(info, Fields()))


# ---- WebSocket ------------------------------------------------------------------------------
TO_SERVER, FROM_SERVER = "to server", "from server"


def ws_group(address: str) -> str:
    return f"WS {address}"


def document_asyncapi(coverage: Coverage, contract: Any) -> None:
    """Every channel's messages, in both directions (`contract` is an AsyncContract)."""
    for channel in contract.endpoints():
        for message in contract.client_messages(channel):
            coverage.document("message", ws_group(channel.address), f"{TO_SERVER}: {message.name}")
        for message in contract.server_messages(channel):
            coverage.document("message", ws_group(channel.address), f"{FROM_SERVER}: {message.name}")


def observe_frame(coverage: Coverage, contract: Any, channel: Any, direction: str, frame: Any) -> None:
    """A frame counts for each documented message of its direction whose schema it matches."""
    if isinstance(frame, (str, bytes)):
        try:
            frame = json.loads(frame)
        except ValueError:
            return
    messages = contract.client_messages(channel) if direction == TO_SERVER else contract.server_messages(channel)
    for message in messages:
        if contract.valid(message, frame):
            coverage.observe("message", ws_group(channel.address), f"{direction}: {message.name}")


# ---- named checks ---------------------------------------------------------------------------
def count_checks(coverage: Coverage, checks: Iterable[Any], tallies: dict[tuple[str, str], Any]) -> None:
    """Each enabled check of a tested transport, hit once per time it ran on any operation."""
    runs: dict[str, int] = {}
    for (_, check), tally in tallies.items():
        runs[check] = runs.get(check, 0) + tally.passed + tally.failed
    for info in checks:
        coverage.document("check", info.transport, info.name)
        coverage.observe("check", info.transport, info.name, runs.get(info.name, 0))


def percent_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}%"



# ---- following a Schemathesis run -----------------------------------------------------------
class EngineFollower:
    """Feeds a Schemathesis engine's events to a coverage observer and, given `timings`, times
    its phases there (phase name -> seconds; a phase that did not run is left out)."""

    PHASES = ("examples", "coverage", "fuzzing", "stateful")

    def __init__(self, observer: HttpCoverage | GraphqlCoverage, timings: dict[str, float] | None = None) -> None:
        self.observer = observer
        self.timings = timings if timings is not None else {}
        self.started: dict[str, float] = {}

    def __call__(self, event: Any) -> None:
        from schemathesis.engine import events

        if isinstance(event, events.ScenarioFinished):
            self.observer.observe(event.recorder)
        elif isinstance(event, (events.PhaseStarted, events.PhaseFinished)):
            name = str(event.phase.name.value)
            if name not in self.PHASES:
                return
            if isinstance(event, events.PhaseStarted):
                self.started[name] = event.timestamp
            elif name in self.started and event.status.value != "skip":
                self.timings[name] = event.timestamp - self.started.pop(name)
