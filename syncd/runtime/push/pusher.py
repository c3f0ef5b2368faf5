"""The pusher: level-triggered writes of desired state into the trackers, paced per source.

One `SourcePusher` per destination, a source (tracker) or an OKR store (`okr_stores:`, whose name is its targets'
`source`), under the lease `push:<name>` so the write pace holds across
replicas and no target is written by two processes at once. Each round it claims due targets (most
recently changed first), waits for `WritePacer` (the adapter's `write_limits`) and any Retry-After
hold, and calls `adapter.apply` in the thread pool, at most `max_concurrent_writes` at a time. A write
counts against the pace when it ends (conservative: in-line retries inside the adapter may land late),
so with N writes in flight a window edge can admit at most N - 1 extra (none for GitHub, N = 1). Each
call is preceded by a committed write-ahead on the target (`push_queue.record_in_flight`): a write whose
outcome was never recorded (kill -9, a lost answer) leaves the target unknown, so it is written again,
the adapter re-reading the tracker first, instead of trusting an `applied_hash` the tracker may not show.
A task's progress record is asked for by task, text, last remote id and that unknown flag only: how it is
found again is the adapter's (a marker, an entity property, a client-chosen id; see `syncd.ports`).
With `push.dry_run` it computes nothing new and writes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import structlog

from syncd.core.errors import Permanent, RateLimited, Retriable
from syncd.core.model import TaskRef
from syncd.core.pacing import RateLimit, WritePacer
from syncd.core.retry import backoff, retry_delay
from syncd.ports import OkrStore, PushWrite, SourceAdapter, WriteResult
from syncd.runtime.context import Runtime
from syncd.runtime.loops import Outage, rest
from syncd.store.connection import Connection, StoreFailure
from syncd.store.leases import Lease
from syncd.store.push_targets import (
    PushJob,
    claim_due,
    clear_stale_claims,
    next_due_at,
    record_in_flight,
    record_permanent,
    record_retry,
    record_success,
    release_claims,
)
from syncd.store.transactions import run_in_transaction

IDLE_WAIT = 1.0
#: `settle` of a source that is not configured (a reload removed it while it was being pushed).
DEFAULT_SETTLE = timedelta(seconds=30)
#: Backoff cap for failures that carry no delay of their own (bugs, unmapped errors).
UNEXPECTED_BACKOFF_CAP = 300.0

T = TypeVar("T")

log = structlog.get_logger("syncd.runtime.pusher")


class Destination(Protocol):
    """What the pusher writes to: a tracker's adapter, or an OKR store seen through `StoreDestination`."""

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """The pace of its writes."""
        ...

    @property
    def max_concurrent_writes(self) -> int:
        """Writes in flight at once."""
        ...

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write."""
        ...


class StoreDestination:
    """An OKR store as a destination of the pusher (its writes are per KR: no task)."""

    def __init__(self, store: OkrStore) -> None:
        self.store = store

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """The store's pace."""
        return self.store.write_limits

    @property
    def max_concurrent_writes(self) -> int:
        """The store's concurrency."""
        return self.store.max_concurrent_writes

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Make one write to the store."""
        return self.store.apply(write)


class SourcePusher:
    """Writes the due targets of one destination (a source or an OKR store); `push_ready()` does what the pace
    allows right now."""

    def __init__(self, runtime: Runtime, source: str) -> None:
        self.runtime = runtime
        self.source = source
        self.lease = Lease(runtime.engine, f"push:{source}", runtime.worker_id, runtime.clock)
        self._built: SourceAdapter | OkrStore | None = None
        self._adapter: Destination | None = None
        self.pacer = WritePacer(())
        #: Retriable failures since the source last answered: the first is a warning, the rest debug lines.
        self.failed_attempts = 0
        #: Targets left in flight by whoever held the lease before us are not touched until then.
        self._unknown_after: datetime | None = None

    @property
    def adapter(self) -> Destination | None:
        """The destination in force: the source's adapter or the OKR store of that name (a reload may replace
        it; the pacer then starts afresh)."""
        adapter, store = self.runtime.adapter(self.source), self.runtime.store(self.source)
        built = adapter if adapter is not None else store
        if built is not self._built:
            self._built = built
            self._adapter = adapter if adapter is not None else StoreDestination(store) if store is not None else None
            self.pacer = WritePacer(built.write_limits if built is not None else ())
        return self._adapter

    @property
    def settle(self) -> timedelta:
        """How long a request that may have reached the tracker is given to land before the target is written
        again: the source's (or store's) request timeout (the client stopped waiting by then; the tracker had
        it as long)."""
        timeouts = {c.name: c.timeout for c in self.runtime.config.sources}
        timeouts.update((c.name, c.timeout) for c in self.runtime.config.okr_stores)
        config = timeouts.get(self.source)
        return config if config is not None else DEFAULT_SETTLE

    def wait_until(self, now: datetime) -> datetime:
        """The earliest moment the next write may start (pace and holds)."""
        moment = self.pacer.next_allowed(now)
        held = self.runtime.holds.until(self.source, now)
        return max(moment, held) if held is not None else moment

    def keep_lease(self) -> bool:
        """Hold `push:<source>`; on taking it, free targets claimed by a dead predecessor. Taken from another
        holder (or found free), the targets left in flight are let alone for `settle`: its last requests may
        still land."""
        was_held = self.lease.held()
        if not self.lease.keep():
            return False
        if not was_held:
            if self.lease.taken_afresh:
                self._unknown_after = self.runtime.clock() + self.settle
            self._run(lambda conn: clear_stale_claims(conn, self.source, self.runtime.worker_id), "free claims")
        return True

    def claim(self, limit: int) -> list[PushJob]:
        """Claim up to `limit` due targets (none in dry-run mode or without the lease)."""
        if self.runtime.config.push.dry_run or self.adapter is None or not self.keep_lease():
            return []
        now = self.runtime.clock()
        holder = self.runtime.worker_id
        unknown = self._unknown_after is None or now >= self._unknown_after
        return self._run(
            lambda conn: claim_due(conn, self.source, holder, now, limit, unknown=unknown), "claim targets"
        )

    def push_ready(self) -> int:
        """Write due targets one at a time while the pace allows; returns how many writes were made."""
        adapter = self.adapter
        if adapter is None:
            return 0
        written = 0
        while self.wait_until(self.runtime.clock()) <= self.runtime.clock():
            jobs = self.claim(1)
            if not jobs:
                break
            self.write(adapter, jobs[0])
            written += 1
        return written

    def write(self, adapter: Destination, job: PushJob) -> str:
        """Make one write and record its outcome; returns the outcome (`ok`, `retry`, `failed`, `held`)."""
        try:
            result = self._apply(adapter, job)
        except Retriable as error:
            delay = retry_delay(error, job.attempts + 1) or 0.0
            if isinstance(error, RateLimited):
                return self._retry(job, error, delay)
            # A timeout or a 5xx: the request may still land, so this target waits for it to settle; the
            # source's other targets wait only for the backoff.
            return self._retry(job, error, max(delay, self.settle.total_seconds()), hold=delay)
        except Permanent as error:
            return self._permanent(job, error)
        # An adapter that lets an unmapped error through (a bug) must not stop the pusher: the target
        # is retried with backoff and the error is kept on its row and logged for the admin.
        except Exception as error:
            log.exception("push.unexpected_error", source=self.source, kind=job.kind.value, key=job.key)
            delay = backoff(job.attempts + 1, cap=UNEXPECTED_BACKOFF_CAP)
            return self._retry(job, error, max(delay, self.settle.total_seconds()), hold=delay)
        if result is None:
            return "held"
        return self._applied(job, result)

    def _apply(self, adapter: Destination, job: PushJob) -> WriteResult | None:
        """Call the tracker through the source's gate, after the write-ahead; None (not written) if a hold
        began meanwhile or our claim was lost."""
        write = PushWrite(job.kind, job.key, job.text, job.number, job.remote_id, unknown=job.unknown)
        with self.runtime.holds.gate(self.source, adapter.max_concurrent_writes):
            if self.runtime.holds.until(self.source, self.runtime.clock()) is not None:
                self.release([job])  # another call was told to wait while this one queued at the gate
                return None
            if not self._write_ahead(job):
                self.release([job])
                return None
            return adapter.apply(job.task, write)

    def _write_ahead(self, job: PushJob) -> bool:
        """Record, committed, that `job` is about to be written; False when our lease or claim lapsed."""
        if not self.keep_lease():
            log.warning("push.lease_lost", source=self.source, kind=job.kind.value, key=job.key)
            return False
        now, holder, lease = self.runtime.clock(), self.runtime.worker_id, self.lease.name
        if self._run(lambda conn: record_in_flight(conn, job, holder, now, lease), "write-ahead"):
            return True
        log.warning("push.claim_lost", source=self.source, kind=job.kind.value, key=job.key)
        return False

    def _applied(self, job: PushJob, result: WriteResult) -> str:
        log.debug("push.answered", source=self.source, kind=job.kind.value, key=job.key, remote_id=result.remote_id)
        now, window, holder = self.runtime.clock(), self.runtime.config.push.coalesce_window, self.runtime.worker_id
        # A create after a write of unknown outcome: that earlier create may still land, so look once more.
        check_at = now + self.settle if job.unknown and result.created else None
        self._run(
            lambda conn: record_success(conn, job, holder, result.remote_id, now=now, window=window, check_at=check_at),
            "record",
        )
        self._answered()
        log.info(f"push.{job.kind.value}_written", source=self.source, key=job.key, remote_id=result.remote_id)
        return self._count(job, "ok")

    def _permanent(self, job: PushJob, error: Permanent) -> str:
        message = self.runtime.redact(str(error))
        self._run(lambda conn: record_permanent(conn, job, self.runtime.worker_id, message), "record failure")
        self._answered()  # a refusal is an answer: the source is reachable again
        log.error("push.failed_permanently", source=self.source, kind=job.kind.value, key=job.key, error=message)
        return self._count(job, "failed")

    def _retry(self, job: PushJob, error: BaseException, delay: float, *, hold: float | None = None) -> str:
        """Write `job` again after `delay`; the source's other writes wait `hold` (default: `delay`)."""
        now = self.runtime.clock()
        retry_at = now + timedelta(seconds=delay)
        self.pacer.hold_until(now + timedelta(seconds=delay if hold is None else hold))
        if isinstance(error, RateLimited):
            self.runtime.holds.hold(self.source, retry_at)
        message = self.runtime.redact(f"{type(error).__name__}: {error}")
        self._run(lambda conn: record_retry(conn, job, self.runtime.worker_id, message, retry_at), "record retry")
        self.failed_attempts += 1
        if self.failed_attempts == 1:
            log.warning(
                "push.retry_scheduled", source=self.source, key=job.key, delay=delay, error=message[:300],
                further="retries are debug lines until a write succeeds (push.recovered)",
            )  # fmt: skip
        else:
            log.debug("push.retry_scheduled", source=self.source, key=job.key, delay=delay, error=message[:300])
        return self._count(job, "retry")

    def _answered(self) -> None:
        """The source answered a write: log the recovery once if writes had been failing."""
        if self.failed_attempts:
            log.info("push.recovered", source=self.source, failed_attempts=self.failed_attempts)
            self.failed_attempts = 0

    def _count(self, job: PushJob, outcome: str) -> str:
        """Count a finished write against the pace and in the metrics. The pace counts it when it ended:
        an adapter's in-line retry may have sent the request that landed well after the call began."""
        self.pacer.record(self.runtime.clock())
        self.runtime.metrics.push_writes.labels(source=self.source, kind=job.kind.value, outcome=outcome).inc()
        return outcome

    def release(self, jobs: list[PushJob]) -> None:
        """Give back claims not attempted."""
        if jobs:
            self._run(lambda conn: release_claims(conn, jobs, self.runtime.worker_id), "release claims")

    def next_due(self) -> datetime | None:
        """When the earliest pending target becomes due."""
        unknown_after = self._unknown_after
        return self._run(lambda conn: next_due_at(conn, self.source, unknown_after=unknown_after), "next due")

    def _run(self, work: Callable[[Connection], T], what: str) -> T:
        return run_in_transaction(self.runtime.engine, work, what=f"{what} ({self.source})")

    async def run(self, stop: asyncio.Event) -> None:
        """Push until `stop` is set; on stop, finish writes in flight and release the lease."""
        outage = Outage(f"pusher {self.source}")
        try:
            while not stop.is_set() and self.adapter is not None:
                try:
                    pause = await self._round(stop)
                except Exception as error:  # never stops the loop: logged, backed off (see `Outage`)
                    if isinstance(error, StoreFailure):
                        self.lease.mark_lost()
                    pause = outage.failed(error)
                else:
                    outage.succeeded()
                await rest(stop, pause)
        finally:
            await self._release_lease()

    async def _round(self, stop: asyncio.Event) -> float:
        """One round: claim what may be written now and write it; returns how long to rest after."""
        loop = asyncio.get_running_loop()
        adapter = self.adapter
        if adapter is None:
            return IDLE_WAIT
        now = self.runtime.clock()
        start_at = self.wait_until(now)
        if start_at > now:
            return min((start_at - now).total_seconds(), IDLE_WAIT * 5)
        jobs = await loop.run_in_executor(self.runtime.executor, self.claim, max(1, adapter.max_concurrent_writes))
        if not jobs:
            return await self._idle_pause(loop)
        await self._write_all(adapter, jobs, stop)
        return 0.0

    async def _write_all(self, adapter: Destination, jobs: list[PushJob], stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        in_flight: list[asyncio.Future[str]] = []
        for index, job in enumerate(jobs):
            wait = (self.wait_until(self.runtime.clock()) - self.runtime.clock()).total_seconds()
            if wait > 0:
                await rest(stop, wait)
            if stop.is_set() or self.wait_until(self.runtime.clock()) > self.runtime.clock():
                await loop.run_in_executor(self.runtime.executor, self.release, jobs[index:])
                break
            in_flight.append(loop.run_in_executor(self.runtime.executor, self.write, adapter, job))
        await asyncio.gather(*in_flight)

    async def _idle_pause(self, loop: asyncio.AbstractEventLoop) -> float:
        due = await loop.run_in_executor(self.runtime.executor, self.next_due)
        if due is None:
            return IDLE_WAIT
        return max(0.0, min(IDLE_WAIT, (due - self.runtime.clock()).total_seconds()))

    async def _release_lease(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.runtime.executor, self.lease.release)
        except StoreFailure as error:
            log.warning("lease.release_failed", lease=self.lease.name, error=str(error)[:200])


class Pusher:
    """Runs one `SourcePusher` per configured source and OKR store; `run_once()` pushes what is due and allowed
    now."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._sources: dict[str, SourcePusher] = {}

    def source(self, name: str) -> SourcePusher:
        """The pusher of one source (created on first use)."""
        if name not in self._sources:
            self._sources[name] = SourcePusher(self.runtime, name)
        return self._sources[name]

    def run_once(self) -> int:
        """Push, for every source, the due targets the pace allows now; returns writes attempted."""
        return sum(self.source(name).push_ready() for name in self.destinations())

    def destinations(self) -> list[str]:
        """The names written to: every source, then every OKR store."""
        return [*sorted(self.runtime.loaded.adapters), *sorted(self.runtime.loaded.stores)]

    async def run(self, stop: asyncio.Event) -> None:
        """Push every source until `stop` is set; sources added by a reload are picked up."""
        running: dict[str, asyncio.Task[None]] = {}
        log.info("pusher.started", worker=self.runtime.worker_id, dry_run=self.runtime.config.push.dry_run)
        while not stop.is_set():
            for name in self.destinations():
                if name in running and running[name].done():
                    _log_crash(running.pop(name))
                if name not in running:
                    running[name] = asyncio.create_task(self.source(name).run(stop), name=f"push:{name}")
            await rest(stop, IDLE_WAIT * 5)
        await asyncio.gather(*running.values(), return_exceptions=True)
        log.info("pusher.stopped", worker=self.runtime.worker_id)


def _log_crash(task: asyncio.Task[None]) -> None:
    """Log why a per-source loop ended before stop (it is restarted by the caller)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("pusher.source_loop_crashed", loop=task.get_name(), error=f"{type(error).__name__}: {error}")
