"""Scenario control: what a client asks the mock to pretend, and the chaos it may add.

Prism-compatible ``Prefer`` header (parts separated by ``,`` or ``;``):

* ``code=404``: answer that documented status (its example, or data generated from its schema);
* ``example=<name>``: answer the named example of the response;
* ``dynamic=true``: data generated from the schema instead of the document's example;
  ``dynamic=false``: the example where there is one.

``--chaos 0.05`` makes that fraction of requests answer one of the operation's documented error
responses; ``--latency 50-200`` delays every answer by a random time in that range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from mock_server.contracts.schemas import deref


@dataclass(frozen=True)
class Preference:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None

    @property
    def empty(self) -> bool:
        return self.code is None and self.example is None and self.dynamic is None


NO_PREFERENCE = Preference()


def parse_prefer(header: str | None) -> Preference:
    if not header:
        return NO_PREFERENCE
    code = example = dynamic = None
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "code" and value.isdigit():
            code = int(value)
        elif name == "example" and value:
            example = value
        elif name == "dynamic":
            dynamic = value.lower() == "true"
    return Preference(code, example, dynamic)


class ExampleNotFound(LookupError):
    pass


def example_of(media: dict[str, Any], document: dict[str, Any], name: str | None = None) -> tuple[bool, Any]:
    """(found, value) of a media type's named example, or of its first example when unnamed."""
    examples = media.get("examples") or {}
    if name is not None:
        if name not in examples:
            raise ExampleNotFound(name)
        return True, deref(examples[name], document).get("value")
    if "example" in media:
        return True, media["example"]
    for example in examples.values():
        example = deref(example, document)
        if isinstance(example, dict) and "value" in example:
            return True, example["value"]
    return False, None


def chaos_status(documented: list[int], fraction: float, rng: random.Random) -> int | None:
    """A documented error status for this request, `fraction` of the time."""
    if fraction <= 0 or rng.random() >= fraction:
        return None
    errors = [status for status in documented if status >= 400]
    return rng.choice(errors) if errors else None


def latency_seconds(latency: tuple[int, int] | None, rng: random.Random) -> float:
    if not latency:
        return 0.0
    low, high = latency
    return rng.uniform(low, high) / 1000.0
