"""A market feed server for tests/realtime/contracts/market-feed.yaml, written with the
`websockets` library as a small team would, with one fault chosen on the command line.

It answers ``subscribe`` with ``subscribed`` and then sends a ticker every 0.2 s and a trade
every second. Faults the conformance suite must catch:

- ``invalid-trade``: trades carry ``side: "hold"``, which the contract's enum does not allow;
- ``silent``: the server confirms the subscription and then sends nothing.

    python tests/servers/market_feed_ws.py --port 8765 --fault invalid-trade
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from datetime import datetime, timezone
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/EUR")


def ticker(n: int) -> dict[str, Any]:
    bid = 60000 + n
    return {"event": "ticker", "symbol": SYMBOLS[n % 3], "bid": f"{bid:.2f}", "ask": f"{bid + 1.5:.2f}",
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def trade(n: int, fault: str) -> dict[str, Any]:
    side = "hold" if fault == "invalid-trade" else ("buy", "sell")[n % 2]
    return {"event": "trade", "id": n + 1, "symbol": SYMBOLS[n % 3], "side": side, "price": "60000.00", "amount": 0.25}


async def stream(socket: ServerConnection, fault: str) -> None:
    if fault == "silent":
        return
    for n in itertools.count():
        await socket.send(json.dumps(ticker(n)))
        if n % 5 == 0:
            await socket.send(json.dumps(trade(n // 5, fault)))
        await asyncio.sleep(0.2)


async def handler(socket: ServerConnection, fault: str) -> None:
    feeding: asyncio.Task[None] | None = None
    try:
        async for raw in socket:
            try:
                frame = json.loads(raw)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("event") == "subscribe":
                await socket.send(json.dumps({"event": "subscribed", "status": "ok"}))
                if feeding is None:
                    feeding = asyncio.create_task(stream(socket, fault))
    except ConnectionClosed:
        pass
    finally:
        if feeding is not None:
            feeding.cancel()


async def main(port: int, fault: str) -> None:
    async with serve(lambda socket: handler(socket, fault), "127.0.0.1", port):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fault", choices=("none", "invalid-trade", "silent"), default="none")
    arguments = parser.parse_args()
    try:
        asyncio.run(main(arguments.port, arguments.fault))
    except KeyboardInterrupt:
        pass
