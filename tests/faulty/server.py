"""`python -m tests.faulty.server UPSTREAM FAULT --port P`: serve one faulty implementation.

UPSTREAM is `toy` (the small correct app in tests/conformance/toy) or a bundled API name, whose
correct implementation is the apitwin mock itself; FAULT is a name from `tests.faulty.faults`
(`none` serves the upstream unchanged).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn

from conformance.contract import Contract
from mock_server.contracts.bundle import resolve_target
from tests.faulty.faults import FAULTS, wrap

TOY = Path(__file__).resolve().parents[1] / "conformance" / "toy"


def upstream(name: str, seed: int) -> tuple[Any, Contract]:
    if name == "toy":
        from tests.conformance.toy.app import build_app

        return build_app(), Contract.load("toy", TOY / "openapi.yaml", TOY / "asyncapi.yaml", TOY / "schema.graphql")
    from mock_server.app import create_app
    from mock_server.settings import MockSettings

    api = resolve_target(name)
    contract = Contract.load(api.name, api.openapi, api.asyncapi, api.graphql)
    return create_app(name, MockSettings(seed=seed, rate_limits=False)), contract


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("upstream")
    parser.add_argument("fault", choices=["none", *FAULTS])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    app, contract = upstream(args.upstream, args.seed)
    if args.fault != "none":
        app = wrap(app, args.fault, contract)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", ws="websockets")


if __name__ == "__main__":
    main()
