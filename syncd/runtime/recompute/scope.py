"""Scope changes of a KR: which counted tasks joined or left it since its previous check-in (issue 21).

A task counts when it is linked, not deleted and not dropped. The ids counted at a KR's last check-in are kept on
its row (`key_results.scope_tasks`); the next recompute compares the present set with them. A KR computed before
that column existed has no basis: its first count is unknown (None), not "every task joined".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from syncd.config.views import OkrModel
from syncd.core.model import Aggregate, Measure, TaskState
from syncd.store.task_reads import TaskToRender


@dataclass(frozen=True)
class ScopeChange:
    """How many tasks joined and left since the last check-in (None: unknown), and the present ids."""

    added: int | None
    removed: int | None
    present: tuple[int, ...]

    @property
    def changed(self) -> bool:
        """Whether any task joined or left."""
        return bool(self.added or self.removed)


def counted_task_ids(
    tasks: Iterable[TaskToRender], kr_ids: Iterable[str], model: OkrModel
) -> dict[str, frozenset[int]]:
    """Per KR, the ids of its linked tasks that count (not dropped; the tasks given are not deleted). A metric KR
    fed by check-ins has no scope: its tasks do not move it."""
    found: dict[str, set[int]] = {kr: set() for kr in kr_ids}
    scoped = {kr for kr in found if kr in model.key_results and _takes_tasks(model, kr)}
    for task in tasks:
        if task.snapshot.state is TaskState.DROPPED or task.snapshot.deleted:
            continue
        for kr in task.kr_ids:
            if kr in scoped:
                found[kr].add(task.task_id)
    return {kr: frozenset(ids) for kr, ids in found.items()}


def scope_change(row: Any, present: frozenset[int]) -> ScopeChange:
    """The change from the KR row's `scope_tasks` to `present`; a never computed KR started from no tasks."""
    ordered = tuple(sorted(present))
    stored: Sequence[int] | None = row.scope_tasks
    if stored is None and row.computed_at is not None:
        return ScopeChange(None, None, ordered)  # computed before scopes were kept: no basis to count from
    before = set(stored or ())
    return ScopeChange(len(present - before), len(before - present), ordered)


def _takes_tasks(model: OkrModel, kr_id: str) -> bool:
    """Whether the KR's progress comes from its tasks (every measure but a metric fed by check-ins)."""
    view = model.key_results[kr_id]
    return not (view.measure is Measure.METRIC and view.aggregate is Aggregate.CHECKINS)
