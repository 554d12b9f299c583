"""How many requests reached each operation's own logic, not just its doorway.

A request reaches the logic unless the doorway turned it away: 429 (rate limited), or 401/403
from a protected operation although it carried the suite's valid credentials (a login's 401
for a wrong password is that operation's own logic). Requests that deliberately carry none to a
protected operation (probing its 401) are not counted either way. An operation that no
request reached was not tested, whatever its checks say.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

TURNED_AWAY_WITH_CREDENTIALS = frozenset({401, 403})
RATE_LIMITED = 429


@dataclass
class ReachTally:
    sent: int = 0
    reached: int = 0


def reached(status: int, *, carried: bool, protected: bool) -> bool | None:
    """Whether a request got to the logic; None when it does not count (no credentials to a
    protected operation, on purpose)."""
    if status == RATE_LIMITED:
        return False
    if protected and not carried:
        return None
    if carried and protected and status in TURNED_AWAY_WITH_CREDENTIALS:
        return False
    return True


@dataclass
class ReachCounter:
    tallies: dict[str, ReachTally] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, status: int, *, carried: bool, protected: bool) -> None:
        verdict = reached(status, carried=carried, protected=protected)
        if verdict is None:
            return
        with self.lock:
            tally = self.tallies.setdefault(operation, ReachTally())
            tally.sent += 1
            tally.reached += int(verdict)


def share(tallies: dict[str, ReachTally]) -> float | None:
    """Reached / sent over every operation, as a fraction (None when nothing was counted)."""
    sent = sum(tally.sent for tally in tallies.values())
    return None if not sent else sum(tally.reached for tally in tallies.values()) / sent
