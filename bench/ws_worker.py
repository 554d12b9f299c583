"""One client process of the WebSocket benchmark: opens many connections and holds them open.

`python -m bench.ws_worker --url WS_URL --count N [--subscribe TOPIC]`

Several of these run side by side so that the client side, not the server, is never the limit
of one Python process. Each talks to the benchmark in JSON lines on stdout:

  {"event": "ready", "open": N, "failed": F, "error": "...", "seconds": S}
  {"event": "seq", "seq": K, "received": N, "first_ns": T0, "last_ns": T1}

The second line comes once every subscribed connection of this process has received broadcast
number K (the `seq` in its payload); times are CLOCK_MONOTONIC, shared by all processes of the
machine, so the benchmark compares them with the moment it sent the broadcast. The process ends
when its stdin closes or reads `quit`. The server's heartbeat Ping is answered with a Pong, so a
held connection stays alive past the contract's timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.system import raise_open_files


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Arrivals:
    """Per broadcast: how many of this process's subscribers have it, first and last arrival."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.seen: dict[int, list[int]] = {}

    def record(self, seq: int, now_ns: int) -> dict[str, Any] | None:
        entry = self.seen.setdefault(seq, [0, now_ns, now_ns])
        entry[0] += 1
        entry[2] = now_ns
        if entry[0] == self.expected:
            del self.seen[seq]
            return {"event": "seq", "seq": seq, "received": entry[0], "first_ns": entry[1], "last_ns": entry[2]}
        return None


async def open_connection(url: str, topic: str | None, gate: asyncio.Semaphore, compression: str | None) -> ClientConnection:
    async with gate:
        ws = await connect(url, ping_interval=None, open_timeout=120, close_timeout=1, max_size=None, compression=compression)
        if topic is not None:
            await ws.send(json.dumps({"type": "Subscribe", "data": {"topics": [topic]}}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if frame.get("type") == "Error":
                    raise RuntimeError(f"Subscribe refused: {frame.get('data')}")
                if frame.get("type") == "Status" and (frame.get("data") or {}).get("status") == "subscribed":
                    break
        return ws


async def read(ws: ClientConnection, arrivals: Arrivals | None) -> None:
    try:
        async for message in ws:
            if not isinstance(message, str):
                continue
            frame = json.loads(message)
            kind = frame.get("type")
            if kind == "Broadcast" and arrivals is not None:
                seq = ((frame.get("data") or {}).get("payload") or {}).get("seq")
                if isinstance(seq, int):
                    done = arrivals.record(seq, time.monotonic_ns())
                    if done:
                        emit(done)
            elif kind == "Ping":
                await ws.send(json.dumps({"type": "Pong", "data": {"timestamp": (frame.get("data") or {}).get("timestamp", 0)}}))
    except Exception:
        pass  # a connection closed by the server shows up in the server's own count


async def wait_for_quit() -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "quit":
            return


async def main(url: str, count: int, topic: str | None, concurrency: int, compression: str | None = "deflate") -> None:
    raise_open_files(count + 256)
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    outcomes = await asyncio.gather(*(open_connection(url, topic, gate, compression) for _ in range(count)), return_exceptions=True)
    connections = [o for o in outcomes if isinstance(o, ClientConnection)]
    failures = [o for o in outcomes if not isinstance(o, ClientConnection)]
    arrivals = Arrivals(len(connections)) if topic is not None else None
    readers = [asyncio.create_task(read(ws, arrivals)) for ws in connections]
    emit({
        "event": "ready",
        "open": len(connections),
        "failed": len(failures),
        "error": f"{type(failures[0]).__name__}: {failures[0]}" if failures else None,
        "seconds": round(time.monotonic() - started, 3),
    })
    await wait_for_quit()
    for task in readers:
        task.cancel()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ws_worker")
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--subscribe", metavar="TOPIC")
    parser.add_argument("--concurrency", type=int, default=200, help="handshakes in flight at once")
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate", help="offer permessage-deflate, as browsers do (default)")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.url, args.count, args.subscribe, args.concurrency, None if args.compression == "none" else args.compression))
    except KeyboardInterrupt:
        pass
    # Thousands of sockets: let the kernel close them rather than closing handshakes one by one.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    cli()
