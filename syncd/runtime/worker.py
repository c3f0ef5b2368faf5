"""The worker: applies stored deliveries, recomputes dirty KRs and renders desired push state.

`Worker.run(stop)` loops until stopped: one batch of deliveries, one of dirty KRs (dirty for at least
`RECOMPUTE_DEBOUNCE`: a burst is recomputed once), one of dirty tasks, each its own transaction, in the
runtime's thread pool. When idle it waits for the webhook writer's
`deliveries_waiting` event (same process) or at most `IDLE_WAIT` (deliveries stored by another
process); without a backlog it lets `APPLY_WINDOW` pass between batches so that a stream is applied in
batches. Hourly it marks every KR dirty (a status moves with the calendar even when no task does)
and drops applied deliveries older than `DELIVERY_RETENTION`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from syncd.runtime.apply.deliveries import DELIVERY_BATCH, DeliveryApplier
from syncd.runtime.context import Runtime
from syncd.runtime.loops import Outage, rest
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.queues import record_queue_depths
from syncd.runtime.recompute.dirty import Recompute, mark_active_krs_dirty
from syncd.store.connection import Connection
from syncd.store.inbox import sweep_done
from syncd.store.transactions import run_in_transaction

IDLE_WAIT = 0.2
#: Without a backlog the running worker waits this long between batches, so that deliveries arriving
#: meanwhile share one transaction: at 100 deliveries/s, batches of about ten instead of one each (a
#: batch's fixed cost is several deliveries' worth, and in `--role all` it is CPU the webhook path needs).
APPLY_WINDOW = 0.1
#: In the running daemon a dirty KR waits this long before its recompute, so that a burst of changes to
#: its tasks is recomputed once rather than once per applied batch (a recompute reads every linked task).
#: With `IDLE_WAIT` it bounds the delay a change adds before its comment is planned.
RECOMPUTE_DEBOUNCE = timedelta(milliseconds=250)
HOUSEKEEPING_EVERY = timedelta(hours=1)
DELIVERY_RETENTION = timedelta(days=7)
QUEUE_GAUGE_EVERY = timedelta(seconds=5)

log = structlog.get_logger("syncd.runtime.worker")


class Worker:
    """Applies deliveries and recomputes; `run_once()` does one batch of each step, synchronously."""

    def __init__(self, runtime: Runtime, *, batch_size: int = DELIVERY_BATCH) -> None:
        self.runtime = runtime
        okr = OkrCache()
        self.deliveries = DeliveryApplier(runtime, okr, batch_size=batch_size)
        self.recompute = Recompute(runtime, okr)
        self._housekeeping_at: datetime | None = None
        self._gauges_at: datetime | None = None

    def run_once(self, recompute_debounce: timedelta = timedelta(0)) -> int:
        """Apply one batch of deliveries, then recompute the KRs dirty for at least `recompute_debounce`;
        returns how many rows were handled."""
        self._housekeeping()
        handled = self.deliveries.apply_batch()
        handled += self.recompute.run_once(recompute_debounce)
        self._queue_gauges()
        return handled

    def drain(self, limit: int = 10_000) -> int:
        """Run batches until nothing is left (or `limit` batches); for tests and `syncd sync --once`."""
        total = 0
        for _ in range(limit):
            handled = self.run_once()
            total += handled
            if not handled:
                break
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; a store outage is logged once and retried with backoff."""
        loop = asyncio.get_running_loop()
        outage = Outage("worker")
        log.info("worker.started", worker=self.runtime.worker_id)
        while not stop.is_set():
            try:
                handled = await loop.run_in_executor(self.runtime.executor, self.run_once, RECOMPUTE_DEBOUNCE)
            except Exception as error:  # never stops the loop: logged, backed off (see `Outage`)
                await rest(stop, outage.failed(error))
                continue
            outage.succeeded()
            if not handled:
                await rest(stop, IDLE_WAIT, self.runtime.deliveries_waiting)
            if handled < self.deliveries.batch_size:  # no backlog: let the next batch gather
                await rest(stop, APPLY_WINDOW)
        log.info("worker.stopped", worker=self.runtime.worker_id)

    def _housekeeping(self) -> None:
        now = self.runtime.clock()
        if self._housekeeping_at is not None and now - self._housekeeping_at < HOUSEKEEPING_EVERY:
            return
        run_in_transaction(self.runtime.engine, lambda conn: _housekeep(conn, now), what="worker housekeeping")
        self._housekeeping_at = now

    def _queue_gauges(self) -> None:
        now = self.runtime.clock()
        if self._gauges_at is not None and now - self._gauges_at < QUEUE_GAUGE_EVERY:
            return
        with self.runtime.engine.connect() as conn:
            record_queue_depths(conn, self.runtime.metrics, now)
        self._gauges_at = now


def _housekeep(conn: Connection, now: datetime) -> None:
    """Mark every active KR dirty (statuses follow the calendar) and drop long-applied deliveries.

    Takes the rollup lock, then the KRs in id order, like every other writer of KRs (no deadlock)."""
    mark_active_krs_dirty(conn, now)
    sweep_done(conn, now - DELIVERY_RETENTION)
