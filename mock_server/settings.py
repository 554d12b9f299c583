"""How one run of the mock is configured: the command line, as a value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MockSettings:
    seed: int = 0
    latency: tuple[int, int] | None = None   # milliseconds, inclusive range (``--latency 50-200``)
    chaos: float = 0.0                       # fraction of requests answered with a documented error
    rate_limits: bool = True
    cors_origin: str = "*"
    state_file: Path | None = None           # SQLite file; in memory when None
    max_connections: int | None = None       # WebSocket capacity; the contract's when None
    host: str = "127.0.0.1"
    port: int | None = None                  # the contract's x-apitwin.port when None
    read_timeout: float = 10.0               # seconds a request body may pause (``--header-timeout``)


def parse_latency(text: str) -> tuple[int, int]:
    """``"50-200"`` -> (50, 200); ``"100"`` -> (100, 100). ValueError with a clear message."""
    parts = text.split("-")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise ValueError(f"latency must be MS or MIN-MAX in milliseconds, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or values[0] < 0 or values[1] < values[0]:
        raise ValueError(f"latency must be MS or MIN-MAX with 0 <= MIN <= MAX, got {text!r}")
    return values[0], values[1]


def parse_chaos(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"chaos must be a fraction between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"chaos must be a fraction between 0 and 1, got {text!r}")
    return value
