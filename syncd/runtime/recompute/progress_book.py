"""KR progress computed from the mirror with the core, for one unit of work.

Loads the linked non-deleted tasks and the metric check-ins of the KRs asked for (in one query each)
and runs `kr_progress`; results are kept for the rest of the unit, so a task linked to several KRs
renders against one consistent set of numbers. The tasks read are kept too: rendering the tasks of
a recomputed KR reuses them instead of reading them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from syncd.config.views import OkrModel
from syncd.core.progress import KrProgress, kr_progress
from syncd.store.connection import Connection
from syncd.store.key_results import metric_checkins, progress_changed_at
from syncd.store.task_reads import TaskToRender, linked_tasks_to_render, tasks_by_kr


class ProgressBook:
    """Fresh `KrProgress` per KR and each KR's last progress change, computed on first use."""

    def __init__(self, conn: Connection, model: OkrModel, now: datetime) -> None:
        self.conn = conn
        self.model = model
        self.now = now
        self._progress: dict[str, KrProgress] = {}
        self._changed_at: dict[str, datetime | None] = {}
        #: The tasks read for KRs of this book, by id, and the KRs whose linked tasks are all among them.
        self._tasks: dict[int, TaskToRender] = {}
        self._tasks_read_for: set[str] = set()

    def adopt(self, progress: Mapping[str, KrProgress]) -> None:
        """Take progress already computed at this book's `now` from the same tasks (not read again)."""
        self._progress.update(progress)

    def know_changed_at(self, changed_at: Mapping[str, datetime | None]) -> None:
        """Take when KRs' progress last changed from the caller, who just stored it (not read again)."""
        self._changed_at.update(changed_at)

    def compute(self, kr_ids: Iterable[str]) -> Mapping[str, KrProgress]:
        """Progress of the given KRs (those the config knows), loading what is not known yet."""
        wanted = [kr for kr in dict.fromkeys(kr_ids) if kr in self.model.key_results]
        missing = [kr for kr in wanted if kr not in self._progress]
        if missing:
            tasks, checkins = tasks_by_kr(self._read_tasks(missing), missing), metric_checkins(self.conn, missing)
            for kr_id in missing:
                view = self.model.key_results[kr_id]
                cycle = self.model.cycles[view.cycle_id]
                self._progress[kr_id] = kr_progress(
                    view,
                    tasks.get(kr_id, []),
                    checkins.get(kr_id, []),
                    cycle,
                    self.now,
                    points_prefix=self.model.rules.points_prefix,
                )
        return {kr: self._progress[kr] for kr in wanted}

    def linked_tasks(self, kr_ids: Iterable[str]) -> list[TaskToRender]:
        """The non-deleted tasks linked to any of these KRs, in id order; read only for KRs not read yet."""
        wanted = set(kr_ids)
        unread = sorted(wanted - self._tasks_read_for)
        if unread:
            self._read_tasks(unread)
        return [task for _, task in sorted(self._tasks.items()) if wanted.intersection(task.kr_ids)]

    def changed_at(self, kr_ids: Iterable[str]) -> Mapping[str, datetime | None]:
        """When each KR's progress last changed, as stored."""
        missing = sorted(set(kr_ids) - set(self._changed_at))
        if missing:
            self._changed_at.update(progress_changed_at(self.conn, missing))
        return {kr: self._changed_at.get(kr) for kr in kr_ids}

    def _read_tasks(self, kr_ids: list[str]) -> list[TaskToRender]:
        tasks = linked_tasks_to_render(self.conn, kr_ids)
        self._tasks.update((task.task_id, task) for task in tasks)
        self._tasks_read_for.update(kr_ids)
        return tasks
