"""In-process publish/subscribe between the HTTP side and the other transports.

Handlers publish what happened (``message.created``, ``record.deleted``, the events an operation
declares in ``x-apitwin-events``); the WebSocket fan-out and webhook delivery subscribe. The bus
is deliberately tiny: synchronous callbacks, each isolated so that one failing subscriber cannot
break a request or starve the others.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str                       # "<resource>.created|updated|deleted" or a declared name
    data: dict[str, Any]            # the record (or payload) the event is about
    meta: dict[str, Any] = field(default_factory=dict)  # collection, operation_id, principal id...


Subscriber = Callable[[Event], Any]


class EventBus:
    """Subscribers register for a name pattern (``*`` wildcards: ``message.*``, ``*``)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str, Subscriber]] = []
        self.published: int = 0

    def subscribe(self, pattern: str, subscriber: Subscriber) -> Callable[[], None]:
        """Register `subscriber`; returns a function that unsubscribes it."""
        entry = (pattern, subscriber)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        self.published += 1
        for pattern, subscriber in list(self._subscribers):
            if pattern == "*" or pattern == event.name or fnmatch.fnmatchcase(event.name, pattern):
                try:
                    subscriber(event)
                except Exception:  # a subscriber's bug must not fail the request that published
                    logger.exception("event subscriber for %r failed on %s", pattern, event.name)
