"""Progress: a KR's progress from its linked tasks or check-ins, and objectives' weighted means.

The formulas are DESIGN.md's "Progress semantics", exactly:

- `tasks`: sum(weight x credit) / sum(weight) over linked, non-dropped tasks. weight is 1, or with
  `task_weight: points` the task's points (`points:N` label, then `task.points`, then `default_points`);
  credit is 1 done, `in_progress_credit` in progress, 0 open. done/total are the done and total weights.
- `count`: current = the done tasks' weight; progress = min(1, current / target).
- `metric`: current from the latest check-in (by `at`; equal times: the later in the sequence) or the
  sum/avg of a task number field; no value means current = start (`value_known` False). progress =
  clamp((current - start) / (target - start), 0, 1), so target < start is a decreasing KR.
- An objective is the weighted mean of its KRs (KR weight); with `rollup` its child objectives join as
  items weighted by their objective weight. Nothing to average gives 0.

Dropped and deleted tasks count nowhere. Callers pass the tasks linked to the KR (see `matching`).
Sums are exact (`math.fsum`), so results do not depend on the order tasks or KRs come in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import fsum

from syncd.core.matching import task_points
from syncd.core.model import (
    Aggregate,
    CheckIn,
    CycleView,
    KeyResultView,
    Measure,
    ObjectiveView,
    Status,
    TaskSnapshot,
    TaskState,
    TaskWeight,
    Thresholds,
)
from syncd.core.status import expected_progress, kr_status


@dataclass(frozen=True, slots=True)
class KrProgress:
    """One KR's computed standing. `current`/`target` are set for count and metric KRs."""

    kr_id: str
    progress: float
    status: Status
    expected: float
    done: float
    total: float
    task_count: int
    current: float | None = None
    target: float | None = None
    #: The KR's weight in its objective (copied from the view so objectives need no KR views).
    weight: float = 1.0
    #: False for a metric KR with no value yet (no check-in, no task with the field): `current` is then the
    #: start standing in for one, which is shown but never pushed into a tracker's goal.
    value_known: bool = True


