"""Account lockout: N failed logins within a window lock the account until the window passes."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable


class Lockout:
    def __init__(self, attempts: int | None, seconds: int, *, clock: Callable[[], float] = time.time):
        self.attempts = attempts
        self.seconds = seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, who: str) -> deque[float]:
        failures = self._failures.setdefault(who.lower(), deque())
        horizon = self._clock() - self.seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def locked_for(self, who: str) -> int:
        """Seconds until `who` may try again (0: not locked)."""
        if not self.attempts:
            return 0
        failures = self._recent(who)
        if len(failures) < self.attempts:
            return 0
        return max(1, int(failures[-self.attempts] + self.seconds - self._clock()) + 1)

    def failed(self, who: str) -> None:
        if self.attempts:
            self._recent(who).append(self._clock())

    def succeeded(self, who: str) -> None:
        self._failures.pop(who.lower(), None)

    def clear(self) -> None:
        self._failures.clear()
