"""Desired push state: what each task's comment and fields, each KR's goal, and each OKR store should say now.

A goal (or an OKR store) is fed only a known value: a metric KR without a check-in (or a task with its field)
feeds none. An OKR store is handed each recomputed KR's and objective's standing (`OkrState`) and says which
targets it wants; they are saved like goals, with the store's name as their `source`.

Renders with the core and upserts `push_targets`. Only a changed content hash touches a row, so a
byte-identical render changes nothing. A changed target waits `push.coalesce_window` before it is
due; further changes while it waits keep that moment (they are folded into the same write), so a
burst makes one write per target and a KR that never stops changing is still written once per window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from syncd.config.views import OkrModel
from syncd.core.model import TaskSnapshot
from syncd.core.progress import KrProgress
from syncd.core.push_plan import DesiredWrite, TargetKey
from syncd.core.render import CommentEntry, render_task_comment
from syncd.core.status import expected_progress
from syncd.ports import OkrState, WriteKind
from syncd.runtime.context import Runtime
from syncd.runtime.recompute.progress_book import ProgressBook
from syncd.store.connection import Connection
from syncd.store.key_results import stored_objective_progress
from syncd.store.push_targets import drop_task_targets, load_targets, save_desired
from syncd.store.task_reads import TaskToRender, load_tasks


class DesiredState:
    """Renders the desired writes of tasks and goals within one unit of work and saves what changed."""

    def __init__(self, runtime: Runtime, model: OkrModel, book: ProgressBook, now: datetime) -> None:
        self.runtime = runtime
        self.model = model
        self.book = book
        self.now = now
        self.push = runtime.config.push

    def for_tasks(self, conn: Connection, task_ids: Iterable[int]) -> int:
        """Re-render the targets of these tasks; a deleted task's targets are dropped. Returns targets changed."""
        return self.render(conn, load_tasks(conn, task_ids))

    def render(self, conn: Connection, tasks: Sequence[TaskToRender]) -> int:
        """Re-render the targets of these tasks as read; a deleted task's targets are dropped. Returns targets
        changed."""
        gone = [t.task_id for t in tasks if t.snapshot.deleted]
        drop_task_targets(conn, gone)
        live = [t for t in tasks if not t.snapshot.deleted and self.runtime.adapter(t.snapshot.source) is not None]
        kinds = {t.task_id: self._kinds(t.snapshot) for t in live}
        candidates = [(t.snapshot.source, kind, t.snapshot.external_id) for t in live for kind in kinds[t.task_id]]
        existing = load_targets(conn, candidates)
        self.book.compute(kr for t in live for kr in t.kr_ids)
        writes: list[tuple[DesiredWrite, int | None]] = []
        for item in live:
            writes.extend((write, item.task_id) for write in self._task_writes(item, kinds[item.task_id], existing))
        return save_desired(conn, writes, existing, self.now, self.push.coalesce_window)

    def for_goals(self, conn: Connection, kr_ids: Iterable[str]) -> int:
        """Re-render the tracker-side goals fed by these KRs. Returns targets changed."""
        if not self.push.goals:
            return 0
        wanted = sorted(set(kr_ids))
        progress = self.book.compute(wanted)
        writes: list[tuple[DesiredWrite, int | None]] = []
        for source, adapter in sorted(self.runtime.loaded.adapters.items()):
            goals = adapter.goal_ids()
            for kr_id in (kr for kr in wanted if kr in goals and kr in progress):
                p = progress[kr_id]
                if not p.value_known:  # the start value stands in for none: leave what people typed there
                    continue
                number = p.current if p.current is not None else p.progress
                writes.append((DesiredWrite(source, WriteKind.GOAL.value, kr_id, number=number), None))
        existing = load_targets(conn, [write.target for write, _ in writes])
        return save_desired(conn, writes, existing, self.now, self.push.coalesce_window)

    def for_stores(self, conn: Connection, kr_ids: Iterable[str]) -> int:
        """Re-render the OKR stores' targets fed by these KRs and their objectives. Returns targets changed."""
        stores = self.runtime.loaded.stores
        if not stores:
            return 0
        states = self.okr_states(conn, kr_ids)
        writes = [
            (DesiredWrite(name, w.kind.value, w.key, text=w.text, number=w.number, basis=w.basis), None)
            for name, store in sorted(stores.items())
            for state in states
            for w in store.wanted(state)
        ]
        existing = load_targets(conn, [write.target for write, _ in writes])
        return save_desired(conn, writes, existing, self.now, self.push.coalesce_window)

    def okr_states(self, conn: Connection, kr_ids: Iterable[str]) -> list[OkrState]:
        """The standing of these KRs (those with a known value) and of their objectives, as stores see it."""
        wanted = sorted(set(kr_ids))
        progress = self.book.compute(wanted)
        changed = self.book.changed_at(progress)
        sources: dict[str, set[str]] = {kr: set() for kr in progress}
        for task in self.book.linked_tasks(list(progress)):
            for kr in task.kr_ids:
                if kr in sources:
                    sources[kr].add(task.snapshot.source)
        states = [
            self._kr_state(p, tuple(sorted(sources[kr])), changed.get(kr))
            for kr, p in progress.items()
            if p.value_known
        ]
        objectives = sorted({self.model.key_results[kr].objective_id for kr in progress})
        stored = stored_objective_progress(conn)
        for objective_id in (o for o in objectives if o in stored):
            view, row = self.model.objectives[objective_id], stored[objective_id]
            expected = expected_progress(self.model.cycles[view.cycle_id], self.now)
            states.append(
                OkrState("objective", objective_id, view.title, view.cycle_id, float(row.progress), expected,
                         str(row.status), 0.0, 0.0, computed_at=self.now)
            )  # fmt: skip
        return states

    def _kr_state(self, p: KrProgress, sources: tuple[str, ...], changed_at: datetime | None) -> OkrState:
        view = self.model.key_results[p.kr_id]
        return OkrState(
            "key_result", p.kr_id, view.title, view.cycle_id, p.progress, p.expected, p.status.value, p.done,
            p.total, p.current, sources, changed_at, view.objective_id, self.now,
        )  # fmt: skip

    def _kinds(self, snapshot: TaskSnapshot) -> tuple[str, ...]:
        adapter = self.runtime.adapter(snapshot.source)
        offered = set(adapter.targets(snapshot)) if adapter is not None else set()
        kinds = []
        if self.push.comments and WriteKind.COMMENT in offered:
            kinds.append(WriteKind.COMMENT.value)
        if self.push.fields and WriteKind.FIELD in offered:
            kinds.append(WriteKind.FIELD.value)
        return tuple(kinds)

    def _task_writes(
        self, item: TaskToRender, kinds: Sequence[str], existing: Mapping[TargetKey, Any]
    ) -> list[DesiredWrite]:
        snapshot, ref = item.snapshot, item.snapshot.ref
        progress = self.book.compute(item.kr_ids)
        changed = self.book.changed_at(progress)
        writes: list[DesiredWrite] = []
        if WriteKind.COMMENT.value in kinds:
            key = (snapshot.source, WriteKind.COMMENT.value, snapshot.external_id)
            # A task that never linked a KR gets no comment; one that lost its links is told so.
            if progress or item.unknown or key in existing:
                entries = [self._entry(kr_id, p, changed[kr_id]) for kr_id, p in progress.items()]
                adapter = self.runtime.adapter(snapshot.source)
                assert adapter is not None  # live tasks have a configured source
                text = render_task_comment(ref, entries, item.unknown, adapter.comment_renderer)
                writes.append(DesiredWrite(*key, text=text, task=ref))
        if WriteKind.FIELD.value in kinds and progress:
            # A field holds one number: the first linked KR's progress (by KR id), as a 0-1 fraction.
            first = progress[min(progress)]
            writes.append(
                DesiredWrite(
                    snapshot.source, WriteKind.FIELD.value, snapshot.external_id, number=first.progress, task=ref
                )
            )
        return writes

    def _entry(self, kr_id: str, progress: Any, changed_at: datetime | None) -> CommentEntry:
        kr = self.model.key_results[kr_id]
        objective = self.model.objectives[kr.objective_id]
        return CommentEntry(kr, objective, self.model.cycles[kr.cycle_id], progress, changed_at)
