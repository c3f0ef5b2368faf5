"""Ground truth: what every KR's progress should be, computed from the simulators' own state.

Independent of syncd's pipeline: tasks are read straight from the simulators' records (not through
the clients, the webhooks or the store), each record as the tracker's API serves it and read by the
adapter's own normalizer (`SandboxPart.read_task`), so the sandbox keeps no copy of any tracker's state
rules. Links and progress then come from the core's published rules (`match_task`, `kr_progress`):
the formulas of DESIGN.md, applied by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.core.model import CheckIn, TaskSnapshot
from syncd.core.progress import kr_progress
from syncd.core.render import render_field_value, whole_percent
from syncd.sandbox.tracker import SandboxSource


@dataclass(frozen=True)
class ExpectedTask:
    """A task as the tracker shows it, the KRs it should count towards, and the unknown KR ids it names."""

    snapshot: TaskSnapshot
    kr_ids: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def labelled(self) -> bool:
        """Whether syncd should comment on it: it links a KR or names an unknown one."""
        return bool(self.kr_ids or self.unknown)


@dataclass(frozen=True)
class GroundTruth:
    """Each KR's progress (0-1) and each task's expected links, from the trackers' state."""

    progress: Mapping[str, float]
    tasks: tuple[ExpectedTask, ...]

    def percent(self, kr_id: str) -> int:
        """A KR's progress as the whole percentage comments show."""
        return whole_percent(self.progress[kr_id])

    def comment_percents(self, task: ExpectedTask) -> dict[str, int]:
        """What the task's syncd comment should show: KR id -> whole percentage."""
        return {kr_id: self.percent(kr_id) for kr_id in task.kr_ids}

    def field_fraction(self, task: ExpectedTask) -> float | None:
        """A progress field's value: the first linked KR's whole percentage as a fraction."""
        if not task.kr_ids:
            return None
        return float(render_field_value(self.progress[min(task.kr_ids)], "fraction"))

    def labelled(self) -> tuple[ExpectedTask, ...]:
        """The tasks syncd should comment on."""
        return tuple(task for task in self.tasks if task.labelled)


def ground_truth(
    config: SyncdConfig, sources: Sequence[SandboxSource], checkins: Sequence[CheckIn], now: datetime
) -> GroundTruth:
    """Every KR's progress at `now` from the simulators' tasks and the check-ins the sandbox reported."""
    okr = build_okr(config)
    tasks = []
    for snapshot in tracker_tasks(config, sources):
        matched = match_task(snapshot, okr.rules)
        unknown = tuple(item.kr_id for item in matched.unknown)
        tasks.append(ExpectedTask(snapshot, tuple(link.kr_id for link in matched.links), unknown))
    progress = {}
    for kr_id, view in okr.key_results.items():
        linked = [task.snapshot for task in tasks if kr_id in task.kr_ids]
        cycle = okr.cycles[view.cycle_id]
        progress[kr_id] = kr_progress(
            view, linked, checkins, cycle, now, points_prefix=config.matching.points_prefix
        ).progress
    return GroundTruth(progress, tuple(tasks))


def tracker_tasks(config: SyncdConfig, sources: Sequence[SandboxSource]) -> list[TaskSnapshot]:
    """Every task the configured sources follow, as the trackers hold it now and the adapters read it."""
    by_name = {source.name: source for source in sources}
    found: list[TaskSnapshot] = []
    for source_config in config.sources:
        source = by_name[source_config.name]
        records = source.tracker.task_records(source_config.model_dump())
        snapshots = (source.part.read_task(source_config, record) for record in records)
        found += [snapshot for snapshot in snapshots if not snapshot.deleted]
    return found
