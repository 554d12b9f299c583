"""Strings matching a `pattern`, reproducibly and fast.

A pattern is parsed once with the standard library's own regex parser and compiled into
closures over precomputed alphabets, so drawing a string on a hot path costs a few random
choices. Every draw uses the generator's `random.Random`, never the global one. Unbounded
repeats (`+`, `*`, `{n,}`) stay short so ids look like ids (`usr_k3j9x2`); when a length limit
is not met, later attempts draw shorter repeats.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from typing import Any, Callable

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from mock_server.datagen.errors import DataGenError

#: repetitions drawn for an unbounded repeat: UNBOUNDED_MIN .. UNBOUNDED_MIN + UNBOUNDED_EXTRA
UNBOUNDED_MIN = 6
UNBOUNDED_EXTRA = 6
#: cap for a bounded repeat such as `{1,1000}`
BOUNDED_CAP = 40

_PRINTABLE = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
#: what "any character but ..." draws from first: readable text, punctuation only when needed
_READABLE = list(string.ascii_letters + string.digits)
_CATEGORIES = {
    "CATEGORY_DIGIT": list(string.digits),
    "CATEGORY_NOT_DIGIT": list(string.ascii_letters),
    "CATEGORY_SPACE": [" "],
    "CATEGORY_NOT_SPACE": _READABLE,
    "CATEGORY_WORD": list(string.ascii_letters + string.digits + "_"),
    "CATEGORY_NOT_WORD": list("-.,:;!?@#"),
}

Draw = Callable[[random.Random, dict, bool], str]  # (rng, captured groups, short?) -> text


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise DataGenError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None


@lru_cache(maxsize=1024)
def drawer(pattern: str) -> Draw:
    """The compiled drawing function for `pattern` (cached: patterns repeat across schemas)."""
    compiled(pattern)
    try:
        return _sequence(sre_parse.parse(pattern))
    except DataGenError:
        raise
    except Exception as exc:  # the parser accepted it, but the shape is beyond us
        raise DataGenError(f"cannot generate strings for pattern {pattern!r}: {exc}") from None


def _sequence(items: Any) -> Draw:
    parts = [_node(op, av) for op, av in items]
    if len(parts) == 1:
        return parts[0]
    return lambda rng, groups, short: "".join(part(rng, groups, short) for part in parts)


def _node(op: Any, av: Any) -> Draw:
    name = str(op)
    if name == "LITERAL":
        text = chr(av)
        return lambda rng, groups, short: text
    if name == "NOT_LITERAL":
        choices = [c for c in _READABLE if c != chr(av)]
        return lambda rng, groups, short: rng.choice(choices)
    if name == "ANY":
        return lambda rng, groups, short: rng.choice(_READABLE)
    if name == "AT" or name == "ASSERT_NOT":
        return lambda rng, groups, short: ""
    if name == "IN":
        choices = _alphabet(av)
        return lambda rng, groups, short: rng.choice(choices)
    if name == "CATEGORY":
        choices = _CATEGORIES[str(av)]
        return lambda rng, groups, short: rng.choice(choices)
    if name == "BRANCH":
        branches = [_sequence(b) for b in av[1]]
        return lambda rng, groups, short: rng.choice(branches)(rng, groups, short)
    if name == "SUBPATTERN":
        group, body = av[0], _sequence(av[-1])

        def capture(rng: random.Random, groups: dict, short: bool) -> str:
            text = body(rng, groups, short)
            if group:
                groups[group] = text
            return text
        return capture
    if name == "GROUPREF":
        return lambda rng, groups, short: groups.get(av, "")
    if name == "ASSERT":
        return _sequence(av[1])
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, body = av[0], av[1], _sequence(av[2])
        unbounded = high == sre_constants.MAXREPEAT
        capped = min(high, max(low, BOUNDED_CAP)) if not unbounded else 0
        # a run of characters is drawn id-length; a repeated group (`(;a:b)*`) only a few times
        single = len(av[2]) == 1 and str(av[2][0][0]) in ("IN", "LITERAL", "CATEGORY", "ANY", "NOT_LITERAL")
        long_low = max(low, UNBOUNDED_MIN) if single else low
        extra = UNBOUNDED_EXTRA if single else 2

        def repeat(rng: random.Random, groups: dict, short: bool) -> str:
            if unbounded:
                times = rng.randint(low, low + 3) if short else rng.randint(long_low, long_low + extra)
            else:
                times = rng.randint(low, min(capped, low + 3) if short else capped)
            return "".join(body(rng, groups, short) for _ in range(times))
        return repeat
    raise DataGenError(f"unsupported regular expression construct {name}")


def _alphabet(items: Any) -> list[str]:
    chars: list[str] = []
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(av))
        elif name == "RANGE":
            chars.extend(chr(c) for c in range(av[0], min(av[1], av[0] + 2048) + 1))
        elif name == "CATEGORY":
            chars.extend(_CATEGORIES[str(av)])
        else:
            raise DataGenError(f"unsupported character class item {name}")
    if negate:
        excluded = set(chars)
        chars = [c for c in _READABLE if c not in excluded] or [c for c in _PRINTABLE if c not in excluded]
    chars = list(dict.fromkeys(chars))
    if not chars:
        raise DataGenError("a character class that matches nothing")
    return chars


class PatternStrings:
    """Draws strings matching regexes from one seeded `random.Random`."""

    def __init__(self, rng: random.Random):
        self._rng = rng

    def matching(self, pattern: str, min_length: int = 0, max_length: int | None = None,
                 attempts: int = 20) -> str:
        draw, regex = drawer(pattern), compiled(pattern)
        for attempt in range(attempts):
            candidate = draw(self._rng, {}, attempt >= attempts // 2)
            if len(candidate) < min_length:
                candidate += "".join(self._rng.choice(string.ascii_lowercase)
                                     for _ in range(min_length - len(candidate)))
            if (max_length is None or len(candidate) <= max_length) and regex.search(candidate):
                return candidate
        raise DataGenError(
            f"could not produce a string matching {pattern!r} within length "
            f"{min_length}..{max_length if max_length is not None else 'any'}")