@dataclass(frozen=True, slots=True)
class ObjectiveProgress:
    """One objective's computed standing."""

    objective_id: str
    progress: float
    status: Status
    expected: float


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a measure yields before status: progress, done/total, and current/target when meaningful."""

    progress: float
    done: float
    total: float
    current: float | None = None
    target: float | None = None
    value_known: bool = True


def counted_tasks(tasks: Sequence[TaskSnapshot]) -> list[TaskSnapshot]:
    """The tasks that count towards a KR: not dropped and not deleted."""
    return [task for task in tasks if task.state is not TaskState.DROPPED and not task.deleted]


def task_weight(task: TaskSnapshot, kr: KeyResultView, points_prefix: str = "points:") -> float:
    """What one task weighs in `kr`: 1, or its points (label, field, else the KR's default points)."""
    if kr.task_weight is TaskWeight.ONE:
        return 1.0
    points = task_points(task, points_prefix)
    return kr.default_points if points is None else points


def task_credit(task: TaskSnapshot, kr: KeyResultView) -> float:
    """How much of its weight a task earns: 1 done, the KR's in-progress credit in progress, else 0."""
    if task.state is TaskState.DONE:
        return 1.0
    return kr.in_progress_credit if task.state is TaskState.IN_PROGRESS else 0.0


def kr_progress(
    kr: KeyResultView,
    tasks: Sequence[TaskSnapshot],
    checkins: Sequence[CheckIn],
    cycle: CycleView,
    now: datetime,
    *,
    points_prefix: str = "points:",
) -> KrProgress:
    """A KR's progress, done/total, expected progress and status at `now` from its linked tasks."""
    counted = counted_tasks(tasks)
    if kr.measure is Measure.METRIC:
        reading = _metric(kr, counted, checkins)
    elif kr.measure is Measure.COUNT:
        reading = _count(kr, counted, points_prefix)
    else:
        reading = _tasks(kr, counted, points_prefix)
    expected = expected_progress(cycle, now)
    has_tasks = kr.measure is Measure.METRIC or bool(counted)
    status = kr_status(reading.progress, expected, kr.thresholds, cycle, now, has_tasks=has_tasks)
    return KrProgress(
        kr_id=kr.id,
        progress=reading.progress,
        status=status,
        expected=expected,
        done=reading.done,
        total=reading.total,
        task_count=len(counted),
        current=reading.current,
        target=reading.target,
        weight=kr.weight,
        value_known=reading.value_known,
    )


def _tasks(kr: KeyResultView, counted: Sequence[TaskSnapshot], points_prefix: str) -> _Reading:
    if kr.task_weight is TaskWeight.ONE:
        return _tasks_by_count(kr, counted)
    weights = [task_weight(task, kr, points_prefix) for task in counted]
    earned = [weight * task_credit(task, kr) for weight, task in zip(weights, counted, strict=True)]
    done = [weight for weight, task in zip(weights, counted, strict=True) if task.state is TaskState.DONE]
    total = fsum(weights)
    progress = _clamp(fsum(earned) / total) if total > 0 else 0.0
    return _Reading(progress=progress, done=fsum(done), total=total)


def _tasks_by_count(kr: KeyResultView, counted: Sequence[TaskSnapshot]) -> _Reading:
    """The `tasks` formula when every task weighs 1: whole counts, so the sums are exact by nature."""
    states = [task.state for task in counted]
    done, in_progress = states.count(TaskState.DONE), states.count(TaskState.IN_PROGRESS)
    earned = done + kr.in_progress_credit * in_progress
    progress = _clamp(earned / len(states)) if states else 0.0
    return _Reading(progress=progress, done=float(done), total=float(len(states)))


def _count(kr: KeyResultView, counted: Sequence[TaskSnapshot], points_prefix: str) -> _Reading:
    if kr.target is None or kr.target <= 0:
        raise ValueError(f"count key result {kr.id!r} needs a positive target; set `target` in its config")
    current = fsum(task_weight(task, kr, points_prefix) for task in counted if task.state is TaskState.DONE)
    return _Reading(
        progress=min(1.0, current / kr.target), done=current, total=kr.target, current=current, target=kr.target
    )


def _metric(kr: KeyResultView, counted: Sequence[TaskSnapshot], checkins: Sequence[CheckIn]) -> _Reading:
    start = 0.0 if kr.start is None else kr.start
    if kr.target is None or kr.target == start:
        raise ValueError(f"metric key result {kr.id!r} needs a target different from its start ({start:g})")
    value = _latest_checkin(kr.id, checkins) if kr.aggregate is Aggregate.CHECKINS else _field_value(kr, counted)
    current = start if value is None else value
    progress = _clamp((current - start) / (kr.target - start))
    return _Reading(
        progress=progress,
        done=current,
        total=kr.target,
        current=current,
        target=kr.target,
        value_known=value is not None,
    )


def _latest_checkin(kr_id: str, checkins: Sequence[CheckIn]) -> float | None:
    latest: CheckIn | None = None
    for checkin in checkins:
        if checkin.kr_id == kr_id and (latest is None or checkin.at >= latest.at):
            latest = checkin
    return None if latest is None else latest.value


def _field_value(kr: KeyResultView, counted: Sequence[TaskSnapshot]) -> float | None:
    values = [value for task in counted if kr.field and (value := task.number(kr.field)) is not None]
    if not values:
        return None
    total = fsum(values)
    return total / len(values) if kr.aggregate is Aggregate.AVG else total


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def objective_progress(
    objectives: Sequence[ObjectiveView],
    krs: Mapping[str, KrProgress],
    cycles: Mapping[str, CycleView],
    now: datetime,
    *,
    thresholds: Thresholds | None = None,
) -> dict[str, ObjectiveProgress]:
    """Every objective's progress (weighted mean of its KRs, plus children when it rolls up), by id.

    A parent-child cycle in the config is cut where it closes: an objective never counts itself."""
    children = children_of(objectives)
    results: dict[str, ObjectiveProgress] = {}

    def visit(objective: ObjectiveView, path: frozenset[str]) -> ObjectiveProgress:
        if objective.id in results:
            return results[objective.id]
        kids: list[tuple[ObjectiveView, ObjectiveProgress]] = []
        if objective.rollup:
            inner = path | {objective.id}
            kids = [(child, visit(child, inner)) for child in children.get(objective.id, ()) if child.id not in inner]
        results[objective.id] = rollup_objective(
            objective, krs, kids, _cycle(cycles, objective), now, thresholds=thresholds
        )
        return results[objective.id]

    return {objective.id: visit(objective, frozenset()) for objective in objectives}


def children_of(objectives: Sequence[ObjectiveView]) -> dict[str, list[ObjectiveView]]:
    """Objectives grouped by their parent's id, in the given order."""
    children: dict[str, list[ObjectiveView]] = {}
    for objective in objectives:
        if objective.parent_id is not None:
            children.setdefault(objective.parent_id, []).append(objective)
    return children


def rollup_objective(
    objective: ObjectiveView,
    krs: Mapping[str, KrProgress],
    children: Sequence[tuple[ObjectiveView, ObjectiveProgress]],
    cycle: CycleView,
    now: datetime,
    *,
    thresholds: Thresholds | None = None,
) -> ObjectiveProgress:
    """One objective from its KRs' progress and (already computed) children: the weighted mean."""
    items: list[tuple[float, float, bool]] = []
    for kr_id in objective.key_result_ids:
        if kr_id not in krs:
            raise ValueError(f"objective {objective.id!r} lists key result {kr_id!r} but no progress was given for it")
        kr = krs[kr_id]
        items.append((kr.weight, kr.progress, kr.status is not Status.NO_TASKS))
    items.extend((child.weight, done.progress, done.status is not Status.NO_TASKS) for child, done in children)
    weight = fsum(item[0] for item in items)
    progress = _clamp(fsum(w * p for w, p, _ in items) / weight) if weight > 0 else 0.0
    expected = expected_progress(cycle, now)
    has_tasks = any(item[2] for item in items)
    status = kr_status(progress, expected, thresholds or Thresholds(), cycle, now, has_tasks=has_tasks)
    return ObjectiveProgress(objective_id=objective.id, progress=progress, status=status, expected=expected)


def _cycle(cycles: Mapping[str, CycleView], objective: ObjectiveView) -> CycleView:
    if objective.cycle_id not in cycles:
        raise ValueError(f"objective {objective.id!r} names cycle {objective.cycle_id!r}, which is not configured")
    return cycles[objective.cycle_id]
