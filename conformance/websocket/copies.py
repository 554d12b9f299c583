"""What a declared copy promises: the values a server frame must carry from the client's frame.

`x-apitwin-effect` declares copies as `{target path: source expression}`: `reply_copy` for the
reply, `copy` inside `fanout`/`deliver`/`relay` for the delivered frame. A source is a path into
the client's frame (`data.topic`, or `$frame.data.topic`), a quoted or non-string literal, the
first of a list of sources that has a value, or a `$` value the server makes itself (`$now.iso`,
`$uuid`, `$message.id`, `$user.id`, ...). Only what the client can know is expected: frame paths,
literals and the address parameters it connected with (`$param.name`); server-made values are
the schema's to check, never compared with the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.contract import dig

#: the client cannot know this value (the server makes it), so nothing is expected of it
UNKNOWN = object()
#: the source has no value (a path the client's frame does not have): the target is not filled
ABSENT = object()


@dataclass(frozen=True)
class Mismatch:
    target: str
    source: Any
    expected: Any
    actual: Any


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (list indexes as digits), or ABSENT."""
    return dig(value, path, ABSENT)


def expected_value(source: Any, frame: Any, params: dict[str, Any]) -> Any:
    """What the target must hold for this source: a value, ABSENT or UNKNOWN."""
    if isinstance(source, list):
        for alternative in source:
            value = expected_value(alternative, frame, params)
            if value is UNKNOWN:  # the server may have had a value here: it decides, not us
                return UNKNOWN
            if value is not ABSENT and value is not None:
                return value
        return ABSENT
    if not isinstance(source, str):
        return source
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    if source.startswith("$"):
        root, _, rest = source[1:].partition(".")
        if root == "frame":
            return lookup(frame, rest)
        if root == "param" and rest in params:
            return params[rest]
        return UNKNOWN
    return lookup(frame, source)


def mismatches(copies: Any, sent: Any, received: Any, params: dict[str, Any] | None = None) -> list[Mismatch]:
    """Every declared copy the received frame does not carry as the sent frame says it must."""
    if not isinstance(copies, dict) or isinstance(sent, (bytes, str)):
        return []
    found = []
    for target, source in copies.items():
        expected = expected_value(source, sent, params or {})
        if expected is UNKNOWN or expected is ABSENT:
            continue
        actual = lookup(received, str(target))
        if actual != expected:
            found.append(Mismatch(str(target), source, expected, None if actual is ABSENT else actual))
    return found
