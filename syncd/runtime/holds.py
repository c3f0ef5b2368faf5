"""Per-source holds: after a tracker said "retry after N seconds", no part of this process calls it sooner.

The scheduler and the pusher of one process share one `SourceHolds` (on the `Runtime`), so a 429 seen
by a poll also holds writes, and the other way round. Thread-safe; times come from the runtime's clock.
"""

from __future__ import annotations

import threading
from datetime import datetime


class SourceHolds:
    """When each source may next be called; a later hold never shortens an earlier one."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
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
