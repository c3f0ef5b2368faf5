"""The product's nouns as frozen dataclasses: tasks as mirrored, and the OKR views the engine reads.

These are the contract between adapters (which produce `TaskSnapshot`) and the engine (which reads
them with the cycle/objective/KR views built from the admin config). No I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class TaskState(StrEnum):
    """Where a task stands; `dropped` is closed-but-not-done and leaves numerator and denominator."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Measure(StrEnum):
    """How a key result turns its tasks (or check-ins) into progress; see DESIGN.md."""

    TASKS = "tasks"
    COUNT = "count"
    METRIC = "metric"


class TaskWeight(StrEnum):
    """What one task weighs in a `tasks`/`count` KR: 1 each, or its story points."""

    ONE = "one"
    POINTS = "points"


class Aggregate(StrEnum):
    """Where a metric KR's current value comes from."""

    CHECKINS = "checkins"
    SUM = "sum"
    AVG = "avg"


class Status(StrEnum):
    """A KR's or objective's standing against the time elapsed in its cycle."""

    NOT_STARTED = "not_started"
    NO_TASKS = "no_tasks"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DONE = "done"


@dataclass(frozen=True, slots=True, order=True)
class TaskRef:
    """A task's identity: the configured source's name and the tracker's id for it (`acme/web#12`, a gid)."""

    source: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task as a tracker last described it, normalized. `updated_at` orders snapshots of one task."""

    source: str
    external_id: str
    url: str
    title: str
    state: TaskState
    updated_at: datetime
    labels: tuple[str, ...] = ()
    points: float | None = None
    assignee: str | None = None
    deleted: bool = False
    #: Where the task lives in its tracker: `acme/web` for GitHub, a project gid for Asana. Rules scope on it.
    container: str = ""
    #: `issue`, `pull_request`, `task`, `subtask`: what kind of item the tracker calls it.
    kind: str = "issue"
    #: Number fields by name (Asana custom fields, estimates), for metric KRs aggregating `sum`/`avg`.
    numbers: tuple[tuple[str, float], ...] = ()
    #: KR ids the tracker itself assigns (an Asana enum field, "every task of project P counts for K").
    linked_krs: tuple[str, ...] = ()

    @property
    def ref(self) -> TaskRef:
        """The task's identity."""
        return TaskRef(self.source, self.external_id)

    def number(self, name: str) -> float | None:
        """The value of one number field, or None when the task has none of that name."""
        for key, value in self.numbers:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How far behind the expected progress a KR may be before it is `at_risk` or `off_track`."""

    tolerance: float = 0.10
    at_risk: float = 0.25


@dataclass(frozen=True, slots=True)
class CycleView:
    """A period with inclusive start and end dates (the end date counts as a whole day)."""

    id: str
    start: date
    end: date
    title: str = ""


@dataclass(frozen=True, slots=True)
class KeyResultView:
    """What the engine needs of one KR, built from the config."""

    id: str
    title: str
    objective_id: str
    cycle_id: str
    measure: Measure = Measure.TASKS
    weight: float = 1.0
    task_weight: TaskWeight = TaskWeight.ONE
    default_points: float = 1.0
    in_progress_credit: float = 0.0
    start: float | None = None
    target: float | None = None
    unit: str = ""
    aggregate: Aggregate = Aggregate.CHECKINS
    field: str | None = None
    thresholds: Thresholds = dataclasses.field(default_factory=Thresholds)


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    """What the engine needs of one objective; `rollup` makes its progress include its children's."""

    id: str
    title: str
    cycle_id: str
    parent_id: str | None = None
    weight: float = 1.0
    rollup: bool = False
    key_result_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A recorded value of a metric KR (or a progress change of any KR), for history charts."""

    kr_id: str
    at: datetime
    value: float
    note: str = ""
