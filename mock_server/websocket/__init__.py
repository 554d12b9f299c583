"""The WebSocket side of the mock, driven by each API's AsyncAPI 3.0 contract.

`build_app(runtime)` is the seam `mock_server.app` calls: it returns the ASGI app that serves
every WebSocket handshake on the API's port, or None when the API has no AsyncAPI contract.
Heartbeat timing may be shortened for tests and demos with the environment variables
``APITWIN_WS_HEARTBEAT_INTERVAL`` and ``APITWIN_WS_HEARTBEAT_TIMEOUT`` (seconds).
"""

from __future__ import annotations

import os
from typing import Any

from mock_server.websocket.contract import AsyncContract, AsyncContractError, load_contract
from mock_server.websocket.engine import Timing, WebSocketApp

__all__ = ["build_app", "WebSocketApp", "Timing", "load_contract", "AsyncContract", "AsyncContractError"]


def timing_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> Timing:
    def seconds(name: str) -> float | None:
        text = environ.get(name)
        try:
            return float(text) if text else None
        except ValueError:
            raise AsyncContractError(f"{name} must be a number of seconds, got {text!r}") from None

    return Timing(seconds("APITWIN_WS_HEARTBEAT_INTERVAL"), seconds("APITWIN_WS_HEARTBEAT_TIMEOUT"))


def build_app(runtime: Any) -> WebSocketApp | None:
    path = getattr(getattr(runtime, "api", None), "asyncapi", None)
    if not path:
        return None
    contract = load_contract(path)
    if not contract.channels:
        return None
    return WebSocketApp(runtime, contract, timing_from_env())
