"""Which client message a frame is: by its discriminating constant, then by schema.

A connection carries the messages of every channel at its address (a public feed where every
channel is ``/``), so a frame is looked for among all of them. Messages are told apart by their
discriminating constant (``type: Subscribe``) where they have one; of the messages with the
frame's constant the first the frame is valid against wins, so two messages may share a constant
(``jsonrpc: '2.0'``) and still be told apart by the rest of their schemas. A message without one
is found by its schema alone, in the contract's order.
"""

from __future__ import annotations

from typing import Any

from mock_server.websocket.contract import Message


class Dispatch:
    def __init__(self, messages: list[Message]) -> None:
        self.by_constant: dict[tuple[str, Any], list[Message]] = {}
        self.by_schema: list[Message] = []
        self.binary: Message | None = None
        for message in messages:
            if message.binary:
                self.binary = self.binary or message
            elif message.discriminator is not None:
                self.by_constant.setdefault(message.discriminator, []).append(message)
            else:
                self.by_schema.append(message)
        #: the properties that discriminate, e.g. ["type"]; the first names an unknown frame's type
        self.discriminators = sorted({key[0] for key in self.by_constant})

    def recognise(self, frame: Any) -> tuple[Message | None, Message | None]:
        """(the client message `frame` is, else the message it was meant to be: one whose
        constant it carries but whose schema it breaks; both None for an unknown frame)."""
        meant: list[Message] = []
        if isinstance(frame, dict):
            for prop in self.discriminators:
                value = frame.get(prop)
                if isinstance(value, (str, int, float, bool)):
                    meant += self.by_constant.get((prop, value), [])
        for message in meant:
            if message.validator.is_valid(frame):
                return message, None
        if meant:
            return None, meant[0]
        return next((m for m in self.by_schema if m.validator.is_valid(frame)), None), None

    def type_name(self, frame: Any) -> Any:
        """The value of the first discriminating property, to name an unknown frame's type."""
        if isinstance(frame, dict) and self.discriminators:
            value = frame.get(self.discriminators[0])
            return value if isinstance(value, (str, int, float, bool)) else None
        return None
