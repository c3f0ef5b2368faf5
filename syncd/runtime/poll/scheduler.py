"""The scheduler: one coordinator per source polls, reconciles and serves refresh requests.

Only the holder of the lease `poll:<source>` talks to a source. Each tick it does what is due: a full
reconciliation of a partition every `reconcile_interval` (the first one is the backfill), an
incremental poll every `poll_interval`, then the debounced refresh requests (fetches in batches,
reconciliations). Tracker calls run in the runtime's thread pool; results go through the mirror with
their bookmark in one transaction. A `Retriable` failure holds the source for the delay it named;
the source's freshness and last error are kept in `source_state`, logged once per change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

import structlog

from syncd.config.source import SourceConfig
from syncd.core.errors import Permanent, RateLimited, Retriable, TrackerError
from syncd.core.retry import retry_delay
from syncd.ports import PollResult, SourceAdapter
from syncd.runtime.context import Runtime
from syncd.runtime.loops import Outage, rest
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.poll import source_health
from syncd.store.bookmarks import (
    FETCH_BATCH,
    PartitionState,
    RefreshBatch,
    drop_refreshes,
    due_refreshes,
    finish_refreshes,
    partition_states,
    retry_refreshes,
    save_poll,
)
from syncd.store.connection import Connection, StoreFailure
from syncd.store.leases import Lease
from syncd.store.mirror import mark_krs_dirty, remove_tasks, upsert_snapshots
from syncd.store.transactions import run_in_transaction

T = TypeVar("T")
TICK_EVERY = 0.5
DEFAULTS = SourceConfig(name="defaults", kind="defaults", base_url="http://localhost")

log = structlog.get_logger("syncd.runtime.scheduler")


class SourceCoordinator:
    """Polls one source; `tick()` does the work due now and returns how many tracker calls it made."""

    def __init__(self, runtime: Runtime, source: str, okr: OkrCache) -> None:
        self.runtime = runtime
        self.source = source
        self.okr = okr
        self.lease = Lease(runtime.engine, f"poll:{source}", runtime.worker_id, runtime.clock)
        self._held_until: datetime | None = None
        self._failures = 0
        self._partitions: tuple[datetime, Sequence[str]] | None = None

    @property
    def settings(self) -> SourceConfig:
        """The source's config (intervals); defaults when the config has no entry of that name."""
        return next((s for s in self.runtime.config.sources if s.name == self.source), DEFAULTS)

    def held_until(self, now: datetime) -> datetime | None:
        """The end of a hold on this source (ours, or one the pusher saw), if any."""
        shared = self.runtime.holds.until(self.source, now)
        own = self._held_until if self._held_until is not None and self._held_until > now else None
        return max((m for m in (shared, own) if m is not None), default=None)

    def run_once(self) -> int:
        """Take or renew the lease, then tick; for tests and one-shot syncs."""
        return self.tick() if self.lease.keep() else 0

    def tick(self) -> int:
        """Poll what is due, then serve refresh requests; a tracker failure holds the source."""
        adapter = self.runtime.adapter(self.source)
        if adapter is None or self.held_until(self.runtime.clock()) is not None:
            return 0
        try:
            with self.runtime.holds.gate(self.source, adapter.max_concurrent_writes):
                if self.held_until(self.runtime.clock()) is not None:
                    return 0
                calls = self._poll_due(adapter) + self._serve_refreshes(adapter)
        except TrackerError as error:
            self._failed(error)
            return 1
        self._failures = 0
        if calls:
            now, budget = self.runtime.clock(), adapter.budget()
            self._store(lambda c: source_health.record_success(c, self.source, now, budget, self.runtime.metrics))
        return calls

    # -- polls ---------------------------------------------------------------------------------
    def _poll_due(self, adapter: SourceAdapter) -> int:
        calls = 0
        states = self._store(lambda conn: partition_states(conn, self.source))
        for partition in self._current_partitions(adapter):
            mode = self._due_mode(states.get(partition))
            if mode is not None:
                self._poll(adapter, partition, mode, states.get(partition))
                calls += 1
        return calls

    def _current_partitions(self, adapter: SourceAdapter) -> Sequence[str]:
        now = self.runtime.clock()
        if self._partitions is None or now - self._partitions[0] >= self.settings.poll_interval:
            self._partitions = (now, tuple(adapter.partitions()))
        return self._partitions[1]

    def _due_mode(self, state: PartitionState | None) -> str | None:
        now, settings = self.runtime.clock(), self.settings
        if state is None or state.reconciled_at is None or now - state.reconciled_at >= settings.reconcile_interval:
            return "reconcile"
        if state.polled_at is None or now - state.polled_at >= settings.poll_interval:
            return "poll"
        return None

    def _poll(self, adapter: SourceAdapter, partition: str, mode: str, state: PartitionState | None) -> None:
        started_at = self.runtime.clock()
        clock = time.perf_counter()
        try:
            if mode == "reconcile":
                result = adapter.reconcile(partition, started_at)
            else:
                result = adapter.poll(state.bookmark if state else None, partition, started_at)
        finally:
            self.runtime.metrics.poll_duration.labels(source=self.source, mode=mode).observe(
                time.perf_counter() - clock
            )
        self._save(result, started_at)
        log.debug("poll.done", source=self.source, partition=partition, mode=mode, tasks=len(result.snapshots))

    def _save(self, result: PollResult, started_at: datetime) -> None:
        rules = self.okr.model(self.runtime.loaded).rules
        self._store(lambda conn: save_poll(conn, self.source, result, rules, started_at))

    # -- refresh requests ----------------------------------------------------------------------
    def _serve_refreshes(self, adapter: SourceAdapter) -> int:
        now = self.runtime.clock()
        fetches = self._store(lambda conn: due_refreshes(conn, self.source, "fetch", now, FETCH_BATCH))
        reconciles = self._store(lambda conn: due_refreshes(conn, self.source, "reconcile", now, 1))
        calls = 0
        if fetches is not None:
            calls += self._guarded(fetches, partial(self._fetch, adapter, fetches))
        if reconciles is not None:
            calls += self._guarded(reconciles, partial(self._reconcile_request, adapter, reconciles))
        return calls

    def _fetch(self, adapter: SourceAdapter, batch: RefreshBatch) -> None:
        started_at = self.runtime.clock()
        clock = time.perf_counter()
        result = adapter.fetch(batch.keys)
        self.runtime.metrics.poll_duration.labels(source=self.source, mode="fetch").observe(time.perf_counter() - clock)
        rules = self.okr.model(self.runtime.loaded).rules

        def apply(conn: Connection) -> None:
            change = upsert_snapshots(conn, result.snapshots, rules, started_at, or_equal=True)
            change += remove_tasks(conn, self.source, result.missing, started_at)
            mark_krs_dirty(conn, change.dirty_krs, started_at)
            finish_refreshes(conn, batch, started_at)

        self._store(apply)

    def _reconcile_request(self, adapter: SourceAdapter, batch: RefreshBatch) -> None:
        started_at = self.runtime.clock()
        self._save(adapter.reconcile(batch.keys[0], started_at), started_at)
        self._store(lambda conn: finish_refreshes(conn, batch, started_at))

    def _guarded(self, batch: RefreshBatch, serve: Callable[[], None]) -> int:
        """Serve a batch; a permanent failure drops it (reconciliation covers it), others are retried."""
        try:
            serve()
        except Permanent as error:
            log.warning("refresh.dropped", source=self.source, kind=batch.kind, keys=len(batch.ids), error=str(error))
            self._store(lambda conn: drop_refreshes(conn, batch.ids))
        except Retriable as error:
            delay = timedelta(seconds=retry_delay(error, batch.attempts + 1) or 0.0)
            retry_at, message = self.runtime.clock() + delay, self.runtime.redact(str(error))
            self._store(lambda conn: retry_refreshes(conn, batch, message, retry_at))
            raise
        return 1

    # -- failures and the store ----------------------------------------------------------------
    def _failed(self, error: TrackerError) -> None:
        """Hold the source: as long as a `Retriable` asked (backoff when it named nothing), or a poll
        interval after a `Permanent` failure (a bad token or a missing repo will not heal sooner)."""
        now = self.runtime.clock()
        self._failures += 1
        delay = retry_delay(error, self._failures)
        if delay is None:
            delay = self.settings.poll_interval.total_seconds()
        self._held_until = now + timedelta(seconds=delay)
        if isinstance(error, RateLimited):
            self.runtime.holds.hold(self.source, self._held_until)
        message = self.runtime.redact(f"{type(error).__name__}: {error}")
        self._store(lambda conn: source_health.record_failure(conn, self.source, now, message))

    def _store(self, work: Callable[[Connection], T]) -> T:
        return run_in_transaction(self.runtime.engine, work, what=f"scheduler {self.source}")

    # -- the loop ------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set, renewing the lease while a long poll runs; release it at the end."""
        loop = asyncio.get_running_loop()
        outage = Outage(f"scheduler {self.source}")
        try:
            while not stop.is_set() and self.runtime.adapter(self.source) is not None:
                try:
                    if await loop.run_in_executor(self.runtime.executor, self.lease.keep):
                        await self._tick_keeping_lease(loop)
                except Exception as error:  # never stops the loop: logged, backed off (see `Outage`)
                    if isinstance(error, StoreFailure):
                        self.lease.mark_lost()
                    await rest(stop, outage.failed(error))
                    continue
                outage.succeeded()
                await rest(stop, TICK_EVERY)
        finally:
            try:
                await loop.run_in_executor(self.runtime.executor, self.lease.release)
            except StoreFailure as error:
                log.warning("lease.release_failed", lease=self.lease.name, error=str(error)[:200])

    async def _tick_keeping_lease(self, loop: asyncio.AbstractEventLoop) -> None:
        work = loop.run_in_executor(self.runtime.executor, self.tick)
        while True:
            done, _ = await asyncio.wait({work}, timeout=self.lease.renew_every.total_seconds())
            if done:
                work.result()
                return
            await loop.run_in_executor(self.runtime.executor, self.lease.keep)


