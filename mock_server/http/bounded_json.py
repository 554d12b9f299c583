"""The one JSON parser every client-sent document goes through, with limits a client cannot lift.

``json.loads`` recurses once per nesting level: a 100,000-deep ``[[[[...`` body raises
`RecursionError` deep inside the parser (a 500), and a structure just under the interpreter's
recursion limit parses but then breaks schema validation, copying and encoding further on. A
million-key object costs memory and validation time out of all proportion to its bytes. So every
JSON document a client sends (HTTP bodies and JSON parameters, WebSocket frames, GraphQL bodies
and variables) is parsed here, under one set of `JsonLimits`:

- ``max_bytes``: larger is `JsonTooLarge` (status 413), checked before anything is parsed;
- ``max_depth``: nesting of arrays and objects; deeper is `JsonTooDeep` (400). The depth is
  measured on the text before parsing, by a linear scan that skips string literals, so the
  parser never recurses further than the limit;
- ``max_keys``: members of one object; more is `JsonTooManyKeys` (400).

All three are `JsonLimitError`, a `ValueError` like malformed JSON, so a caller that only asks
"is this JSON?" keeps working; a caller that answers the client maps ``error.status``. GraphQL
queries are not JSON but nest the same way: `bracket_depth` measures them with the same limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any


@dataclass(frozen=True)
class JsonLimits:
    """How much JSON a client may send in one document.

    ``max_bytes`` None: the size was capped where the bytes were read (an HTTP body by the API's
    ``max_body_size``, answered 413 there), so only depth and keys are checked here.
    """

    max_bytes: int | None = 1024 * 1024
    max_depth: int = 64
    max_keys: int = 1000

    def sized(self, max_bytes: int | None) -> JsonLimits:
        """The same depth and key limits with another size limit."""
        return replace(self, max_bytes=max_bytes)


#: the limits of every transport of the mock (HTTP bodies also have the API's own body size cap)
LIMITS = JsonLimits()


class JsonLimitError(ValueError):
    """A document beyond one of the limits; `status` is the HTTP status to answer with."""

    status = 400


class JsonTooLarge(JsonLimitError):
    status = 413


class JsonTooDeep(JsonLimitError):
    pass


class JsonTooManyKeys(JsonLimitError):
    pass


# A JSON string literal, escapes included ("unrolled": no alternation, so matching is linear).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}()"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = {ord("["): 1, ord("{"): 1, ord("("): 1, ord("]"): -1, ord("}"): -1, ord(")"): -1}


def bracket_depth(skeleton: bytes | str) -> int:
    """The deepest nesting of ``[]``, ``{}`` and ``()`` in `skeleton` (text without its strings).

    Runs in C (``bytes.translate``, then ``accumulate`` over a ``map``): a megabyte of brackets
    costs milliseconds, and nothing recurses.
    """
    raw = skeleton.encode("utf-8", "surrogatepass") if isinstance(skeleton, str) else bytes(skeleton)
    brackets = raw.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def loads(data: bytes | str, limits: JsonLimits = LIMITS) -> Any:
    """Parse `data` as JSON within `limits`.

    Raises `JsonLimitError` (a `ValueError`) past a limit, `ValueError` for malformed JSON and
    `UnicodeDecodeError` (also a `ValueError`) for bytes that are not UTF-8.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if limits.max_bytes is not None and len(raw) > limits.max_bytes:
        raise JsonTooLarge(f"JSON document of {len(raw)} bytes exceeds the limit of {limits.max_bytes} bytes")
    text = data if isinstance(data, str) else raw.decode("utf-8")
    skeleton = _STRING.sub(b"", raw)
    if len(skeleton) > limits.max_depth and bracket_depth(skeleton) > limits.max_depth:
        raise JsonTooDeep(f"JSON nested deeper than {limits.max_depth} levels")
    if skeleton.count(b":") <= limits.max_keys:  # no object can have more members than that
        return json.loads(text)
    return json.loads(text, object_pairs_hook=_counting_keys(limits.max_keys))


def _counting_keys(max_keys: int) -> Any:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(pairs) > max_keys:
            raise JsonTooManyKeys(f"JSON object with {len(pairs)} members exceeds the limit of {max_keys}")
        return dict(pairs)

    return build


__all__ = ["JsonLimits", "LIMITS", "JsonLimitError", "JsonTooLarge", "JsonTooDeep", "JsonTooManyKeys", "loads", "bracket_depth"]
