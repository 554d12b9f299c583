"""WebSocket: how many connections the mock holds at once, and how fast a Broadcast fans out.

Both measurements use the `realtime` contract (its `x-apitwin-max-connections` is the 10,000
target) with a token from the contract's own login operation, and clients in separate
processes (bench.ws_worker) so that the client side is not the bottleneck. The server's memory is
read from /proc before and after; the server's own `/health` count is reported beside ours.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import connect

from bench import report
from bench.contracts import Contract, log_in, websocket_entry
from bench.peers import Peer, apitwin_mock
from bench.stats import percentile, ratio
from bench.system import rss_bytes

API = "realtime"
TOPIC = "bench.fanout"
READY_TIMEOUT = 600.0
DELIVERY_TIMEOUT = 10.0


def split(total: int, parts: int) -> list[int]:
    """`total` connections over `parts` processes, as evenly as possible, none empty."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


class Workers:
    """Client processes (bench.ws_worker) and the JSON events they print, in one queue."""

    def __init__(self, compression: str = "deflate") -> None:
        self.compression = compression
        self.processes: list[asyncio.subprocess.Process] = []
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pumps: list[asyncio.Task[None]] = []

    async def start(self, url: str, counts: Sequence[int], topic: str | None = None) -> None:
        for count in counts:
            argv = [sys.executable, "-m", "bench.ws_worker", "--url", url, "--count", str(count), "--compression", self.compression]
            if topic:
                argv += ["--subscribe", topic]
            process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            self.processes.append(process)
            self.pumps.append(asyncio.create_task(self._pump(process)))

    async def _pump(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            try:
                await self.events.put(json.loads(line))
            except ValueError:
                continue
        await self.events.put({"event": "exit", "pid": process.pid})

    async def collect(self, kind: str, count: int, timeout: float, seq: int | None = None) -> list[dict[str, Any]]:
        """The next `count` events of this kind (and broadcast number), or fewer at the timeout."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                event = await asyncio.wait_for(self.events.get(), remaining)
            except TimeoutError:
                break
            if event.get("event") == "exit" and kind != "exit":
                raise RuntimeError("a WebSocket client process ended early")
            if event.get("event") == kind and (seq is None or event.get("seq") == seq):
                found.append(event)
        return found

    async def stop(self) -> None:
        """End every client process now: the kernel closes their sockets, no closing handshakes."""
        for process in self.processes:
            if process.returncode is None:
                process.terminate()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        for pump in self.pumps:
            pump.cancel()


@dataclass
class HoldResult:
    target: int
    opened: int = 0
    failed: int = 0
    first_error: str | None = None
    open_seconds: float | None = None
    server_count: int | None = None
    rss_before: int | None = None
    rss_after: int | None = None

    @property
    def per_connection(self) -> float | None:
        if self.rss_before is None or self.rss_after is None or not self.opened:
            return None
        return (self.rss_after - self.rss_before) / self.opened


@dataclass
class FanoutResult:
    subscribers: int
    subscribed: int = 0
    failed: int = 0
    first_error: str | None = None
    #: per broadcast: ms until the last subscriber had it, and until the first did
    reach_all_ms: list[float] = field(default_factory=list)
    reach_first_ms: list[float] = field(default_factory=list)
    incomplete: int = 0


def ws_url(peer: Peer, contract: Contract, token: str) -> str:
    entry = websocket_entry(contract)
    origin = peer.url.replace("http://", "ws://", 1)
    query = f"?{urlencode({entry.token_query: token})}" if entry.token_query else ""
    return origin + entry.address + query


def server_connections(peer: Peer, contract: Contract) -> int | None:
    """The server's own count of open connections, if its /health says it (the realtime contract does)."""
    try:
        body = httpx.get(peer.url + contract.base_path() + "/health", timeout=30).json()
    except Exception:
        return None
    found = body.get("active_connections") if isinstance(body, dict) else None
    return found if isinstance(found, int) else None


def mock_args(capacity: int) -> tuple[str, ...]:
    return ("--rate-limits", "off", "--max-connections", str(capacity))


async def hold(target: int, clients: int, compression: str = "deflate") -> HoldResult:
    contract = Contract.load(API)
    result = HoldResult(target)
    with apitwin_mock(API, *mock_args(target + 1000)) as peer:
        url = ws_url(peer, contract, log_in(peer.url, contract))
        await asyncio.sleep(1)
        result.rss_before = rss_bytes(peer.pid)
        workers = Workers(compression)
        try:
            await workers.start(url, split(target, clients))
            ready = await workers.collect("ready", len(workers.processes), READY_TIMEOUT)
            result.opened = sum(e["open"] for e in ready)
            result.failed = sum(e["failed"] for e in ready) + target - sum(e["open"] + e["failed"] for e in ready)
            result.first_error = next((e["error"] for e in ready if e.get("error")), None)
            result.open_seconds = max((e["seconds"] for e in ready), default=None)
            await asyncio.sleep(2)
            result.rss_after = rss_bytes(peer.pid)
            result.server_count = server_connections(peer, contract)
        finally:
            await workers.stop()
    return result


async def fanout(subscribers: int, broadcasts: int, clients: int, compression: str = "deflate") -> FanoutResult:
    contract = Contract.load(API)
    result = FanoutResult(subscribers)
    with apitwin_mock(API, *mock_args(subscribers + 1000)) as peer:
        url = ws_url(peer, contract, log_in(peer.url, contract))
        workers = Workers(compression)
        try:
            await workers.start(url, split(subscribers, clients), topic=TOPIC)
            ready = await workers.collect("ready", len(workers.processes), READY_TIMEOUT)
            result.subscribed = sum(e["open"] for e in ready)
            result.failed = subscribers - result.subscribed
            result.first_error = next((e["error"] for e in ready if e.get("error")), None)
            expected = len([e for e in ready if e["open"]])
            if not expected:
                raise RuntimeError(f"no subscriber could connect: {result.first_error}")
            offer = None if compression == "none" else "deflate"
            async with connect(url, ping_interval=None, max_size=None, compression=offer) as sender:
                for seq in range(broadcasts):
                    sent = time.monotonic_ns()
                    await sender.send(json.dumps({"type": "Broadcast", "data": {"topic": TOPIC, "payload": {"seq": seq}}}))
                    done = await workers.collect("seq", expected, DELIVERY_TIMEOUT, seq=seq)
                    if len(done) < expected:
                        result.incomplete += 1
                        continue
                    result.reach_all_ms.append((max(e["last_ns"] for e in done) - sent) / 1e6)
                    result.reach_first_ms.append((min(e["first_ns"] for e in done) - sent) / 1e6)
                    await drain(sender)
        finally:
            await workers.stop()
    return result


async def drain(sender: Any) -> None:
    """Read what the server sent the sender (its Ack, a heartbeat Ping) without waiting for more."""
    while True:
        try:
            message = await asyncio.wait_for(sender.recv(), 0.001)
        except TimeoutError:
            return
        frame = json.loads(message) if isinstance(message, str) else {}
        if frame.get("type") == "Ping":
            await sender.send(json.dumps({"type": "Pong", "data": {"timestamp": (frame.get("data") or {}).get("timestamp", 0)}}))


def run(connections: int, subscribers: int, broadcasts: int, clients: int, compression: str = "deflate") -> report.Section:
    section = report.Section("ws", f"WebSocket: apitwin mock, {API} contract")
    held: HoldResult | None = None
    spread: FanoutResult | None = None
    try:
        held = asyncio.run(hold(connections, clients, compression))
    except Exception as error:
        section.problems.append(f"connections held: {type(error).__name__}: {error}")
    try:
        spread = asyncio.run(fanout(subscribers, broadcasts, clients, compression))
    except Exception as error:
        section.problems.append(f"broadcast fan-out: {type(error).__name__}: {error}")
    section = summarize(section, held, spread, clients, broadcasts)
    section.notes.append(f"clients {'offer permessage-deflate, as browsers do' if compression == 'deflate' else 'offer no compression'} (--ws-compression)")
    return section


def summarize(section: report.Section, held: HoldResult | None, spread: FanoutResult | None, clients: int, broadcasts: int) -> report.Section:
    if held is not None:
        table = report.Table(
            f"Connections held open at once (target {held.target:,}; {clients} client processes)",
            ["figure", "value"],
        )
        table.rows += [
            ["opened / target", f"{held.opened:,} / {held.target:,}"],
            ["failed", f"{held.failed:,}" + (f" ({held.first_error})" if held.first_error else "")],
            ["server's own count (/health)", "-" if held.server_count is None else f"{held.server_count:,}"],
            ["time to open all", report.seconds(held.open_seconds)],
            ["handshakes per second", report.rate(ratio(held.opened, held.open_seconds))],
            ["server RSS before", report.size(held.rss_before)],
            ["server RSS with all open", report.size(held.rss_after)],
            ["memory per connection", report.size(held.per_connection)],
            ["target met", report.verdict(held.opened >= held.target and held.failed == 0)],
        ]
        section.tables.append(table)
        section.data["hold"] = {**asdict(held), "per_connection_bytes": held.per_connection}
        if held.first_error:
            section.problems.append(f"connections held: {held.failed} failed, first: {held.first_error}")
        if held.server_count is not None and held.server_count != held.opened:
            section.notes.append(
                f"the server's /health says {held.server_count:,} active connections while {held.opened:,} were open: "
                "its figure is not the true count"
            )
    if spread is not None:
        table = report.Table(
            f"One Broadcast to {spread.subscribers:,} subscribers ({broadcasts} broadcasts, one after the other)",
            ["figure", "p50", "p99", "max"],
        )
        for label, values in (("until the last subscriber has it", spread.reach_all_ms), ("until the first subscriber has it", spread.reach_first_ms)):
            table.rows.append([label, report.ms(percentile(values, 50)), report.ms(percentile(values, 99)), report.ms(max(values, default=None))])
        section.tables.append(table)
        section.notes.append(
            f"fan-out: {spread.subscribed:,}/{spread.subscribers:,} subscribed, {spread.incomplete} of {broadcasts} broadcasts "
            f"did not reach every subscriber within {DELIVERY_TIMEOUT:.0f} s"
        )
        section.data["fanout"] = {
            **asdict(spread),
            "reach_all_p50_ms": percentile(spread.reach_all_ms, 50),
            "reach_all_p99_ms": percentile(spread.reach_all_ms, 99),
            "reach_first_p50_ms": percentile(spread.reach_first_ms, 50),
        }
        if spread.first_error:
            section.problems.append(f"fan-out: {spread.failed} subscribers failed, first: {spread.first_error}")
    section.notes.append("Times are CLOCK_MONOTONIC across processes: from just before the sender's send to the subscriber's receipt.")
    return section
