"""Whom the suite is logged in as: every value that names that principal.

A server names its user in its login answer (`user: {id, username}`), in the token's claims
(`sub`, `user_id`, `preferred_username`, `email`) or through a `me`-style operation; the
credentials the suite logged in with name it too. The guard treats a path or body value equal
to any of these as the principal's own resource, which the suite must never change.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

IDENTITY_KEYS = ("id", "user_id", "userId", "uid", "sub", "username", "preferred_username", "email", "login", "account_id")
PRINCIPAL_KEYS = ("user", "account", "principal", "profile", "me", "data")
#: path shapes of an operation that answers "who am I" (no parameters, read-only)
ME_PATH = re.compile(r"/(me|self|whoami|userinfo|profile|account|current[-_]?user)/?$", re.IGNORECASE)
MAX_DEPTH = 3


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, unverified (the suite only reads whom it names); {} if not a JWT."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def names_in(data: Any, depth: int = 0) -> set[str]:
    """Identity values in an answer: its own id/username/email and those of a nested user."""
    found: set[str] = set()
    if not isinstance(data, dict) or depth > MAX_DEPTH:
        return found
    for key in IDENTITY_KEYS:
        value = data.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            found.add(str(value))
    for key in PRINCIPAL_KEYS:
        if isinstance(data.get(key), dict):
            found |= names_in(data[key], depth + 1)
    return found


class Principal:
    """The identity values of the logged-in user (or OAuth client), collected as they are seen."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.sources: list[str] = []

    def learn(self, values: set[str], source: str) -> None:
        new = {value for value in values if value and value not in self.names}
        if new:
            self.names |= new
            self.sources.append(source)

    def from_login(self, answer: Any, token: str | None) -> None:
        # A login answer names the token's user only inside a nested object (`user`) or as
        # `user_id`; its top-level `id` could be the session's, so only those are taken.
        if isinstance(answer, dict):
            values = names_in({key: answer[key] for key in ("user_id", "userId", "username", "email") if key in answer})
            values |= {value for key in PRINCIPAL_KEYS if isinstance(answer.get(key), dict) for value in names_in(answer[key])}
            self.learn(values, "login answer")
        claims = jwt_claims(token)
        self.learn(names_in({key: claims[key] for key in IDENTITY_KEYS if key in claims and key != "id"}), "token claims")

    def is_principal(self, value: Any) -> bool:
        return value is not None and str(value) in self.names

    def describe(self) -> str:
        if not self.names:
            return "unknown"
        return ", ".join(sorted(self.names)) + f" (from {', '.join(self.sources)})"
