"""``--state FILE``: never lose, never overwrite, and say which file is wrong and what to do.

Each test runs `apitwin mock` as a process on a real file: files the mock cannot use stop start-up
with one line and exit 2 and are left byte-for-byte as they were (sha256 before and after, and no
new files beside them); a kill -9 during a burst of writes loses no acknowledged record; a write
that fails on the server's side is a 500 with a request id that the log names once.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.state.statefile import APPLICATION_ID
from mock_server.state.store import Store
from tests.mock.mockutil import client, login
from tests.support.servers import ROOT, ServerProcess, free_port, run_mock, wait_for_port

API = "enterprise"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start(state: Path, port: int | None = None, **popen: object) -> ServerProcess:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "mock", API, "--port", str(port), "--rate-limits", "off", "--state", str(state)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **popen,  # type: ignore[arg-type]
    )
    wait_for_port(port, process)
    return ServerProcess(process, port)


def refused_start(state: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "mock_server", "mock", API, "--port", str(free_port()), "--state", str(state)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, str]:
    """A state file the mock wrote itself, and the id of one record created over HTTP."""
    path = tmp_path_factory.mktemp("made") / "state.sqlite3"
    with run_mock(API, "--state", str(path), "--rate-limits", "off") as server, client(server, API, login(server, API)) as http:
        created = http.post("/data/products", json={"data": {"name": "kept"}})
        assert created.status_code == 201
    return path, created.json()["id"]


@pytest.fixture
def good_file(made) -> Path:
    return made[0]


def damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2: page * 2 + 512] = bytes(range(256)) * 2  # a b-tree page's header and cells
    path.write_bytes(bytes(data))


def not_sqlite(path: Path) -> None:
    path.write_text("name,price\nlamp,12\n" * 50)


def bad_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:16] = b"not the header!!"
    path.write_bytes(bytes(data))


def foreign(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (number INTEGER PRIMARY KEY, total REAL)")
    db.execute("INSERT INTO invoices VALUES (1, 99.5)")
    db.commit()
    db.close()


def read_only(path: Path) -> None:
    path.chmod(0o444)


CASES = {  # name: (how to spoil a copy of a good file, what the line must say)
    "damaged": (damaged, "damaged"),
    "not-sqlite": (not_sqlite, "not an SQLite database"),
    "bad-header": (bad_header, "not an SQLite database"),
    "foreign": (foreign, "another program's SQLite database"),
    "read-only": (read_only, "read-only"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_unusable_file_stops_start_up_in_one_line_and_is_left_as_it_was(good_file, tmp_path, case):
    spoil, cause = CASES[case]
    path = tmp_path / "state.sqlite3"
    shutil.copy(good_file, path)
    spoil(path)
    before, listing = sha256(path), sorted(os.listdir(tmp_path))
    status, stderr = refused_start(path)
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert str(path) in lines[0] and cause in lines[0]
    assert "move it aside" in lines[0] or "choose another --state path" in lines[0]
    assert "openapi.yaml" not in lines[0] and "Traceback" not in stderr
    assert sha256(path) == before
    assert sorted(os.listdir(tmp_path)) == listing


def test_a_file_another_mock_holds_is_refused_as_locked(good_file, tmp_path):
    path = tmp_path / "state.sqlite3"
    shutil.copy(good_file, path)
    holder = start(path)
    try:
        status, stderr = refused_start(path)
        assert status == 2 and len(stderr.strip().splitlines()) == 1, stderr
        assert str(path) in stderr and "locked by another process" in stderr
        with client(holder, API, login(holder, API)) as http:  # the holder is unaffected
            assert http.post("/data/products", json={"data": {"name": "still mine"}}).status_code == 201
    finally:
        holder.stop()


def test_the_file_is_ours_in_wal_mode_with_synchronous_writes(made, tmp_path):
    path = tmp_path / "state.sqlite3"
    shutil.copy(made[0], path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()
    store = Store(path)
    try:
        assert store._db is not None and store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert any(store.get(collection, made[1]) for collection in store.collections())
    finally:
        store.close()


def test_an_empty_or_missing_file_starts_fresh(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    missing = tmp_path / "sub" / "new.sqlite3"
    for path in (empty, missing):
        with run_mock(API, "--state", str(path), "--rate-limits", "off") as server:
            assert httpx.get(f"{server.url}/v2/data/products", timeout=10).status_code == 401
        assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_kill_9_during_a_write_burst_loses_no_acknowledged_record(tmp_path):
    path = tmp_path / "state.sqlite3"
    server = start(path)
    token = login(server, API)
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        with client(server, API, token) as http:
            for index in range(10_000):
                if stop.is_set():
                    return
                try:
                    response = http.post("/data/products", json={"data": {"name": f"w{worker}-{index}"}})
                except httpx.HTTPError:
                    return
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 150:
        threading.Event().wait(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    kept = list(acknowledged)
    assert len(kept) >= 150
    with run_mock(API, "--state", str(path), "--rate-limits", "off") as again, client(again, API, login(again, API)) as http:
        missing = [record_id for record_id in kept if http.get(f"/data/products/{record_id}").status_code != 200]
    assert missing == []


def _no_file_growth() -> None:  # runs in the child before exec: a write past the limit fails, not kills
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_failed_write_is_a_500_with_the_request_id_the_log_names_once(tmp_path):
    path = tmp_path / "state.sqlite3"
    server = start(path, preexec_fn=_no_file_growth)
    try:
        token = login(server, API)
        # From now on the mock cannot grow any file: the next write to the state file fails.
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        with client(server, API, token) as http:
            echoed = http.post("/data/products", json={"data": {"name": "lost"}}, headers={"X-Request-Id": "fault-test-1"})
            fresh = http.post("/data/products", json={"data": {"name": "lost too"}})
    finally:
        output = server.stop()
    assert echoed.status_code == 500 and echoed.headers["x-request-id"] == "fault-test-1"
    assert "fault-test-1" in echoed.json()["error"]["message"]
    assert fresh.status_code == 500
    fresh_id = fresh.headers["x-request-id"]
    assert len(fresh_id) >= 16 and fresh_id in fresh.json()["error"]["message"]
    for response in (echoed, fresh):
        assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert output.count("request fault-test-1: unexpected error") == 1
    assert output.count(f"request {fresh_id}: unexpected error") == 1


@pytest.fixture(autouse=True)
def _writable_tmp(tmp_path) -> Iterator[None]:
    """Let pytest clean up files a test made read-only."""
    yield
    for path in tmp_path.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
