"""Is a connection still alive, and still entitled to be open?

Activity is any data frame from the client, or a pong to the server's protocol-level ping where
the server records it; entitlement is the ``exp`` claim of the token the connection opened with.
"""

from __future__ import annotations

from typing import Any


def token_expired(principal: Any, now: float) -> bool:
    """Whether the token a connection was opened with has expired since (its ``exp`` claim)."""
    expires = (getattr(principal, "claims", None) or {}).get("exp")
    return isinstance(expires, (int, float)) and now >= expires


def last_pong(protocol: Any) -> float:
    """When the client last answered the server's protocol-level ping (monotonic seconds).

    Pongs never reach an ASGI app; uvicorn's sans-I/O WebSocket protocol (the one it picks when
    `websockets` is installed) records its keepalive ping's send time and round trip, so a
    browser that only answers pings still counts as alive, as the contracts say. Any other
    server: 0 (only data frames count).
    """
    sent = getattr(protocol, "ping_sent_at", None)
    rtt = getattr(protocol, "last_ping_rtt", None)
    if not isinstance(sent, float) or not isinstance(rtt, float) or not sent:
        return 0.0
    if getattr(protocol, "pending_ping_payload", None) is None:
        return sent + rtt
    interval = getattr(protocol, "ping_interval", None)
    if rtt and isinstance(interval, (int, float)):  # a ping is out: the previous pong came one interval earlier
        return sent - interval + rtt
    return 0.0
