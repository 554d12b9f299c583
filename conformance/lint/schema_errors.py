"""JSON Schema validation errors, made into messages a contract author can act on.

A meta-schema such as AsyncAPI's says "a channel is a Reference or a Channel object" with
`oneOf`; jsonschema then reports that nothing matched, which names neither the field nor the
fix. Here such errors are opened up: the branch the instance was meant for (the one that got
furthest into it, never the bare Reference branch) is followed down to its own errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from mock_server.contracts.refs import pointer_join

_MAX_SHOWN = 80


@dataclass(frozen=True)
class SchemaIssue:
    path: tuple[Any, ...]  # where in the validated instance
    message: str


def issues(errors: Iterable[ValidationError]) -> list[SchemaIssue]:
    """The leaf problems behind a set of errors, each once, in document order."""
    found: dict[tuple[tuple[Any, ...], str], SchemaIssue] = {}
    for error in errors:
        for leaf in _leaves(error):
            issue = _describe(leaf)
            found.setdefault((tuple(map(str, issue.path)), issue.message), issue)
    return list(found.values())


def pointer_of(base: str, path: Iterable[Any]) -> str:
    pointer = base
    for part in path:
        pointer = pointer_join(pointer, part)
    return pointer


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branch = _chosen_branch(error)
        if branch:
            for child in branch:
                yield from _leaves(child)
            return
    yield error


def _chosen_branch(error: ValidationError) -> list[ValidationError]:
    branches: dict[Any, list[ValidationError]] = {}
    for child in error.context or []:
        key = child.relative_schema_path[0] if child.relative_schema_path else None
        branches.setdefault(key, []).append(child)

    def score(children: list[ValidationError]) -> tuple[int, int, int]:
        reference_only = all(_is_reference_branch(child) for child in children)
        wrong_type = any(child.validator == "type" and not child.relative_path for child in children)
        depth = max(len(child.absolute_path) for child in children)
        return (0 if reference_only else 1, 0 if wrong_type else 1, depth)

    if not branches:
        return []
    ordered = sorted(branches.values(), key=score, reverse=True)
    if len(ordered) > 1 and score(ordered[0]) == score(ordered[1]):
        return []  # no branch stands out: the oneOf/anyOf message itself is the clearest
    return ordered[0]


def _is_reference_branch(error: ValidationError) -> bool:
    return error.validator == "required" and "'$ref'" in error.message


def _describe(error: ValidationError) -> SchemaIssue:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = _unexpected_keys(error)
        if extra:
            keys = ", ".join(f"'{key}'" for key in extra)
            allowed = " (only x- extensions may be added)" if error.schema.get("patternProperties") else ""
            return SchemaIssue((*path, extra[0]), f"unknown field{'s' if len(extra) > 1 else ''} {keys}{allowed}")
    if error.validator == "unevaluatedProperties":
        match = re.search(r"\('(.+?)' (?:was|were) unexpected\)", error.message)
        if match:
            return SchemaIssue((*path, match.group(1)), f"unknown field '{match.group(1)}'")
    if error.validator in ("oneOf", "anyOf"):
        return SchemaIssue(path, f"{_short(error.instance)} matches none of the allowed forms ({error.validator})")
    if error.validator == "const":
        return SchemaIssue(path, f"must be {_short(error.validator_value)}, found {_short(error.instance)}")
    return SchemaIssue(path, _shorten_message(error.message))


def _unexpected_keys(error: ValidationError) -> list[str]:
    schema = error.schema
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        key for key in error.instance
        if key not in known and not any(p.search(key) for p in patterns)
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _shorten_message(message: str) -> str:
    """The first line of a jsonschema message, with any long instance dump cut short."""
    first = message.splitlines()[0] if message else "invalid"
    return first if len(first) <= 300 else first[:297] + "..."
