"""Recompute: dirty KRs get fresh progress, a check-in when it moved, their objectives, and push state.

One batch is one transaction, under the rollup lock (row locks on every objective, in id order): so
recomputes of several replicas take turns, and the last one to commit always rolls objectives up and
renders comments from committed numbers. Dirty KRs are claimed in id order (PostgreSQL
`FOR NO KEY UPDATE SKIP LOCKED`); each gets `kr_progress` at `now`; a KR whose progress moved records
`progress_changed_at` and a `check_ins` row; then the objectives are recomputed and the desired push
state of every task whose KR entry changed is rendered. Dirty tasks (links or warnings changed, or a
config reload) are matched again and rendered in their own batches.

Lock order (no deadlock between replicas, nor with `sync_config`, which locks objectives before KRs):
tasks, objectives, key_results, push_targets.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog

from syncd.config.views import OkrModel
from syncd.core.model import Aggregate, Measure, Status, Thresholds
from syncd.core.progress import KrProgress, objective_progress
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.recompute.desired import DesiredState
from syncd.runtime.recompute.progress_book import ProgressBook
from syncd.runtime.recompute.scope import counted_task_ids, scope_change
from syncd.store import key_results
from syncd.store.connection import Connection
from syncd.store.key_results import RECOMPUTE_BATCH, lock_rollup
from syncd.store.mirror import claim_dirty_tasks, clear_tasks_dirty, mark_krs_dirty, rematch
from syncd.store.task_reads import load_tasks
from syncd.store.transactions import run_in_transaction

__all__ = ["RECOMPUTE_BATCH", "Recompute", "lock_rollup", "mark_active_krs_dirty", "update_objectives"]

DIRTY_TASK_BATCH = 500
#: Progress values closer than this are the same (float noise is not a change).
PROGRESS_EPSILON = 1e-9

log = structlog.get_logger("syncd.runtime.recompute")


class Recompute:
    """Recomputes dirty KRs and renders dirty tasks; `run_once()` does one batch of each."""

    def __init__(self, runtime: Runtime, okr: OkrCache | None = None) -> None:
        self.runtime = runtime
        self.okr = okr or OkrCache()

    def run_once(self, debounce: timedelta = timedelta(0)) -> int:
        """One batch of dirty KRs (those dirty for at least `debounce`), then one of dirty tasks; returns
        how many of both were handled.

        A read-only look first: a write transaction (SQLite's file-wide write lock) is taken only when
        something is due, so an idle or delivery-only turn never stalls webhook ingest."""
        with self.runtime.engine.connect() as conn:
            krs_due, tasks_dirty = key_results.anything_due(conn, self.runtime.clock() - debounce)
        return (self.recompute_krs(debounce) if krs_due else 0) + (self.render_dirty_tasks() if tasks_dirty else 0)

    # -- dirty KRs -----------------------------------------------------------------------------
    def recompute_krs(self, debounce: timedelta = timedelta(0)) -> int:
        """Recompute one batch of KRs dirty for at least `debounce`, in one transaction; returns how many.

        On SQLite (one writer for the whole file) the KRs' progress is computed first, outside the write
        transaction, so that webhook ingest does not wait while their tasks are read; the transaction
        keeps a result only for a KR not marked again meanwhile (`dirty_marks` unchanged) and computes
        the others itself. PostgreSQL locks rows, so there it all happens in the transaction."""
        started = time.perf_counter()
        now = self.runtime.clock()
        model = self.okr.model(self.runtime.loaded)
        ahead = self.read_ahead(model, now, debounce) if self.runtime.engine.dialect.name == "sqlite" else None
        if ahead is not None and not ahead.marks:
            return 0  # nothing due: no write transaction just to look
        work = partial(self._recompute_krs, model=model, now=now, debounce=debounce, ahead=ahead)
        count = run_in_transaction(self.runtime.engine, work, what="recompute KRs", derived=True)
        if count:
            self.runtime.metrics.recompute_seconds.observe(time.perf_counter() - started)
        return count

    def read_ahead(self, model: OkrModel, now: datetime, debounce: timedelta) -> ReadAhead:
        """The due KRs' marks, then their progress (read in that order: a task change committed after
        the marks were read counts a new mark, which the write transaction sees).

        The first step of `recompute_krs` on SQLite, before its write transaction; a public seam so that a
        test can commit a change between the two steps and see that it is not lost."""
        with self.runtime.engine.connect() as conn:
            marks = key_results.due_marks(conn, now - debounce)
            return ReadAhead(marks, ProgressBook(conn, model, now).compute(marks) if marks else {})

    def _recompute_krs(
        self, conn: Connection, model: OkrModel, now: datetime, debounce: timedelta, ahead: ReadAhead | None
    ) -> int:
        cutoff = now - debounce
        if ahead is None and not key_results.any_kr_due(conn, cutoff):
            return 0  # nothing due: do not take the rollup lock just to look (the read-ahead looked already)
        lock_rollup(conn)
        rows = key_results.claim_due_krs(conn, cutoff)
        if not rows:
            return 0
        book = ProgressBook(conn, model, now)
        if ahead is not None:
            book.adopt(
                {kr: p for kr, p in ahead.progress.items() if kr in rows and rows[kr].dirty_marks == ahead.marks[kr]}
            )
        fresh = book.compute(rows)
        scopes = counted_task_ids(book.linked_tasks(rows), rows, model)
        entry_changed = [
            kr_id
            for kr_id in rows
            if self._store_kr(conn, rows[kr_id], fresh.get(kr_id), model, now, counted=scopes[kr_id])
        ]
        # The KRs just stored need not be read again for when their progress last changed.
        changed_at = key_results.changed_at_of(rows.values())
        book.know_changed_at({kr: now if _moved(rows[kr], fresh[kr]) else changed_at[kr] for kr in fresh})
        update_objectives(conn, model, fresh, now, model.thresholds)
        desired = DesiredState(self.runtime, model, book, now)
        desired.render(conn, book.linked_tasks(entry_changed))
        # Goals follow every recomputed KR, not only moved ones: a goal a reload added must get its value
        # though the KR stood still (an unchanged value changes no target's hash, so it costs no write).
        desired.for_goals(conn, list(rows))
        desired.for_stores(conn, list(rows))
        log.debug("recompute.krs", count=len(rows), changed=len(entry_changed))
        return len(rows)

    def _store_kr(
        self,
        conn: Connection,
        row: Any,
        progress: KrProgress | None,
        model: OkrModel,
        now: datetime,
        *,
        counted: frozenset[int],
    ) -> bool:
        """Write one KR's new numbers (and a check-in if progress moved or tasks joined or left, with how many);
        True when its comment entry changed."""
        if progress is None:  # archived or unknown to the config in force: nothing to compute
            key_results.clear_kr_dirty(conn, row.id)
            return False
        moved = _moved(row, progress)
        current = progress.current if progress.current is not None else progress.done
        numbers: dict[str, Any] = {"progress": progress.progress, "status": progress.status.value, "current": current}
        scope = scope_change(row, counted)
        if moved or scope.changed:
            check_in = _check_in(progress, current, model, now)
            cause = check_in["cause"] if moved else "tasks joined or left"
            check_in.update(cause=cause, tasks_added=scope.added, tasks_removed=scope.removed)
            key_results.insert_check_in(conn, check_in)
        if moved or scope.changed or row.scope_tasks is None:  # the basis of the next check-in's counts
            numbers["scope_tasks"] = list(scope.present)
        key_results.save_kr_numbers(conn, row.id, {**numbers, "total": progress.total}, now, moved=moved)
        same = (row.status, row.current, row.total) == (progress.status.value, current, progress.total)
        return moved or not same or row.computed_at is None

    # -- dirty tasks ---------------------------------------------------------------------------
    def render_dirty_tasks(self) -> int:
        """Match and render one batch of dirty tasks in one transaction; returns how many."""
        return run_in_transaction(self.runtime.engine, self._render_dirty_tasks, what="render dirty tasks")

    def _render_dirty_tasks(self, conn: Connection) -> int:
        now = self.runtime.clock()
        model = self.okr.model(self.runtime.loaded)
        ids = claim_dirty_tasks(conn, DIRTY_TASK_BATCH)
        if not ids:
            return 0
        tasks = load_tasks(conn, ids)
        change = rematch(conn, [(t.task_id, t.snapshot) for t in tasks], model.rules, now, content_changed=False)
        lock_rollup(conn)
        mark_krs_dirty(conn, change.dirty_krs, now)
        DesiredState(self.runtime, model, ProgressBook(conn, model, now), now).for_tasks(conn, ids)
        clear_tasks_dirty(conn, ids)
        return len(ids)


@dataclass(frozen=True)
class ReadAhead:
    """Progress of due KRs computed before the write transaction, with the marks it was computed at."""

    marks: dict[str, int]
    progress: Mapping[str, KrProgress]


def _moved(row: Any, progress: KrProgress) -> bool:
    """Whether the fresh progress differs from the stored one by more than float noise."""
    return abs(progress.progress - float(row.progress)) > PROGRESS_EPSILON


def _check_in(progress: KrProgress, current: float, model: OkrModel, now: datetime) -> dict[str, Any]:
    view = model.key_results[progress.kr_id]
    by_checkin = view.measure is Measure.METRIC and view.aggregate is Aggregate.CHECKINS
    return {
        "kr_id": progress.kr_id,
        "at": now,
        "kind": "progress",
        "value": current,
        "progress": progress.progress,
        "done": progress.done,
        "total": progress.total,
        "cause": "metric check-in" if by_checkin else "linked tasks changed",
    }


def mark_active_krs_dirty(conn: Connection, now: datetime) -> None:
    """Mark every live KR dirty: the rollup lock, then the KRs in id order, like every writer of KRs."""
    lock_rollup(conn)
    mark_krs_dirty(conn, key_results.active_kr_ids_locked(conn), now)


def update_objectives(
    conn: Connection, model: OkrModel, fresh: Mapping[str, KrProgress], now: datetime, thresholds: Thresholds
) -> int:
    """Recompute every objective from its KRs (fresh ones, the others as stored); write those that moved."""
    stored = key_results.stored_kr_progress(conn)
    krs = {
        kr_id: fresh.get(kr_id) or _as_stored(view.id, view.weight, stored.get(kr_id))
        for kr_id, view in model.key_results.items()
    }
    results = objective_progress(list(model.objectives.values()), krs, model.cycles, now, thresholds=thresholds)
    current = key_results.stored_objective_progress(conn)
    changed = 0
    for objective_id in sorted(results):
        result, row = results[objective_id], current.get(objective_id)
        if row is None or (
            abs(row.progress - result.progress) <= PROGRESS_EPSILON and row.status == result.status.value
        ):
            continue
        key_results.save_objective_progress(conn, objective_id, result.progress, result.status.value)
        changed += 1
    return changed


def _as_stored(kr_id: str, weight: float, row: Any) -> KrProgress:
    """A KR's progress as last stored (for objectives whose other KRs were recomputed)."""
    progress = row.progress if row is not None else 0.0
    status = Status(row.status) if row is not None else Status.NOT_STARTED
    return KrProgress(kr_id, progress, status, expected=0.0, done=0.0, total=0.0, task_count=0, weight=weight)
