"""Which operation a request is for: one route table, built once at start-up from the contract.

OpenAPI's rule is that concrete paths match before templated ones, whatever their order in the
document (``/pets/mine`` before ``/pets/{id}``), and a template may put literal text around its
parameters within one segment (``/Numbers/{Sid}.json``, ``/files/{name}.{ext}``). Parameter
names are any text but ``}`` (``{pet-id}``, ``{report.id}``). The table therefore orders routes
segment by segment: a literal segment before a segment with a parameter, and among those the one
with more literal text first (``{Sid}.json`` before ``{id}``); ties keep the document's order.

A path is matched on the request's raw (still percent-encoded) path split at ``/``, so an
encoded ``/`` (``%2F``) stays inside its value. Values are handed on still encoded, as sent:
deserializing them (simple, label, matrix: split at the style's delimiters, then decode each
part, so an encoded ``,`` stays inside its item) is the parameters' business
(`mock_server.http.parameters`).

A method the most specific route at a path does not take falls through to the next route that
matches (``DELETE /sessions/refresh`` is ``DELETE /sessions/{id}``'s, as Starlette and Prism
do). A path no route matches is a 404; a path some route matches with none for the method is a
405 whose ``Allow`` lists the methods of the most specific of them (what the contract documents
for that resource). ``HEAD`` is served by ``GET`` where the contract documents no ``HEAD``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_PARAM = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Segment:
    """One segment of a path template: literal text, or a pattern with named parameters."""

    text: str
    names: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Segment:
        names = tuple(_PARAM.findall(text))
        if not names:
            return cls(text)
        pattern, last = [], 0
        for index, found in enumerate(_PARAM.finditer(text)):
            pattern.append(re.escape(text[last:found.start()]))
            pattern.append(f"(?P<p{index}>.+)")  # greedy: /files/a.tar.gz -> name a.tar, ext gz
            last = found.end()
        pattern.append(re.escape(text[last:]))
        return cls(text, names, re.compile("".join(pattern), re.DOTALL))

    @property
    def literal_chars(self) -> int:
        return len(_PARAM.sub("", self.text))

    def match(self, raw: str) -> dict[str, str] | None:
        """The parameters this segment holds in `raw` (percent-encoded), or None if it does not fit."""
        if self.regex is None:
            return {} if unquote(raw) == self.text else None
        found = self.regex.fullmatch(raw)
        if found is None:
            return None
        return {name: found.group(f"p{i}") for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class Route:
    template: str                 # as written in the contract, base path included
    segments: tuple[Segment, ...]
    methods: dict[str, str]       # upper-case method -> operation id
    position: int                 # order in the document, for ties

    @property
    def specificity(self) -> tuple[Any, ...]:
        """Sort key: per segment, literal before templated, then more literal text first."""
        return (tuple((0, 0) if s.regex is None else (1, -s.literal_chars) for s in self.segments), self.position)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] = {}
        for segment, part in zip(self.segments, parts):
            found = segment.match(part)
            if found is None:
                return None
            values.update(found)
        return values


@dataclass
class Match:
    """What routing found: the operation and its raw path parameters, or the methods the path
    takes (empty: no route has this path)."""

    operation_id: str | None
    path_params: dict[str, str]
    allowed: tuple[str, ...] = ()
    template: str | None = None


class RouteTable:
    """Every documented path, ordered concrete-before-templated once, at start-up."""

    def __init__(self, operations: Iterable[Any], base_path: str = "") -> None:
        by_template: dict[str, dict[str, str]] = {}
        for operation in operations:
            template = base_path + operation.path
            by_template.setdefault(template, {})[operation.method.upper()] = operation.operation_id
        routes = [
            Route(template, tuple(Segment.parse(s) for s in _split(template)), methods, position)
            for position, (template, methods) in enumerate(by_template.items())
        ]
        self.routes: tuple[Route, ...] = tuple(sorted(routes, key=lambda r: r.specificity))
        # a parameter never spans a '/': only routes of the request's segment count can match
        self._by_length: dict[int, tuple[Route, ...]] = {}
        for route in self.routes:
            self._by_length[len(route.segments)] = (*self._by_length.get(len(route.segments), ()), route)

    def match(self, method: str, raw_path: str) -> Match:
        """The operation for `method` at `raw_path` (percent-encoded, without the query)."""
        parts = _split(raw_path)
        method = method.upper()
        allowed: tuple[str, ...] | None = None
        head_fallback: Match | None = None
        for route in self._by_length.get(len(parts), ()):
            values = route.match(parts)
            if values is None:
                continue
            if method in route.methods:
                return Match(route.methods[method], values, tuple(route.methods), route.template)
            if method == "HEAD" and "GET" in route.methods and head_fallback is None:
                head_fallback = Match(route.methods["GET"], values, tuple(route.methods), route.template)
            if allowed is None:  # HEAD is answered wherever GET is, so it is allowed there too
                allowed = tuple(sorted({*route.methods, *(("HEAD",) if "GET" in route.methods else ())}))
        if head_fallback is not None:
            return head_fallback
        return Match(None, {}, allowed or ())


def _split(path: str) -> list[str]:
    """Segments of a path; the leading ``/`` gives no empty first segment, a trailing one an
    empty last segment (``/pets/`` is not ``/pets``)."""
    return path[1:].split("/") if path.startswith("/") else path.split("/")


__all__ = ["Match", "Route", "RouteTable", "Segment"]
