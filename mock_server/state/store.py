"""The mock's state: named collections of JSON records.

Every API's mock keeps what clients create in one `Store`. Records live in memory (fast reads on
the hot path); with a state file every change is also written through to SQLite, so a restarted
mock finds what it had. Records are plain dicts identified by a key field (``id`` unless a
collection says otherwise); the store never interprets their content beyond that key and an
optional expiry time. Opening the file (and refusing one that is damaged, locked, read-only or
another program's, without touching it) is `statefile`'s job.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mock_server.state.statefile import StateFileError, open_state_file

Record = dict[str, Any]


class Store:
    """In-memory collections of records, optionally persisted to a SQLite file.

    Records are returned as copies, so callers may shape them freely without touching the state.
    """

    def __init__(self, path: str | Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._collections: dict[str, dict[str, Record]] = {}
        self._keys: dict[str, str] = {}
        self._expiry: dict[tuple[str, str], float] = {}
        self._revisions: dict[str, int] = {}
        self._db: sqlite3.Connection | None = None
        self._grouped = False  # inside write_group(): one transaction for the block
        if path is not None:
            self._db = open_state_file(Path(path), self._load_database)

    # -- reading ---------------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def collections(self) -> list[str]:
        return list(self._collections)

    def is_empty(self) -> bool:
        return not any(self._collections.values())

    def revision(self, collection: str) -> int:
        """A number that changes whenever `collection` changes (for caches of derived views)."""
        self._expire(collection)
        return self._revisions.get(collection, 0)

    def _touch(self, collection: str) -> None:
        self._revisions[collection] = self._revisions.get(collection, 0) + 1

    def key_of(self, collection: str) -> str:
        return self._keys.get(collection, "id")

    def list(self, collection: str, *, copy_records: bool = True) -> list[Record]:
        """All live records of `collection`, oldest first.

        With ``copy_records=False`` the records are the stored objects themselves: a read-only
        view for hot paths that only filter, sort and shape (never mutate them).
        """
        self._expire(collection)
        records = list(self._collections.get(collection, {}).values())
        return [copy.deepcopy(record) for record in records] if copy_records else records

    def count(self, collection: str) -> int:
        self._expire(collection)
        return len(self._collections.get(collection, {}))

    def get(self, collection: str, record_id: Any) -> Record | None:
        self._expire(collection)
        record = self._collections.get(collection, {}).get(str(record_id))
        return copy.deepcopy(record) if record is not None else None

    def find(self, collection: str, predicate: Callable[[Record], bool] | None = None, **equals: Any) -> list[Record]:
        """Records whose fields equal `equals` (and that satisfy `predicate`, if given)."""
        self._expire(collection)
        found = []
        for record in self._collections.get(collection, {}).values():
            if all(record.get(name) == value for name, value in equals.items()) and (
                predicate is None or predicate(record)
            ):
                found.append(copy.deepcopy(record))
        return found

    def find_one(self, collection: str, **equals: Any) -> Record | None:
        found = self.find(collection, **equals)
        return found[0] if found else None

    # -- writing ---------------------------------------------------------------------------

    def insert(
        self, collection: str, record: Mapping[str, Any], *, key: str | None = None, expires_at: float | None = None
    ) -> Record:
        """Add `record` (it must carry its key field); replaces a record with the same key."""
        with self._lock:
            key = key or self.key_of(collection)
            self._keys.setdefault(collection, key)
            if record.get(key) is None:
                raise ValueError(f"record for {collection!r} has no {key!r}")
            stored = copy.deepcopy(dict(record))
            record_id = str(stored[key])
            self._collections.setdefault(collection, {})[record_id] = stored
            self._touch(collection)
            if expires_at is not None:
                self._expiry[(collection, record_id)] = expires_at
            else:
                self._expiry.pop((collection, record_id), None)
            self._write(collection, record_id, stored, expires_at)
            return copy.deepcopy(stored)

    def replace(self, collection: str, record_id: Any, record: Mapping[str, Any]) -> Record | None:
        """Put `record` in place of the record `record_id` (keeping its key); None if absent."""
        with self._lock:
            if self.get(collection, record_id) is None:
                return None
            key = self.key_of(collection)
            new = {**copy.deepcopy(dict(record)), key: self._collections[collection][str(record_id)][key]}
            self._collections[collection][str(record_id)] = new
            self._touch(collection)
            self._write(collection, str(record_id), new, self._expiry.get((collection, str(record_id))))
            return copy.deepcopy(new)

    def patch(self, collection: str, record_id: Any, changes: Mapping[str, Any]) -> Record | None:
        """Merge `changes` into the record (top-level fields); None if absent."""
        with self._lock:
            current = self.get(collection, record_id)
            if current is None:
                return None
            current.update(copy.deepcopy(dict(changes)))
            return self.replace(collection, record_id, current)

    def delete(self, collection: str, record_id: Any) -> Record | None:
        """Remove the record; return it, or None if there was none."""
        with self._lock:
            self._expire(collection)
            record = self._collections.get(collection, {}).pop(str(record_id), None)
            self._expiry.pop((collection, str(record_id)), None)
            self._touch(collection)
            if record is not None and self._db is not None:
                self._db.execute("DELETE FROM records WHERE collection=? AND id=?", (collection, str(record_id)))
            return record

    def reset(self, fixtures: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, *collections: str) -> None:
        """Empty the given collections (all when none are named), then load `fixtures`."""
        with self._lock, self.write_group():
            names = list(collections) or list(self._collections)
            for name in names:
                self._collections.pop(name, None)
                self._touch(name)
                for expired in [k for k in self._expiry if k[0] == name]:
                    del self._expiry[expired]
            if self._db is not None:
                if collections:
                    self._db.executemany("DELETE FROM records WHERE collection=?", [(n,) for n in names])
                else:
                    self._db.execute("DELETE FROM records")
            for name, records in (fixtures or {}).items():
                if collections and name not in collections:
                    continue
                self._collections.setdefault(name, {})
                for record in records:
                    self.insert(name, record)

    @contextlib.contextmanager
    def write_group(self) -> Iterator[None]:
        """Writes inside the block reach the file in one transaction, committed (and synced)
        once when the block ends, on an error too, so the file always holds what memory holds.
        A request's writes (a batch of 1000 records) then cost one sync instead of 1000."""
        with self._lock:
            if self._db is None or self._grouped:
                yield
                return
            self._db.execute("BEGIN")
            self._grouped = True
            try:
                yield
            finally:
                self._grouped = False
                self._commit()

    def _commit(self) -> None:
        assert self._db is not None
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error:  # e.g. the disk is full: end the transaction, so later writes can try again
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- internals -------------------------------------------------------------------------

    def _expire(self, collection: str) -> None:
        if not self._expiry:
            return
        now = self._clock()
        dead = [rid for (name, rid), at in self._expiry.items() if name == collection and at <= now]
        if not dead:
            return
        with self._lock:
            self._touch(collection)
            for record_id in dead:
                self._expiry.pop((collection, record_id), None)
                self._collections.get(collection, {}).pop(record_id, None)
                if self._db is not None:
                    self._db.execute("DELETE FROM records WHERE collection=? AND id=?", (collection, record_id))

    def _write(self, collection: str, record_id: str, record: Record, expires_at: float | None) -> None:
        if self._db is None:
            return
        self._db.execute(
            "INSERT INTO records(collection, id, key, data, expires_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(collection, id) DO UPDATE SET data=excluded.data, expires_at=excluded.expires_at",
            (collection, record_id, self.key_of(collection), json.dumps(record), expires_at),
        )

    def _load_database(self, db: sqlite3.Connection) -> None:
        rows = db.execute("SELECT collection, id, key, data, expires_at FROM records ORDER BY seq").fetchall()
        for collection, record_id, key, data, expires_at in rows:
            record = json.loads(data)
            if not isinstance(record, dict):
                raise ValueError(f"{collection}/{record_id} is not a JSON object")
            self._keys.setdefault(collection, key)
            self._collections.setdefault(collection, {})[record_id] = record
            if expires_at is not None:
                self._expiry[(collection, record_id)] = float(expires_at)


__all__ = ["Record", "Store", "StateFileError"]
