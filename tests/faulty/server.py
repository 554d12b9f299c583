"""`python -m tests.faulty.server UPSTREAM`: serve every faulty variant of one upstream at once.

UPSTREAM is `toy` (the small correct app in tests/conformance/toy) or a bundled API name, whose
correct implementation is the apitwin mock itself (`NAME+limits`: with its rate limits on), or
`lockout`, the mock of tests/faulty/lockout (registration and account lockout). One process builds the upstream once and
listens on one port per fault (plus `none`, the upstream unchanged): the port a request arrives
on picks the fault. Starting one process per upstream instead of one per fault is what keeps
the faulty-server tests fast. When every port listens, the process prints one JSON line,
`{"fault": port, ...}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import uvicorn

from conformance.contract import Contract
from mock_server.contracts.bundle import resolve_target
from tests.faulty.faults import FAULTS, wrap
from tests.faulty.pool import LOCAL

TOY = Path(__file__).resolve().parents[1] / "conformance" / "toy"


def upstream(name: str, seed: int) -> tuple[Any, Contract]:
    if name == "toy":
        from tests.conformance.toy.app import build_app

        return build_app(), Contract.load("toy", TOY / "openapi.yaml", TOY / "asyncapi.yaml", TOY / "schema.graphql")
    from mock_server.app import create_app
    from mock_server.settings import MockSettings

    name, _, option = name.partition("+")  # `API+limits`: the mock with its rate limits applied
    source = str(LOCAL.get(name, name))
    api = resolve_target(source)
    contract = Contract.load(api.name, api.openapi, api.asyncapi, api.graphql)
    return create_app(source, MockSettings(seed=seed, rate_limits=option == "limits")), contract


class ByPort:
    """ASGI app: the variant for the local port a connection came in on; lifespan to the upstream."""

    def __init__(self, app: Any, variants: dict[int, Any]) -> None:
        self.app = app
        self.variants = variants

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        port = (scope.get("server") or ("", 0))[1]
        await self.variants.get(port, self.app)(scope, receive, send)


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


async def serve(app: Any, contract: Contract) -> None:
    sockets = {name: listening_socket() for name in ["none", *FAULTS]}
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    variants = {ports[name]: app if name == "none" else wrap(app, name, contract) for name in sockets}
    config = uvicorn.Config(ByPort(app, variants), log_level="warning", ws="websockets")
    server = uvicorn.Server(config)
    running = asyncio.create_task(server.serve(sockets=list(sockets.values())))
    while not server.started and not running.done():
        await asyncio.sleep(0.02)
    if server.started:
        print(json.dumps(ports), flush=True)
    await running


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("upstream")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(serve(*upstream(args.upstream, args.seed)))


if __name__ == "__main__":
    main()
