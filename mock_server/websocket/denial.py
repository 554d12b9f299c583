"""Refusing a WebSocket handshake with an HTTP response (ASGI's ``websocket.http.response``).

uvicorn supports the denial-response extension; a server without it gets a plain close (its
403). uvicorn's sans-I/O protocol then logs "ASGI callable returned without completing
handshake" although the refusal was a complete answer: a log filter drops exactly that line for
handshakes refused here (a context variable marks the task that refused).
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

#: set in the task that refused a handshake with an HTTP response (see `_DenialLogFilter`)
_denied: contextvars.ContextVar[bool] = contextvars.ContextVar("apitwin_ws_denied", default=False)


class _DenialLogFilter(logging.Filter):
    """uvicorn's sans-I/O WebSocket protocol logs "returned without completing handshake" after
    a denial response sent through the ``websocket.http.response`` extension, which is a
    complete answer; drop that one line for handshakes this app refused on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_denied.get() and "without completing handshake" in str(record.msg))


_denial_filter = _DenialLogFilter()


async def deny(scope: dict[str, Any], send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if "websocket.http.response" in (scope.get("extensions") or {}):
        _denied.set(True)
        uvicorn_log = logging.getLogger("uvicorn.error")
        if _denial_filter not in uvicorn_log.filters:
            uvicorn_log.addFilter(_denial_filter)
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:
        await send({"type": "websocket.close", "code": 1008})
