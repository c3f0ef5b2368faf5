"""One-shot sync (`syncd sync --once`): list every partition in full, apply, recompute, then push.

The same steps the daemon's components take, run once in order and reported as they go, so a new
install (or a store rebuilt from the trackers) is complete before the daemon starts. Each partition's
listing is saved with its bookmark in one transaction, exactly as the scheduler saves a reconciliation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from syncd.core.errors import TrackerError
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.poll import source_health
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.push.write_preview import budget_seconds, pace_words
from syncd.runtime.worker import Worker
from syncd.store.bookmarks import save_poll
from syncd.store.connection import Connection
from syncd.store.push_targets import count_wanted, count_wanted_by_source
from syncd.store.transactions import run_in_transaction

#: How long the push phase waits while writes are due but none can be made (another process holds the
#: push lease, or a tracker asked us to wait) before leaving them to the running daemon.
STALLED_AFTER = 10.0


@dataclass(frozen=True)
class PartitionSynced:
    """One repo or project listed in full (or the failure that stopped it)."""

    source: str
    partition: str
    tasks: int
    requests: int
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class PushProgress:
    """Writes made so far and writes still wanted."""

    written: int
    remaining: int


@dataclass(frozen=True)
class QueuedWrites:
    """A source's wanted writes and the least time its write limits allow for them."""

    source: str
    writes: int
    seconds: float
    pace: tuple[str, ...]


class Backfill:
    """Drives one full sync over a prepared runtime (store open and migrated, adapters built)."""

    def __init__(self, runtime: Runtime, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.runtime = runtime
        self.okr = OkrCache()
        self._sleep = sleep

    def partitions(self) -> list[tuple[str, str]]:
        """(source, partition) of every enabled source, in config order."""
        found: list[tuple[str, str]] = []
        for name, adapter in self.runtime.loaded.adapters.items():
            found += [(name, partition) for partition in adapter.partitions()]
        return found

    def mirror(self, source: str, partition: str) -> PartitionSynced:
        """List one partition in full and save it; a tracker failure is recorded on the source, not raised."""
        adapter = self.runtime.loaded.adapters[source]
        started_at, clock = self.runtime.clock(), time.perf_counter()
        try:
            result = adapter.reconcile(partition, started_at)
        except TrackerError as error:
            message = self.runtime.redact(f"{type(error).__name__}: {error}")
            self._store(lambda conn: source_health.record_failure(conn, source, started_at, message))
            return PartitionSynced(source, partition, 0, 0, time.perf_counter() - clock, message)
        rules = self.okr.model(self.runtime.loaded).rules
        budget, metrics = adapter.budget(), self.runtime.metrics

        def save(conn: Connection) -> None:
            save_poll(conn, source, result, rules, started_at)
            source_health.record_success(conn, source, started_at, budget, metrics)

        self._store(save)
        return PartitionSynced(source, partition, len(result.snapshots), result.requests, time.perf_counter() - clock)

    def compute(self) -> int:
        """Apply stored deliveries, recompute every dirty KR and render desired push state."""
        return Worker(self.runtime).drain()

    def push(self) -> Iterator[PushProgress]:
        """Make the wanted writes at the trackers' pace, yielding progress after each round.

        Waiting for the pace, the coalescing window or a Retry-After is not a stall; writes that may start
        now yet are not made (another process holds the push lease) are left to it after `STALLED_AFTER`."""
        if self.runtime.config.push.dry_run:
            return
        pusher, written, stalled_since = Pusher(self.runtime), 0, None
        while self.remaining_writes() > 0:
            made = pusher.run_once()
            written += made
            yield PushProgress(written, self.remaining_writes())
            if made:
                stalled_since = None
                continue
            wait = self._seconds_until_next_write(pusher)
            if wait > 0:
                stalled_since = None
                self._sleep(min(wait, 1.0))
                continue
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > STALLED_AFTER:
                return
            self._sleep(0.2)
        yield PushProgress(written, 0)

    def remaining_writes(self) -> int:
        """Wanted writes of the configured sources (permanent failures excluded)."""
        with self.runtime.engine.connect() as conn:
            return count_wanted(conn, list(self.runtime.loaded.adapters))

    def queued(self) -> list[QueuedWrites]:
        """Per source with writes wanted: how many, and how long they take at its pace (the first wave's ETA)."""
        with self.runtime.engine.connect() as conn:
            counts = count_wanted_by_source(conn, list(self.runtime.loaded.adapters))
        queued = []
        for name, adapter in self.runtime.loaded.adapters.items():
            if counts.get(name):
                limits = adapter.write_limits
                seconds = budget_seconds(limits, counts[name])
                queued.append(QueuedWrites(name, counts[name], seconds, pace_words(limits)))
        return queued

    def _seconds_until_next_write(self, pusher: Pusher) -> float:
        """Until the earliest moment a wanted write is both due and allowed by its source's pace and holds."""
        now = self.runtime.clock()
        moments = []
        for name in self.runtime.loaded.adapters:
            source = pusher.source(name)
            due = source.next_due()
            if due is not None:
                moments.append(max(due, source.wait_until(now)))
        soonest = min(moments, default=now)
        return max(0.0, (soonest - now).total_seconds())

    def _store(self, work: Callable[[Connection], object]) -> None:
        run_in_transaction(self.runtime.engine, work, what="sync --once")
