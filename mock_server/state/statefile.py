"""Opening the ``--state`` file: check everything before writing anything.

A state file holds what users built up over days of frontend work; the mock must never lose it
by "repairing" it. So a file is inspected read-only first (is it SQLite at all, readable and
writable, not held by another process, intact, and ours), and only a file that passes is opened
for writing. Anything else stops start-up with one `StateFileError` line naming the file, the
cause and what to do, and the file is left byte-for-byte as it was.

A file that passes is opened in WAL mode with ``synchronous=FULL`` (every acknowledged write is
on disk before the answer leaves, so a kill -9 or a power cut loses nothing acknowledged) and
``locking_mode=EXCLUSIVE`` (one mock per file: a second one is refused as "locked", instead of two
processes each keeping their own view in memory and overwriting each other's records).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

#: ``PRAGMA application_id`` of an apitwin state file ("aptw")
APPLICATION_ID = 0x61707477
SQLITE_MAGIC = b"SQLite format 3\x00"
#: how long to wait for another process's lock before calling the file locked
LOCK_WAIT_SECONDS = 0.5

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, "
    "id TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, expires_at REAL, UNIQUE(collection, id))"
)
OUR_TABLES = {"records", "sqlite_sequence"}
RECORD_COLUMNS = {"seq", "collection", "id", "key", "data", "expires_at"}

RESTORE = "restore it from a backup, or move it aside to start with fresh state"


class StateFileError(Exception):
    """The --state file cannot be used; the message is one line for the user."""


def refuse(path: Path, cause: str, advice: str = RESTORE) -> StateFileError:
    return StateFileError(f"{path}: not a usable state file: {cause}; {advice}")


def open_state_file(path: Path, load: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    """A write connection to the state file at `path`, created if missing, after `load` read
    what it holds; `StateFileError` if the file cannot be used as it is (or `load` fails on its
    content), in which case nothing was written to it."""
    if path.exists() or path.is_symlink():
        _inspect(path)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise refuse(path, f"cannot create its directory ({error.strerror or error})", "choose another --state path") from None
    db = _connect_locked(path)
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='records'").fetchone():
            load(db)
    except sqlite3.Error as error:
        db.close()
        raise _classify(path, error) from None
    except (ValueError, TypeError, KeyError) as error:  # a record that is not what the mock wrote
        db.close()
        raise refuse(path, f"it is damaged (a record cannot be read: {error})") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        db.execute(SCHEMA)
    except sqlite3.Error as error:
        db.close()
        raise _classify(path, error) from None
    return db


def _inspect(path: Path) -> None:
    """Every check that needs no write; raises `StateFileError` on the first problem."""
    if not path.is_file():
        raise refuse(path, "it is not a regular file", "choose another --state path")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise refuse(path, f"it cannot be read ({error.strerror or error})", "make it readable, or choose another --state path") from None
    if not head:
        return  # an empty file (e.g. made by `touch`): nothing in it to lose
    if head != SQLITE_MAGIC:
        raise refuse(path, "it is not an SQLite database", "if it is not yours to replace, choose another --state path; else " + RESTORE)
    # A file without write permission bits was marked read-only on purpose: respected even
    # when the mock runs as root (for whom the permission check alone would pass).
    if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:
        raise refuse(path, "it is read-only", "make it writable (chmod u+w), or choose another --state path")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise refuse(path, f"its directory {path.parent} is read-only (SQLite writes its journal there)",
                     "make the directory writable, or choose another --state path")
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    existing = {companion for companion in companions if companion.exists()}
    try:
        reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT_SECONDS)
    except sqlite3.Error as error:
        raise _classify(path, error) from None
    try:
        checked = [str(row[0]) for row in reader.execute("PRAGMA quick_check(3)")]
        if checked != ["ok"]:
            raise refuse(path, f"it is damaged (integrity check: {' '.join(' '.join(checked).split())})")
        application_id = reader.execute("PRAGMA application_id").fetchone()[0]
        tables = {name for (name,) in reader.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {row[1] for row in reader.execute("PRAGMA table_info(records)")}
    except sqlite3.Error as error:
        raise _classify(path, error) from None
    finally:
        reader.close()
        for companion in companions:  # the reader's own -wal/-shm: leave the directory as it was
            if companion not in existing:
                with contextlib.suppress(OSError):
                    companion.unlink()
    ours = application_id == APPLICATION_ID or (
        application_id == 0 and tables <= OUR_TABLES and (not tables or columns == RECORD_COLUMNS)
    )
    if not ours:
        found = ", ".join(sorted(tables)) or "none"
        raise refuse(path, f"it is another program's SQLite database (application id {application_id}, tables: {found})",
                     "choose another --state path")


def _connect_locked(path: Path) -> sqlite3.Connection:
    """A connection holding the file's lock for as long as it is open (nothing written yet)."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=LOCK_WAIT_SECONDS)
    except sqlite3.Error as error:
        raise _classify(path, error) from None
    try:
        db.execute("PRAGMA locking_mode=EXCLUSIVE")  # before the first WAL access: no shared memory, no sharing
        db.execute("BEGIN EXCLUSIVE")  # take the lock now: a file in use elsewhere is refused here
        db.execute("COMMIT")
    except sqlite3.Error as error:
        db.close()
        raise _classify(path, error) from None
    return db


def _classify(path: Path, error: sqlite3.Error) -> StateFileError:
    """An SQLite error as the user's problem with the file."""
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return refuse(path, "it is locked by another process (another apitwin mock using it?)",
                      "stop that process, or choose another --state path")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return refuse(path, f"it cannot be opened for writing ({text})", "make it writable, or choose another --state path")
    if "not a database" in lowered:
        return refuse(path, "it is not an SQLite database, or its header is damaged")
    return refuse(path, f"it is damaged ({text})")
