"""Applying stored webhook deliveries to the mirror, in id order, each exactly once.

One batch is one transaction: claim pending deliveries (PostgreSQL `FOR UPDATE SKIP LOCKED`, so
replicas take different ones), interpret each with its source's adapter (pure), upsert snapshots
(newer wins), mark removed tasks deleted, queue refetches and reconciliations, and mark the
deliveries done (`claimed_by` names the worker that applied them), all committed together. Applying a delivery twice changes nothing: its snapshots
are no newer the second time. A delivery that cannot be applied is retried with backoff and, after
`MAX_DELIVERY_ATTEMPTS`, kept as `failed` with its error for `syncd status`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import structlog

from syncd.core.retry import backoff
from syncd.logs import redact
from syncd.ports import DeliveryEffects
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.store import inbox
from syncd.store.connection import Connection, StoreFailure
from syncd.store.inbox import DeliveryRecord
from syncd.store.mirror import MirrorChange, mark_krs_dirty, remove_tasks, request_refresh, upsert_snapshots
from syncd.store.transactions import is_store_unavailable, run_in_transaction

DELIVERY_BATCH = 100
MAX_DELIVERY_ATTEMPTS = 5
#: Cap of the retry backoff of a failing delivery.
DELIVERY_BACKOFF_CAP = 60.0

log = structlog.get_logger("syncd.runtime.apply")


@dataclass(frozen=True)
class _Failure:
    """A delivery that could not be applied this time (reported once its transaction committed)."""

    source: str
    delivery_id: str
    attempts: int
    error: str
    poisoned: bool


@dataclass
class _Outcome:
    """What one committed batch settled, for metrics and logs written only after the commit."""

    settled: int = 0
    applied: int = 0
    tasks: int = 0
    failures: list[_Failure] = field(default_factory=list)


@dataclass
class _Batch:
    """The interpreted deliveries of one batch: what each applied one means, and the failed ones."""

    interpreted: list[tuple[DeliveryRecord, DeliveryEffects]] = field(default_factory=list)
    failed: list[tuple[DeliveryRecord, str]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.interpreted) + len(self.failed)

    def only(self, ids: set[int]) -> _Batch:
        """The part of the batch whose deliveries are in `ids` (still pending when the write lock came)."""
        return _Batch(
            [(row, effects) for row, effects in self.interpreted if row.id in ids],
            [(row, error) for row, error in self.failed if row.id in ids],
        )

    def effects_by_source(self) -> dict[str, list[DeliveryEffects]]:
        by_source: dict[str, list[DeliveryEffects]] = defaultdict(list)
        for row, effects in self.interpreted:
            by_source[row.source].append(effects)
        return by_source


class DeliveryApplier:
    """Applies batches of pending deliveries; `apply_batch()` returns how many it settled."""

    def __init__(self, runtime: Runtime, okr: OkrCache | None = None, *, batch_size: int = DELIVERY_BATCH) -> None:
        self.runtime = runtime
        self.okr = okr or OkrCache()
        self.batch_size = batch_size

    def apply_batch(self) -> int:
        """Apply up to one batch in one transaction; if it fails, settle the deliveries one at a time.

        On SQLite (one writer for the whole file) the batch is read and interpreted before the write
        lock is taken, so webhook ingest waits for the writes alone; inside the transaction only the
        deliveries still pending are applied. PostgreSQL claims rows inside the transaction instead
        (`SKIP LOCKED`: replicas must not interpret the same deliveries), where holding it costs nobody."""
        now = self.runtime.clock()
        try:
            read = self._read_ahead(now) if self.runtime.engine.dialect.name == "sqlite" else None
            if read is not None and not read.size:
                return 0  # nothing due: no write transaction just to look
            return self._report(self._run(lambda conn: self._apply(conn, now, self.batch_size, read=read)))
        except StoreFailure as error:
            if is_store_unavailable(error):
                raise
            log.warning("worker.batch_failed", error=str(error.__cause__ or error)[:300], action="one at a time")
            return self._apply_singly(now)

    def _run(self, work: Callable[[Connection], _Outcome]) -> _Outcome:
        return run_in_transaction(self.runtime.engine, work, what="apply deliveries", derived=True)

    def _report(self, outcome: _Outcome) -> int:
        """Count and log a committed batch (never before its commit: a rolled-back batch is applied again)."""
        metrics = self.runtime.metrics.deliveries_applied
        metrics.labels(outcome="applied").inc(outcome.applied)
        if outcome.applied:
            log.info("worker.deliveries_applied", count=outcome.applied, tasks=outcome.tasks)
        for failure in outcome.failures:
            metrics.labels(outcome="failed" if failure.poisoned else "retry").inc()
            event = "worker.delivery_failed" if failure.poisoned else "worker.delivery_retry"
            log.warning(
                event,
                source=failure.source,
                delivery_id=failure.delivery_id,
                attempts=failure.attempts,
                error=failure.error[:300],
            )
        return outcome.settled

    def _apply_singly(self, now: datetime) -> int:
        settled = 0
        for delivery_id in self._due_ids(now):
            try:
                settled += self._report(self._run(partial(self._apply, now=now, limit=1, only=delivery_id)))
            except StoreFailure as error:
                if is_store_unavailable(error):
                    raise
                message = str(error.__cause__ or error)
                record = partial(self._record_failure_by_id, delivery_id=delivery_id, now=now, error=message)
                settled += self._report(self._run(record))
        return settled

    def _due_ids(self, now: datetime) -> list[int]:
        with self.runtime.engine.connect() as conn:
            return inbox.due_delivery_ids(conn, now, self.batch_size)

    def _read_ahead(self, now: datetime) -> _Batch:
        """The next batch of due deliveries, read and interpreted outside any write transaction."""
        with self.runtime.engine.connect() as conn:
            rows = inbox.due_deliveries(conn, now, self.batch_size)
        return self._interpret(rows)

    def _apply(
        self, conn: Connection, now: datetime, limit: int, only: int | None = None, read: _Batch | None = None
    ) -> _Outcome:
        if read is not None:
            ids = [row.id for row, _ in read.interpreted] + [row.id for row, _ in read.failed]
            batch = read.only(inbox.still_pending(conn, ids))
        else:
            batch = self._interpret(inbox.claim_due_deliveries(conn, now, limit, only))
        change = self._apply_effects(conn, batch, now)
        failures = [self._record_failure(conn, row, now, error) for row, error in batch.failed]
        done = [row.id for row, _ in batch.interpreted]
        inbox.mark_applied(conn, done, self.runtime.worker_id, now)
        return _Outcome(settled=batch.size, applied=len(done), tasks=change.tasks, failures=failures)

    def _interpret(self, rows: Sequence[DeliveryRecord]) -> _Batch:
        batch = _Batch()
        for row in rows:
            adapter = self.runtime.adapter(row.source)
            if adapter is None:
                batch.failed.append((row, f"source {row.source!r} is not configured (removed or disabled?)"))
                continue
            try:
                batch.interpreted.append((row, adapter.interpret(row.event, row.body)))
            # An adapter's failure on one stored body (malformed, or a bug) must not block the others: it is
            # recorded on that delivery, retried with backoff, and kept as failed for the admin to see.
            except Exception as error:
                batch.failed.append((row, f"{type(error).__name__}: {error}"))
        return batch

    def _apply_effects(self, conn: Connection, batch: _Batch, now: datetime) -> MirrorChange:
        rules = self.okr.model(self.runtime.loaded).rules
        change = MirrorChange()
        by_source = batch.effects_by_source()
        for source in sorted(by_source):
            effects = by_source[source]
            snapshots = [s for e in effects for s in e.snapshots]
            delivered = upsert_snapshots(conn, snapshots, rules, now, or_equal=False)
            change += delivered
            change += remove_tasks(conn, source, [i for e in effects for i in e.removed], now)
            # A delivery as new as the mirror but different (whole-second stamps): the tracker says which holds.
            tied = [external_id for _, external_id in delivered.tied]
            request_refresh(conn, source, "fetch", [i for e in effects for i in e.refetch] + tied, now)
            request_refresh(conn, source, "reconcile", [p for e in effects for p in e.reconcile], now)
        mark_krs_dirty(conn, change.dirty_krs, now)
        return change

    def _record_failure(self, conn: Connection, row: DeliveryRecord, now: datetime, error: str) -> _Failure:
        attempts = row.attempts + 1
        poisoned = attempts >= MAX_DELIVERY_ATTEMPTS
        retry_at = now + timedelta(seconds=backoff(attempts, cap=DELIVERY_BACKOFF_CAP))
        inbox.record_delivery_failure(conn, row.id, attempts, redact(error)[:2000], None if poisoned else retry_at)
        return _Failure(row.source, row.delivery_id, attempts, error, poisoned)

    def _record_failure_by_id(self, conn: Connection, delivery_id: int, now: datetime, error: str) -> _Outcome:
        row = inbox.delivery_row(conn, delivery_id)
        if row is None or row.status != "pending":
            return _Outcome(settled=1)
        return _Outcome(settled=1, failures=[self._record_failure(conn, row, now, error)])
