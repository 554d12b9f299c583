"""YAML 1.2 (core schema) for contract files, on libyaml's parser.

OpenAPI 3.1 and AsyncAPI require YAML 1.2, and users write their contracts to it: `18:00` is
the string "18:00" (YAML 1.1 reads it as the sexagesimal number 1080), `yes`/`no`/`on`/`off`
are strings, `010` is ten and `0o17` fifteen. PyYAML only knows YAML 1.1, so plain scalars are
resolved here by the 1.2 core schema: null (`~`, `null`, empty), booleans (`true`/`false` in
three spellings), integers (decimal, `0o` octal, `0x` hex), floats (with `.inf`/`.nan`), and
everything else a string. Timestamps are strings too, as JSON has them.

`load` builds plain Python values straight from libyaml's event stream. PyYAML's own composer
and constructor cost five times the parse itself (a node object with two marks per scalar, a
resolver call, a generic constructor); a vendor contract of several megabytes is read at every
start-up, so the values are made in one tight loop instead. `compose` gives the node tree with
the same resolution, for the places that need line numbers (lint).

YAML merge keys (`<<`) are kept, as YAML 1.1 and most tools read them, because contracts use
them. Anything JSON cannot hold is refused with its line: a mapping or list as a key, a tag
other than the core schema's, an alias to a node that contains it. Nesting is limited to
`MAX_DEPTH` levels, so a hostile file cannot exhaust the stack of whoever walks the result
(`depth_exceeds` applies the same limit to a document parsed as JSON).
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # libyaml is an optional speed-up of PyYAML; the pure-Python parser behaves the same.
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

__all__ = ["load", "compose", "plain_value", "json_key", "depth_exceeds", "DuplicateKey", "MAX_DEPTH"]

#: deepest nesting of mappings and lists a contract may have: far beyond any real contract,
#: and well within what recursive walkers (copying, `$ref` resolution) can take
MAX_DEPTH = 128

_CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+\Z|0o[0-7]+\Z|0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789+-.")
_TAG_OF_TYPE = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str"}


class DuplicateKey(Exception):
    """A key written twice in one mapping (JSON parsers silently keep one: a contract bug)."""

    def __init__(self, key: str, mark: yaml.Mark, mapping_mark: yaml.Mark) -> None:
        super().__init__(key)
        self.key, self.mark, self.mapping_mark = key, mark, mapping_mark


def plain_value(text: str) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    if not text:
        return None
    first = text[0]
    if first in "nN~":
        return None if text in _NULLS else text
    if first in "tTfF":
        found = _BOOLS.get(text)
        return text if found is None else found
    if first in _NUMBER_START:
        if _INT.match(text):
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        special = _SPECIAL_FLOATS.get(text)
        if special is not None:
            return special
    return text


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Is a parsed value (from JSON, say) nested deeper than `limit` mappings and lists?"""
    if not isinstance(value, (dict, list)):
        return False
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                pending.append((child, depth + 1))
    return False


def _tagged(tag: str, text: str, mark: yaml.Mark) -> Any:
    """A scalar with an explicit tag: only the core schema's, as the value must be JSON."""
    if tag == "!" or tag == _CORE + "str":
        return text
    kind = tag[len(_CORE):] if tag.startswith(_CORE) else None
    value = plain_value(text)
    if kind in ("int", "float", "bool", "null"):
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if _TAG_OF_TYPE[type(value)] == kind:
            return value
        raise ConstructorError(None, None, f"'{text}' is not a valid !!{kind}", mark)
    raise ConstructorError(None, None, f"the tag '{tag}' is not supported (contracts hold JSON values)", mark)


def _json_key(value: Any, text: str) -> str:
    """The key JSON would have had: `200` -> "200", `true` -> "true", `null` -> "null"."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return text  # a float key as written: `1.10` stays "1.10"


def json_key(node: ScalarNode) -> str:
    """The key a scalar node of `compose`'s tree stands for, as `load` makes it."""
    if node.style is None and node.tag != _CORE + "str":
        return _json_key(plain_value(node.value), node.value)
    return node.value


class _Frame:
    """An open mapping or list while its events arrive."""

    __slots__ = ("value", "is_map", "key", "has_key", "anchor", "mark", "merges", "merging", "key_mark")

    def __init__(self, value: Any, is_map: bool, anchor: str | None, mark: yaml.Mark) -> None:
        self.value, self.is_map, self.anchor, self.mark = value, is_map, anchor, mark
        self.key: str = ""
        self.has_key = False
        self.merges: list[Any] | None = None
        self.merging = False
        self.key_mark: yaml.Mark | None = None


def load(text: str) -> Any:
    """The single document in `text` as JSON-compatible Python values (None when empty).

    Raises PyYAML's `YAMLError` subclasses (with marks) for malformed YAML and for values JSON
    cannot hold, and `DuplicateKey` for a key written twice in one mapping.
    """
    parser = _Parser(text)
    try:
        return _build(parser)
    finally:
        parser.dispose()


