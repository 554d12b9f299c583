"""Content negotiation: which of a response's documented media types answers a request's
``Accept`` (RFC 9110 §12.5.1).

Each offered type takes the ``q`` of the most specific range that matches it (``type/subtype``
before ``type/*`` before ``*/*``; a range with parameters must match them too); ``q=0`` refuses a
type. The best ``q`` wins; among equals the type the client listed first, then a JSON type (the
mock's native form), then the contract's order. No ``Accept`` (or one that cannot be parsed)
accepts everything.
"""

from __future__ import annotations

from dataclasses import dataclass

#: an Accept header longer than this is read only up to here (a header is not a place for data)
MAX_ACCEPT_LENGTH = 4096
MAX_RANGES = 64


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float
    index: int

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 3 if self.params else 2

    def matches(self, media_type: str) -> bool:
        kind, subtype, params = split_media_type(media_type)
        if "*" not in (self.type, kind) and self.type != kind:
            return False
        if "*" not in (self.subtype, subtype) and self.subtype != subtype:
            return False
        offered = dict(params)
        return all(offered.get(name) == value for name, value in self.params)


def split_media_type(media_type: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """``'Application/XML; charset=utf-8'`` -> ``('application', 'xml', (('charset', 'utf-8'),))``."""
    essence, *rest = media_type.split(";")
    kind, _, subtype = essence.strip().lower().partition("/")
    params = []
    for part in rest:
        name, _, value = part.partition("=")
        if name.strip():
            params.append((name.strip().lower(), value.strip().strip('"').lower()))
    return kind or "*", subtype or "*", tuple(params)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The ranges of an ``Accept`` header ([] for none, or for one with no usable range)."""
    if not header:
        return []
    ranges = []
    for index, part in enumerate(header[:MAX_ACCEPT_LENGTH].split(",")[:MAX_RANGES]):
        if "/" not in part.split(";", 1)[0]:
            continue  # not a media range: ignored, as an unreadable Accept is
        kind, subtype, params = split_media_type(part)
        q, kept = 1.0, []
        for name, value in params:
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 1.0
            else:
                kept.append((name, value))
        ranges.append(MediaRange(kind, subtype, tuple(kept), q, index))
    return ranges


def is_json(media_type: str) -> bool:
    """``application/json``, ``application/problem+json``, ``text/json``, ``*/*+json``."""
    _, subtype, _ = split_media_type(media_type)
    return subtype == "json" or subtype.endswith("+json")


def choose(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers, or None when it accepts none of them.

    With no ``Accept`` the first JSON type is chosen, else the first offered one.
    """
    if not offered:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        return next((t for t in offered if is_json(t)), offered[0])
    best, best_key = None, None
    for position, media_type in enumerate(offered):
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        top = max(matching, key=lambda r: (r.specificity, -r.index))
        if top.q <= 0:
            continue
        key = (top.q, -top.index, top.specificity, is_json(media_type), -position)
        if best_key is None or key > best_key:
            best, best_key = _concrete(media_type, top), key
    return best


def _concrete(offered: str, accepted: MediaRange) -> str:
    """A documented wildcard (``*/*``, ``image/*``) answered as the type the client named."""
    kind, subtype, _ = split_media_type(offered)
    if "*" not in (kind, subtype):
        return offered
    kind = accepted.type if kind == "*" else kind
    subtype = accepted.subtype if subtype == "*" else subtype
    if "*" in (kind, subtype):
        return "application/json" if (kind, subtype) == ("*", "*") else "application/octet-stream"
    return f"{kind}/{subtype}"


def acceptable(accept: str | None, media_type: str) -> bool:
    """Whether the client takes `media_type` at all."""
    return choose(accept, [media_type]) is not None
