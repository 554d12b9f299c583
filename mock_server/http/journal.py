"""The request journal: what a frontend's tests sent to the mock, and what it answered.

``GET /__mock/requests`` returns the entries (newest last), filterable by ``method``, ``path``
(exact, or a prefix ending in ``*``) and ``status``; ``DELETE /__mock/requests`` clears it. The
journal is bounded so a long session cannot exhaust memory.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: bodies are kept up to this size; larger ones are truncated (the journal is for inspection).
MAX_BODY = 64 * 1024


@dataclass
class JournalEntry:
    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    operation_id: str | None
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    def __init__(self, limit: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=limit)

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self, filters: Mapping[str, str] | None = None) -> list[JournalEntry]:
        filters = filters or {}
        method = filters.get("method", "").upper()
        path = filters.get("path", "")
        status = filters.get("status", "")
        found = []
        for entry in self._entries:
            if method and entry.method != method:
                continue
            if path and not _path_matches(entry.path, path):
                continue
            if status and not _status_matches(entry.status, status):
                continue
            found.append(entry)
        return found


def decode_body(body: bytes, content_type: str) -> Any:
    """The body as the journal shows it: parsed JSON when it is JSON (within the parser's
    limits), else text (or a note)."""
    from mock_server.http import bounded_json

    if not body:
        return None
    if len(body) > MAX_BODY:
        return f"<{len(body)} bytes, not kept>"
    if "json" in content_type:
        try:
            return bounded_json.loads(body)
        except ValueError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary>"


def _path_matches(path: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def _status_matches(status: int, pattern: str) -> bool:
    """``404`` exact, ``4xx`` a class."""
    pattern = pattern.lower()
    if len(pattern) == 3 and pattern.endswith("xx"):
        return str(status)[0] == pattern[0]
    return str(status) == pattern


def now() -> float:
    return time.time()
