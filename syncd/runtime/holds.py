"""Per-source holds and gates: after a tracker said "retry after N seconds", this process calls it no sooner.

The scheduler and the pusher of one process share one `SourceHolds` (on the `Runtime`), so a 429 seen
by a poll also holds writes, and the other way round. The gate lets at most `max_concurrent_writes`
calls into one source's adapter at a time (GitHub: one, as GitHub asks): while an adapter sleeps
through a short Retry-After in-line, no other call of this process reaches that tracker either.
Thread-safe; times come from the runtime's clock.
"""

from __future__ import annotations

import threading
from datetime import datetime


class SourceHolds:
    """When each source may next be called; a later hold never shortens an earlier one."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._gates: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def hold(self, source: str, until: datetime) -> None:
        """Call `source` no sooner than `until`."""
        with self._lock:
            current = self._until.get(source)
            if current is None or until > current:
                self._until[source] = until

    def until(self, source: str, now: datetime) -> datetime | None:
        """The end of the hold on `source`, or None when it may be called at `now`."""
        with self._lock:
            moment = self._until.get(source)
        return moment if moment is not None and moment > now else None

    def gate(self, source: str, size: int) -> threading.BoundedSemaphore:
        """The semaphore every call into `source`'s adapter holds (`size` is fixed by the first caller)."""
        with self._lock:
            if source not in self._gates:
                self._gates[source] = threading.BoundedSemaphore(max(1, size))
            return self._gates[source]
