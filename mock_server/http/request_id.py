"""Request ids: the thread from a 500 a client saw to the one log line that explains it.

A client's ``X-Request-Id`` is echoed on every answer (proxies and tracing tools set one and look
for it). A fault of the mock itself is logged once, with the request's id (the client's, or a new
one), and the 500 answer carries the same id in ``X-Request-Id`` and in its message; the stack
trace goes to the log only, never to the client.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping

from mock_server.http.errors import MockError

logger = logging.getLogger("apitwin.mock")

HEADER = "X-Request-Id"
# What a well-behaved id looks like; anything else (too long, control characters) is not echoed.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


def from_client(headers: Mapping[str, str]) -> str | None:
    """The client's id, when it sent a usable one."""
    value = headers.get(HEADER.lower())
    return value if value is not None and _ACCEPTABLE.fullmatch(value) else None


def for_fault(headers: Mapping[str, str]) -> str:
    """The id to log and answer a fault with: the client's, else a new one."""
    return from_client(headers) or uuid.uuid4().hex


def fault(headers: Mapping[str, str], what: str) -> MockError:
    """Log the exception being handled once, with the request's id, and return the 500 to
    answer with the same id (call it from an ``except`` block)."""
    fault_id = for_fault(headers)
    logger.exception("request %s: unexpected error %s", fault_id, what)
    return MockError(500, f"Internal error (request id {fault_id})", details={"request_id": fault_id}, headers={HEADER: fault_id})
