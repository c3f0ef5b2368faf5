"""Write pacing: sliding-window limits such as "80 per minute and 500 per hour", as pure arithmetic.

The pusher asks `next_allowed(now)` before each write and calls `record(now)` after it; a server's
Retry-After is applied with `hold_until`. Nothing here sleeps or reads a clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` events per `period`."""

    count: int
    period: timedelta


class WritePacer:
    """Tracks recent writes of one source and says when the next one may start."""

    def __init__(self, limits: Sequence[RateLimit]) -> None:
        self._limits = tuple(limits)
        longest = max((limit.period for limit in self._limits), default=timedelta(0))
        self._horizon = longest
        self._history: deque[datetime] = deque()
        self._hold_until: datetime | None = None

    def hold_until(self, moment: datetime) -> None:
        """Allow no write before `moment` (a server asked us to wait)."""
        if self._hold_until is None or moment > self._hold_until:
            self._hold_until = moment

    def next_allowed(self, now: datetime) -> datetime:
        """The earliest moment (>= now) at which one more write keeps every limit."""
        self._forget_before(now - self._horizon)
        moment = now if self._hold_until is None else max(now, self._hold_until)
        for limit in self._limits:
            window = [t for t in self._history if t > moment - limit.period]
            if len(window) >= limit.count:
                # The oldest write that must leave the window before one more fits.
                moment = max(moment, window[len(window) - limit.count] + limit.period)
        return moment

    def record(self, moment: datetime) -> None:
        """Count one write made at `moment`."""
        self._history.append(moment)

    def _forget_before(self, cutoff: datetime) -> None:
        while self._history and self._history[0] <= cutoff:
            self._history.popleft()
