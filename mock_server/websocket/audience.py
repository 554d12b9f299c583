"""Who shares a conversation with whom, and who is online: read from the HTTP side's store.

Declared on the channel::

    x-apitwin-conversations:            # where conversations live, and who takes part
      - {collection: messages, id: conversation_id, members: [sender_id, receiver_id]}
      - {collection: groups, id: id, members: [members.user_id, owner_id]}
    x-apitwin-presence:                 # the user record a connection's presence is written to
      {collection: users, status: status, last_seen: last_seen, online: online, offline: offline}

A members path runs through lists (``members.user_id`` = every member's ``user_id``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def collect(record: Any, path: str) -> list[Any]:
    """Every value at `path`, walking into lists on the way."""
    nodes = [record]
    for part in path.split("."):
        next_nodes = []
        for node in nodes:
            if isinstance(node, list):
                next_nodes.extend(item.get(part) for item in node if isinstance(item, dict))
            elif isinstance(node, dict) and part in node:
                next_nodes.append(node[part])
        nodes = next_nodes
    flat: list[Any] = []
    for node in nodes:
        if isinstance(node, list):
            flat.extend(node)
        elif node is not None:
            flat.append(node)
    return flat


class Conversations:
    def __init__(self, store: Any, declarations: list[dict[str, Any]] | None) -> None:
        self.store = store
        self.declarations = [d for d in declarations or [] if isinstance(d, dict) and d.get("collection")]

    def members(self, conversation_id: Any) -> set[str] | None:
        """The participants of a conversation; None when no such conversation exists."""
        if conversation_id is None:
            return None
        found: set[str] | None = None
        for decl in self.declarations:
            key = decl.get("id", "id")
            for record in self.store.find(decl["collection"], **{key: conversation_id}):
                found = found or set()
                for path in decl.get("members") or []:
                    found.update(str(v) for v in collect(record, path))
        return found

    def sharing(self, user_id: Any) -> set[str]:
        """Every user who shares at least one conversation with `user_id` (not the user)."""
        user = str(user_id)
        peers: set[str] = set()
        for decl in self.declarations:
            paths = decl.get("members") or []
            for record in self.store.list(decl["collection"], copy_records=False):
                people = {str(v) for path in paths for v in collect(record, path)}
                if user in people:
                    peers |= people
        peers.discard(user)
        return peers


class Presence:
    """Writes a user's status (and last_seen when they leave) to the store."""

    def __init__(self, store: Any, declaration: dict[str, Any] | None) -> None:
        self.store = store
        self.declaration = declaration or {}

    @property
    def enabled(self) -> bool:
        return bool(self.declaration.get("collection"))

    def set(self, user_id: Any, status: str, *, leaving: bool = False) -> dict[str, Any]:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        changes: dict[str, Any] = {self.declaration.get("status", "status"): status}
        if leaving and self.declaration.get("last_seen", "last_seen"):
            changes[self.declaration.get("last_seen", "last_seen")] = now
        if self.enabled and user_id is not None:
            self.store.patch(self.declaration["collection"], user_id, changes)
        return {"status": status, "last_seen": now}

    def online(self, user_id: Any) -> dict[str, Any]:
        return self.set(user_id, self.declaration.get("online", "online"))

    def offline(self, user_id: Any) -> dict[str, Any]:
        return self.set(user_id, self.declaration.get("offline", "offline"), leaving=True)