def _build(parser: Any) -> Any:
    get = parser.get_event
    anchors: dict[str, Any] = {}
    frames: list[_Frame] = []
    frame: _Frame | None = None
    result: Any = None
    get()  # StreamStartEvent
    event = get()
    if isinstance(event, StreamEndEvent):
        return None
    if not isinstance(event, DocumentStartEvent):  # pragma: no cover - libyaml guarantees it
        raise ConstructorError(None, None, "expected a document", event.start_mark)
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.tag is None:
                value = plain_value(event.value) if event.implicit[0] else event.value
            else:
                value = _tagged(event.tag, event.value, event.start_mark)
            if event.anchor is not None:
                anchors[event.anchor] = value
            if frame is not None and frame.is_map and not frame.has_key:
                if event.value == "<<" and event.implicit[0] and event.tag is None:
                    frame.merging = True
                frame.key = _json_key(value, event.value)
                frame.key_mark = event.start_mark
                frame.has_key = True
                continue
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            is_map = kind is MappingStartEvent
            if event.tag not in (None, "!", _CORE + ("map" if is_map else "seq")):
                raise ConstructorError(None, None, f"the tag '{event.tag}' is not supported "
                                       "(contracts hold JSON values)", event.start_mark)
            if frame is not None and frame.is_map and not frame.has_key:
                raise ConstructorError("while constructing a mapping", frame.mark,
                                       "found a mapping or list used as a key", event.start_mark)
            if len(frames) >= MAX_DEPTH:
                raise ConstructorError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            if frame is not None:
                frames.append(frame)
            frame = _Frame({} if is_map else [], is_map, event.anchor, event.start_mark)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            assert frame is not None
            value = frame.value
            if frame.merges is not None:
                value = _merged(frame.merges, value)
            if frame.anchor is not None:
                anchors[frame.anchor] = value
            if not frames:
                result = value
                break
            frame = frames.pop()
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                open_anchors = {f.anchor for f in (*frames, frame) if f is not None}
                cause = ("an alias to a node that contains it (a recursive structure, which JSON "
                         "cannot hold)" if event.anchor in open_anchors else f"found undefined alias '{event.anchor}'")
                raise ConstructorError(None, None, cause, event.start_mark)
            value = anchors[event.anchor]
            if frame is not None and frame.is_map and not frame.has_key:
                if not isinstance(value, (str, int, float, bool)) and value is not None:
                    raise ConstructorError("while constructing a mapping", frame.mark,
                                           "found a mapping or list used as a key", event.start_mark)
                frame.key = _json_key(value, str(value))
                frame.key_mark = event.start_mark
                frame.has_key = True
                continue
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            raise ConstructorError(None, None, f"unexpected {kind.__name__}", event.start_mark)
        if frame is None:  # the document is a single scalar
            result = value
            break
        if frame.is_map:
            frame.has_key = False
            if frame.merging:
                frame.merging = False
                _add_merge(frame, value, event.start_mark)
            elif frame.key in frame.value:
                raise DuplicateKey(frame.key, frame.key_mark, frame.mark)
            else:
                frame.value[frame.key] = value
        else:
            frame.value.append(value)
    event = get()
    if not isinstance(event, DocumentEndEvent):  # pragma: no cover - libyaml guarantees it
        raise ConstructorError(None, None, "expected the end of the document", event.start_mark)
    event = get()
    if not isinstance(event, StreamEndEvent):
        raise ConstructorError("expected a single document in the stream", None,
                               "but found another document", event.start_mark)
    return result


def _add_merge(frame: _Frame, value: Any, mark: yaml.Mark) -> None:
    """`<<: *base` or `<<: [*first, *second]` (the first of a list wins, own keys win over all)."""
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(source, dict) for source in sources):
        raise ConstructorError("while constructing a mapping", frame.mark,
                               "expected a mapping or a list of mappings for merging", mark)
    if frame.merges is None:
        frame.merges = []
    frame.merges.extend(reversed(sources))


def _merged(sources: list[dict[str, Any]], own: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for source in sources:
        merged.update(source)
    merged.update(own)
    return merged


class _Composer(_Parser):  # type: ignore[misc, valid-type]
    """PyYAML's node composer with plain scalars resolved by the YAML 1.2 core schema."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                if value == "<<":
                    return _CORE + "merge"
                return _CORE + _TAG_OF_TYPE[type(plain_value(value))]
            return _CORE + "str"
        return _CORE + ("seq" if kind is SequenceNode else "map")


def compose(text: str) -> yaml.Node | None:
    """The node tree of the single document in `text` (marks give lines), 1.2-resolved."""
    loader = _Composer(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()

