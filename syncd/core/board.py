"""The progress board: every KR's and objective's progress, recomputed only where a change reaches.

A task change re-matches that task, recomputes the KRs it linked before or links now, then their
objectives and every rolling-up ancestor, children before parents. Expected progress moves with time,
so callers also run `recompute_all` on a slow tick. Pure computation over in-memory state (no I/O).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from syncd.core.index import LinkIndex
from syncd.core.matching import MatchRules
from syncd.core.model import CheckIn, CycleView, KeyResultView, ObjectiveView, TaskRef, TaskSnapshot, Thresholds
from syncd.core.progress import (
    KrProgress,
    ObjectiveProgress,
    children_of,
    kr_progress,
    objective_progress,
    rollup_objective,
)


@dataclass(frozen=True, slots=True)
class BoardChange:
    """What one update recomputed: KR ids and objective ids (children before parents)."""

    key_results: tuple[str, ...]
    objectives: tuple[str, ...]


class ProgressBoard:
    """Current progress of all KRs and objectives of one config, with an incremental update path.

    `thresholds` judge objectives' status (KRs carry their own); the design's defaults when None."""

    def __init__(
        self,
        cycles: Mapping[str, CycleView],
        objectives: Mapping[str, ObjectiveView],
        key_results: Mapping[str, KeyResultView],
        rules: MatchRules,
        *,
        thresholds: Thresholds | None = None,
    ) -> None:
        self._cycles = cycles
        self._thresholds = thresholds
        self._objectives = objectives
        self._krs = key_results
        self._links = LinkIndex(rules)
        self._checkins: dict[str, list[CheckIn]] = {}
        self._children = children_of(list(objectives.values()))
        self._owners = _owners(objectives.values())
        self._depth = _depths(objectives)
        self._kr_progress: dict[str, KrProgress] = {}
        self._objective_progress: dict[str, ObjectiveProgress] = {}

    @property
    def links(self) -> LinkIndex:
        """The task-to-KR index behind the board."""
        return self._links

    @property
    def key_results(self) -> Mapping[str, KrProgress]:
        """The last computed progress of every KR."""
        return self._kr_progress

    @property
    def objectives(self) -> Mapping[str, ObjectiveProgress]:
        """The last computed progress of every objective."""
        return self._objective_progress

    def load(self, tasks: Iterable[TaskSnapshot], checkins: Iterable[CheckIn], now: datetime) -> None:
        """Index every task and check-in, then compute everything."""
        self._links.upsert_all(tasks)
        for checkin in checkins:
            self._checkins.setdefault(checkin.kr_id, []).append(checkin)
        self.recompute_all(now)

    def recompute_all(self, now: datetime) -> BoardChange:
        """Recompute every KR and objective at `now` (the full path)."""
        for kr_id in self._krs:
            self._kr_progress[kr_id] = self._compute_kr(kr_id, now)
        views = list(self._objectives.values())
        self._objective_progress = objective_progress(
            views, self._kr_progress, self._cycles, now, thresholds=self._thresholds
        )
        return BoardChange(tuple(self._krs), tuple(self._objectives))

    def apply(self, task: TaskSnapshot, now: datetime) -> BoardChange:
        """Take a task's newest snapshot and recompute only what it reaches."""
        return self._recompute(self._links.upsert(task), now)

    def remove(self, ref: TaskRef, now: datetime) -> BoardChange:
        """Forget a task that left its source and recompute what it reached."""
        return self._recompute(self._links.remove(ref), now)

    def record_checkin(self, checkin: CheckIn, now: datetime) -> BoardChange:
        """Add a check-in of a metric KR and recompute that KR and its objectives."""
        self._checkins.setdefault(checkin.kr_id, []).append(checkin)
        return self._recompute(frozenset({checkin.kr_id}) & self._krs.keys(), now)

    def _recompute(self, kr_ids: Iterable[str], now: datetime) -> BoardChange:
        changed = tuple(sorted(kr_ids))
        for kr_id in changed:
            self._kr_progress[kr_id] = self._compute_kr(kr_id, now)
        ordered = self._affected_objectives(changed)
        for objective_id in ordered:
            self._objective_progress[objective_id] = self._compute_objective(objective_id, now)
        return BoardChange(changed, ordered)

    def _compute_kr(self, kr_id: str, now: datetime) -> KrProgress:
        kr = self._krs[kr_id]
        tasks = self._links.tasks_of(kr_id)
        checkins = self._checkins.get(kr_id, ())
        prefix = self._links.rules.points_prefix
        return kr_progress(kr, tasks, checkins, self._cycles[kr.cycle_id], now, points_prefix=prefix)

    def _compute_objective(self, objective_id: str, now: datetime) -> ObjectiveProgress:
        view = self._objectives[objective_id]
        kids: Sequence[tuple[ObjectiveView, ObjectiveProgress]] = ()
        if view.rollup:
            kids = [
                (child, self._objective_progress[child.id])
                for child in self._children.get(objective_id, ())
                if child.id != objective_id and child.id in self._objective_progress
            ]
        cycle = self._cycles[view.cycle_id]
        return rollup_objective(view, self._kr_progress, kids, cycle, now, thresholds=self._thresholds)

    def _affected_objectives(self, kr_ids: Iterable[str]) -> tuple[str, ...]:
        """The objectives owning `kr_ids` and their rolling-up ancestors, deepest (children) first."""
        affected: set[str] = set()
        for kr_id in kr_ids:
            for owner in self._owners.get(kr_id, ()):
                affected |= self._rolling_up_chain(owner)
        return tuple(sorted(affected, key=lambda objective_id: (-self._depth[objective_id], objective_id)))

    def _rolling_up_chain(self, objective_id: str) -> set[str]:
        """`objective_id` and each ancestor whose progress includes it (stops at a loop)."""
        chain: set[str] = set()
        current: str | None = objective_id
        while current is not None and current in self._objectives and current not in chain:
            chain.add(current)
            parent = self._objectives[current].parent_id
            rolls_up = parent is not None and parent in self._objectives and self._objectives[parent].rollup
            current = parent if rolls_up else None
        return chain


def _owners(objectives: Iterable[ObjectiveView]) -> dict[str, list[str]]:
    """KR id -> the objectives listing it."""
    owners: dict[str, list[str]] = {}
    for objective in objectives:
        for kr_id in objective.key_result_ids:
            owners.setdefault(kr_id, []).append(objective.id)
    return owners


def _depths(objectives: Mapping[str, ObjectiveView]) -> dict[str, int]:
    """Objective id -> how many ancestors it has (a loop counts each member once)."""
    depths: dict[str, int] = {}
    for objective_id in objectives:
        seen = {objective_id}
        parent = objectives[objective_id].parent_id
        while parent is not None and parent in objectives and parent not in seen:
            seen.add(parent)
            parent = objectives[parent].parent_id
        depths[objective_id] = len(seen) - 1
    return depths
