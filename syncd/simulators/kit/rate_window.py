"""A sliding-window request limit, as trackers enforce them: at most `count` admissions per `period` seconds."""

from __future__ import annotations

import threading
from collections import deque


class SlidingWindow:
    """At most `count` admissions in any `period` seconds (thread-safe); callers pass monotonic time."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, now: float) -> float | None:
        """Count one admission at `now`: None if it fits, else the seconds until one would (nothing is counted)."""
        with self._lock:
            while self._times and self._times[0] <= now - self.period:
                self._times.popleft()
            if len(self._times) >= self.count:
                return self._times[0] + self.period - now
            self._times.append(now)
            return None