class Scheduler:
    """One `SourceCoordinator` per configured source; `run_once()` ticks each once (tests, `sync --once`)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.okr = OkrCache()
        self._coordinators: dict[str, SourceCoordinator] = {}

    def coordinator(self, source: str) -> SourceCoordinator:
        """The coordinator of one source (created on first use)."""
        if source not in self._coordinators:
            self._coordinators[source] = SourceCoordinator(self.runtime, source, self.okr)
        return self._coordinators[source]

    def run_once(self) -> int:
        """Tick every source once (taking its lease); returns tracker calls made."""
        return sum(self.coordinator(name).run_once() for name in sorted(self.runtime.loaded.adapters))

    async def run(self, stop: asyncio.Event) -> None:
        """Coordinate every source until `stop` is set; sources added by a reload are picked up."""
        running: dict[str, asyncio.Task[None]] = {}
        log.info("scheduler.started", worker=self.runtime.worker_id)
        while not stop.is_set():
            for name in self.runtime.loaded.adapters:
                if name in running and running[name].done():
                    task = running.pop(name)
                    if not task.cancelled() and (error := task.exception()) is not None:
                        log.error(
                            "scheduler.source_loop_crashed", source=name, error=f"{type(error).__name__}: {error}"
                        )
                if name not in running:
                    running[name] = asyncio.create_task(self.coordinator(name).run(stop), name=f"poll:{name}")
            await rest(stop, 2.5)
        await asyncio.gather(*running.values(), return_exceptions=True)
        log.info("scheduler.stopped", worker=self.runtime.worker_id)
