"""Durable webhook ingest by group commit: many deliveries, one transaction, one fsync.

The webhook route hands each verified delivery to `DeliveryWriter.submit` and answers only once the
row is committed. Deliveries submitted during one turn of the event loop travel together: the first
of a turn schedules one hand-over at the end of the turn, so the writer thread is woken once per turn,
not once per request (woken per request, it committed a batch of one while the loop was still reading
the others). One writer thread takes everything queued (up to about `max_batch` rows), inserts it
with a single `INSERT .. ON CONFLICT DO NOTHING`, and settles every waiting request at once. A failed
commit settles them all with `StoreUnavailable` (503), so nothing is acknowledged that is not stored.

On SQLite the hand-over first tries to commit on the loop itself: a WAL commit without fsync costs less
than the two thread hops around it (a queue put, a wake-up, a `call_soon_threadsafe`), and on two cores
those hops and the GIL they trade were the largest cost of the ack path after HTTP parsing. It does so
only when nobody holds the file: the in-process write gate is taken without waiting and the connection
fails at once on another process's lock, and then the group goes to the writer thread as before. The
loop's connection runs no checkpoints (an fsync of the database file would stall every request); every
`_CHECKPOINT_BYTES` committed on the loop, the writer thread is asked for one instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from syncd.core.errors import SyncdError
from syncd.store.connection import Connection, DriverFailure, Engine, StoreFailure
from syncd.store.errors import first_line
from syncd.store.inbox import (
    DeliveryRow,
    IngestOutcome,
    SomeWereDuplicates,
    checkpoint,
    commit_batch,
    commit_rows_one_by_one,
    connect_without_waiting,
)
from syncd.store.write_gate import sqlite_write_lock, write_gate

log = structlog.get_logger("syncd.ingest")

__all__ = ["DeliveryRow", "DeliveryWriter", "IngestOutcome", "StoreUnavailable"]


class StoreUnavailable(SyncdError):
    """The store did not confirm a write (unreachable, locked, too slow, or shutting down): answer 503."""


@dataclass(slots=True)
class _Pending:
    """A submitted row and the future its request awaits."""

    row: DeliveryRow
    future: asyncio.Future[IngestOutcome]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class _Group:
    """The deliveries submitted on one loop during one turn: handed to the writer, and timed out, together."""

    loop: asyncio.AbstractEventLoop
    items: list[_Pending] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


_STOP = object()
#: Asks the writer thread for a WAL checkpoint (the loop's own connection never runs one).
_CHECKPOINT = object()
#: Bytes committed on the loop between checkpoints: about SQLite's own 1,000-page autocheckpoint.
_CHECKPOINT_BYTES = 4 * 1024 * 1024
Settlement = IngestOutcome | StoreUnavailable


class DeliveryWriter:
    """The group-commit writer: a queue, one thread, one transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 256,
        max_pending: int = 10_000,
        confirm_within: float = 5.0,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._gate = write_gate(engine)
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._confirm_within = confirm_within
        self._on_stored = on_stored
        self._queue: queue.SimpleQueue[_Group | object] = queue.SimpleQueue()
        self._gathering: dict[asyncio.AbstractEventLoop, _Group] = {}
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        #: SQLite: the gate, to commit on the loop when the file is free (see the module docstring).
        self._loop_gate = sqlite_write_lock(engine)
        self._loop_conn: Connection | None = None
        self._unchecked_bytes = 0
        self._closed = False
        self._lock = threading.Lock()
        self._waiting = 0
        self.batches = 0

    @property
    def pending(self) -> int:
        """Deliveries waiting for their commit."""
        return self._waiting

    @property
    def alive(self) -> bool:
        """Whether the writer thread runs (or has not been needed yet) and accepts work."""
        return not self._closed and (self._thread is None or self._thread.is_alive())

    def start(self) -> None:
        """Start the writer thread (idempotent; `submit` starts it on first use too)."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="syncd-ingest", daemon=True)
                self._thread.start()

    async def submit(self, row: DeliveryRow) -> IngestOutcome:
        """Queue `row` and wait for its commit; raise `StoreUnavailable` if it is not confirmed in time."""
        if self._closed:
            raise StoreUnavailable("the daemon is shutting down and no longer stores deliveries")
        if self._waiting >= self._max_pending:
            raise StoreUnavailable(f"{self._max_pending} deliveries are already waiting for the store")
        if self._thread is None:
            self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IngestOutcome] = loop.create_future()
        group = self._gathering.get(loop)
        if group is None:
            group = self._gathering[loop] = _Group(loop)
            loop.call_soon(self._hand_over, group)
        group.items.append(_Pending(row, future, loop))
        with self._lock:
            self._waiting += 1
        return await future

    def _hand_over(self, group: _Group) -> None:
        """On the loop, after the turn that gathered `group`: start its timer, then commit it here (SQLite, file
        free) or queue it for the writer.

        The timer settles what is still unsettled when the store is too slow (503); the writer skips
        futures already settled, so a late commit changes no answer."""
        with self._lock:
            if self._gathering.get(group.loop) is not group:
                return  # `close` handed it over already
            del self._gathering[group.loop]
        # The timer first, whoever commits: whatever goes wrong, no request waits past `confirm_within`.
        group.timer = group.loop.call_later(self._confirm_within, self._expire, group)
        if self._loop_gate is not None and self._commit_on_loop(group, self._loop_gate):
            return
        self._queue.put(group)

    def _commit_on_loop(self, group: _Group, gate: threading.Lock) -> bool:
        """Commit `group` here and now if the SQLite file is free; False leaves it to the writer thread."""
        if not gate.acquire(blocking=False):
            return False  # the worker (or the writer thread) is writing: do not wait on the loop
        try:
            # `close` (from another thread) drops the loop's connection under the gate: do not reopen it.
            outcomes = None if self._closed else self._loop_transaction([item.row for item in group.items])
        finally:
            gate.release()
        if outcomes is None:
            return False
        with self._lock:
            self._waiting -= len(group.items)
        self.batches += 1
        self._resolve([(group, list(outcomes))])
        self._unchecked_bytes += sum(len(item.row.body) for item in group.items)
        if self._unchecked_bytes >= _CHECKPOINT_BYTES:
            self._unchecked_bytes = 0
            self._queue.put(_CHECKPOINT)
        return True

    def _loop_transaction(self, rows: list[DeliveryRow]) -> list[IngestOutcome] | None:
        """Insert on the loop's connection; None when the store refused (locked by another process, or any
        failure: the writer thread then retries the group with its own waiting and error handling)."""
        try:
            if self._loop_conn is None:
                self._loop_conn = connect_without_waiting(self._engine)
            conn = self._loop_conn
            try:
                with conn.begin():
                    return commit_batch(conn, rows)
            except SomeWereDuplicates:
                with conn.begin():
                    return commit_rows_one_by_one(conn, rows)
        except StoreFailure:
            self._drop_loop_connection()
            return None

    def _drop_loop_connection(self) -> None:
        """Forget the loop's connection; it is invalidated, so its settings never reach the pool."""
        _discard(self._loop_conn)
        self._loop_conn = None

    def _expire(self, group: _Group) -> None:
        """Fail the requests of `group` whose commit was not confirmed in time."""
        late = StoreUnavailable(f"the store did not confirm the delivery within {self._confirm_within:g}s")
        for item in group.items:
            if not item.future.done():
                item.future.set_exception(late)

    def close(self, timeout: float = 10.0) -> bool:
        """Stop accepting, commit everything already queued, and stop the thread; True if it drained in time."""
        with self._lock:
            self._closed = True
            thread = self._thread
            gathered = list(self._gathering.values())  # submitted during this very turn: commit them too
            self._gathering.clear()
        if self._loop_gate is not None:
            with self._loop_gate:  # the daemon closes from a thread: never in the middle of a loop commit
                self._drop_loop_connection()
        if thread is None:
            return True
        for group in gathered:
            self._queue.put(group)
        self._queue.put(_STOP)
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        """Writer loop: block for one item, take what else is queued, commit, settle."""
        stopping = False
        try:
            while not stopping:
                groups, stopping = self._take_batch()
                if groups:
                    batch = [item for group in groups for item in group.items]
                    outcomes = self._commit([item.row for item in batch])
                    with self._lock:
                        self._waiting -= len(batch)
                    self._settle(groups, outcomes)
        finally:
            if self._conn is not None:
                with contextlib.suppress(StoreFailure):
                    self._conn.close()
                self._conn = None

    def _take_batch(self) -> tuple[list[_Group], bool]:
        """Every group queued now, until about `max_batch` rows; the flag says the stop marker was reached."""
        first = self._queue.get()
        while first is _CHECKPOINT:
            self._checkpoint()
            first = self._queue.get()
        if first is _STOP:
            return [], True
        assert isinstance(first, _Group)
        groups, rows = [first], len(first.items)
        while rows < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return groups, True
            if item is _CHECKPOINT:
                self._checkpoint()
                continue
            assert isinstance(item, _Group)
            groups.append(item)
            rows += len(item.items)
        return groups, False

    def _commit(self, rows: list[DeliveryRow]) -> list[Settlement]:
        """One transaction for the batch; a dropped connection is retried once on a fresh one, any other
        store failure fails the whole batch (503 for each request)."""
        for attempt in (1, 2):
            try:
                outcomes = self._transaction(rows)
            except DriverFailure as error:
                self._drop_connection()
                if attempt == 1 and error.connection_invalidated:
                    continue
                return self._failed(rows, error)
            except StoreFailure as error:
                self._drop_connection()
                return self._failed(rows, error)
            self.batches += 1
            return list(outcomes)
        raise AssertionError("unreachable: the second attempt returns")

    def _transaction(self, rows: list[DeliveryRow]) -> list[IngestOutcome]:
        """Insert the batch on the writer's own connection (kept between batches: no pool round trip)."""
        if self._conn is None:
            self._conn = self._engine.connect()
        conn = self._conn
        with self._gate:
            try:
                with conn.begin():
                    return commit_batch(conn, rows)
            except SomeWereDuplicates:
                with conn.begin():
                    return commit_rows_one_by_one(conn, rows)

    def _checkpoint(self) -> None:
        """Run the WAL checkpoint the loop's commits left out, on the writer's connection (off the loop)."""
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            checkpoint(self._conn)
        except StoreFailure as error:
            self._drop_connection()
            log.warning("ingest.checkpoint_failed", error=first_line(error))

    def _failed(self, rows: list[DeliveryRow], error: StoreFailure) -> list[Settlement]:
        """Settle every row of a batch the store refused as unavailable."""
        log.error("ingest.commit_failed", rows=len(rows), error=first_line(error))
        return [StoreUnavailable(f"the store refused the delivery: {first_line(error)}")] * len(rows)

    def _drop_connection(self) -> None:
        """Forget the writer's connection (the next batch opens a fresh one)."""
        _discard(self._conn)
        self._conn = None

    def _settle(self, groups: list[_Group], outcomes: list[Settlement]) -> None:
        """Resolve each request's future on its own loop (one call per loop, not per row)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Group, list[Settlement]]]] = {}
        start = 0
        for group in groups:
            end = start + len(group.items)
            by_loop.setdefault(group.loop, []).append((group, outcomes[start:end]))
            start = end
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(self._resolve, settled)
            except RuntimeError:
                log.warning("ingest.loop_closed", rows=sum(len(group.items) for group, _ in settled))

    def _resolve(self, settled: list[tuple[_Group, list[Settlement]]]) -> None:
        """On the request loop: hand each waiting request its outcome; wake the worker if anything was stored."""
        stored = False
        for group, outcomes in settled:
            if group.timer is not None:
                group.timer.cancel()
            for item, outcome in zip(group.items, outcomes, strict=True):
                if item.future.done():
                    continue
                if isinstance(outcome, StoreUnavailable):
                    item.future.set_exception(outcome)
                else:
                    stored |= outcome is IngestOutcome.STORED
                    item.future.set_result(outcome)
        if stored and self._on_stored is not None:
            self._on_stored()


def _discard(conn: Connection | None) -> None:
    """Invalidate and close a connection that failed or carries settings of its own, so it never returns to
    the pool (a failure doing so is moot: the connection is gone either way)."""
    if conn is not None:
        with contextlib.suppress(StoreFailure):
            conn.invalidate()
            conn.close()
