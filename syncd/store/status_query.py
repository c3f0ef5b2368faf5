"""What `syncd status` and the read API show: the config's structure with the store's computed values.

Read-only: one connection, no writes. The config gives the objectives and KRs and their order; the
store gives each KR's last computed progress (`progress`, `current` = done or current value, `total` =
total or target), linked task counts, source health, queue depths and failing push targets. Status
words are re-derived at `now` by the core, so a KR never computed yet reads 0% "no tasks" (or "not
started" before its cycle). `read_source_health` and `key_result_status` read only their part, with the
same values. `status_document` turns the report into JSON with stable keys.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, select, text, union_all

from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.config.views import OkrModel, build_okr
from syncd.core.model import CycleView, KeyResultView, Measure, ObjectiveView, Status
from syncd.core.progress import KrProgress, ObjectiveProgress, kr_progress, objective_progress
from syncd.core.render import amount_text, status_text, whole_percent
from syncd.core.status import expected_progress, kr_status
from syncd.store.read_only import read_only, store_location
from syncd.store.schema import UNCOUNTED_TASKS
from syncd.store.status_rows import (
    FailingTarget,
    KrTarget,
    QueueDepths,
    SourceStatus,
    UnknownKrTask,
    UnknownLabel,
    failing_targets,
    kr_targets,
    queue_depths,
    source_statuses,
    unknown_kr_tasks,
)
from syncd.store.tables import KEY_RESULTS, TASK_LINKS, TASKS
from syncd.store.utc import as_utc, to_utc

__all__ = [
    "FailingTarget",
    "KeyResultStatus",
    "ObjectiveStatus",
    "QueueDepths",
    "SourceStatus",
    "SourcesReport",
    "StatusReport",
    "UnknownKrTask",
    "UnknownLabel",
    "key_result_status",
    "objective_statuses",
    "read_source_health",
    "read_status",
    "status_document",
]


@dataclass(frozen=True)
class KeyResultStatus:
    """One KR as status shows it: progress (0-1 and whole percent), amount in words, status, last change."""

    id: str
    title: str
    measure: str
    progress: float
    percent: int
    status: str
    status_text: str
    amount: str
    done: float
    total: float
    current: float | None
    target: float | None
    unit: str
    task_count: int
    last_change: datetime | None
    computed_at: datetime | None


@dataclass(frozen=True)
class ObjectiveStatus:
    """One objective with its KRs in config order."""

    id: str
    title: str
    cycle: str
    parent: str | None
    progress: float
    percent: int
    status: str
    status_text: str
    expected: float
    key_results: tuple[KeyResultStatus, ...]


@dataclass(frozen=True)
class StatusReport:
    """Everything `syncd status` prints, as data."""

    generated_at: datetime
    store: str
    objectives: tuple[ObjectiveStatus, ...]
    unknown_kr_tasks: tuple[UnknownKrTask, ...]
    sources: tuple[SourceStatus, ...]
    queues: QueueDepths
    failing_targets: tuple[FailingTarget, ...]
    #: Tracker goals and OKR stores' targets, one listing (what each KR should hold there, and whether it does).
    kr_targets: tuple[KrTarget, ...] = ()


@dataclass(frozen=True)
class SourcesReport:
    """The sources' part of the status alone."""

    generated_at: datetime
    sources: tuple[SourceStatus, ...]


def read_status(engine: Engine, config: SyncdConfig, now: datetime) -> StatusReport:
    """Assemble the status at `now` from `config` and the store (which must be migrated); writes nothing."""
    now = to_utc(now)
    okr = build_okr(config)

    def read(conn: Connection) -> StatusReport:
        return StatusReport(
            generated_at=now,
            store=store_location(engine),
            objectives=_objectives(conn, okr, now),
            unknown_kr_tasks=unknown_kr_tasks(conn),
            sources=source_statuses(conn, config, now),
            queues=queue_depths(conn, now),
            failing_targets=failing_targets(conn, config_secrets(config)),
            kr_targets=kr_targets(conn, config_secrets(config)),
        )

    return read_only(engine, "the status", read)


def read_source_health(engine: Engine, config: SyncdConfig, now: datetime) -> SourcesReport:
    """The `sources` of `read_status` at `now`, reading nothing else."""
    now = to_utc(now)
    return read_only(engine, "the status", lambda conn: SourcesReport(now, source_statuses(conn, config, now)))


def status_document(report: StatusReport) -> dict[str, Any]:
    """The report as JSON-ready data: times in ISO 8601 UTC, keys named as the dataclass fields."""
    converted: dict[str, Any] = _jsonable(dataclasses.asdict(report))
    return converted


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


#: The columns of `key_results` a status shows: not the KR's spec or scope basis, JSON the status never reads.
_COMPUTED: tuple[ColumnElement[Any], ...] = (
    KEY_RESULTS.c.id,
    KEY_RESULTS.c.progress,
    KEY_RESULTS.c.current,
    KEY_RESULTS.c.total,
    KEY_RESULTS.c.computed_at,
    KEY_RESULTS.c.progress_changed_at,
)


def key_result_status(conn: Connection, okr: OkrModel, kr_id: str, now: datetime) -> KeyResultStatus:
    """The configured KR `kr_id` (exact id) as `read_status` shows it at `now`, from its own row and links only."""
    view = okr.key_results[kr_id]
    cycle = okr.cycles[view.cycle_id]
    row = conn.execute(select(*_COMPUTED).where(KEY_RESULTS.c.id == kr_id)).first()
    count = _kr_linked_task_count(conn, kr_id)
    return _kr_status(view, _kr_progress(view, row, count, cycle, to_utc(now)), row, cycle)


def objective_statuses(conn: Connection, okr: OkrModel, now: datetime) -> tuple[ObjectiveStatus, ...]:
    """The `objectives` of `read_status` at `now` (UTC), reading nothing else (the dashboard's overview)."""
    return _objectives(conn, okr, now)


def _objectives(conn: Connection, okr: OkrModel, now: datetime) -> tuple[ObjectiveStatus, ...]:
    stored = {row.id: row for row in conn.execute(select(*_COMPUTED))}
    counts = _linked_task_counts(conn)
    progress = {
        kr_id: _kr_progress(view, stored.get(kr_id), counts.get(kr_id, 0), okr.cycles[view.cycle_id], now)
        for kr_id, view in okr.key_results.items()
    }
    rolled = objective_progress(list(okr.objectives.values()), progress, okr.cycles, now, thresholds=okr.thresholds)
    return tuple(
        _objective_status(
            objective,
            rolled[objective.id],
            okr.cycles[objective.cycle_id],
            tuple(
                _kr_status(okr.key_results[kr_id], progress[kr_id], stored.get(kr_id), okr.cycles[objective.cycle_id])
                for kr_id in objective.key_result_ids
            ),
        )
        for objective in okr.objectives.values()
    )


def _objective_status(
    objective: ObjectiveView, done: ObjectiveProgress, cycle: CycleView, key_results: tuple[KeyResultStatus, ...]
) -> ObjectiveStatus:
    # The status words depend only on status, expected progress and cycle, which objectives share with KRs.
    words = status_text(KrProgress(objective.id, done.progress, done.status, done.expected, 0.0, 0.0, 0), cycle)
    return ObjectiveStatus(
        id=objective.id,
        title=objective.title,
        cycle=cycle.id,
        parent=objective.parent_id,
        progress=done.progress,
        percent=whole_percent(done.progress),
        status=done.status.value,
        status_text=words,
        expected=done.expected,
        key_results=key_results,
    )


def _linked_task_counts(conn: Connection) -> dict[str, int]:
    """Per KR, how many linked tasks count (not dropped, not deleted): its links less those of uncounted tasks.

    One statement (one snapshot): the links per KR come from `ix_task_links_kr_id` alone, the uncounted tasks from the
    partial `ix_tasks_uncounted`; a join filtering every task reads the whole `tasks` table instead."""
    uncounted = select(TASKS.c.id).where(text(UNCOUNTED_TASKS))
    query = union_all(
        select(TASK_LINKS.c.kr_id, func.count()).group_by(TASK_LINKS.c.kr_id),
        select(TASK_LINKS.c.kr_id, -func.count())
        .where(TASK_LINKS.c.task_id.in_(uncounted.scalar_subquery()))
        .group_by(TASK_LINKS.c.kr_id),
    )
    counts: dict[str, int] = defaultdict(int)
    for kr_id, count in conn.execute(query):
        counts[str(kr_id)] += int(count)
    return {kr_id: count for kr_id, count in counts.items() if count}


def _kr_linked_task_count(conn: Connection, kr_id: str) -> int:
    """How many of `kr_id`'s linked tasks count (its few links, found by `ix_task_links_kr_id`)."""
    query = (
        select(func.count())
        .select_from(TASK_LINKS)
        .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
        .where(TASK_LINKS.c.kr_id == kr_id, TASKS.c.state != "dropped", TASKS.c.deleted.is_(False))
    )
    return int(conn.execute(query).scalar_one())


def _kr_progress(
    view: KeyResultView, row: Row[Any] | None, task_count: int, cycle: CycleView, now: datetime
) -> KrProgress:
    """The stored progress re-judged at `now`; a KR never computed reads 0% "no tasks" (or "not started")."""
    if row is None or row.computed_at is None:
        blank = kr_progress(view, [], [], cycle, now)
        started = blank.status is not Status.NOT_STARTED
        status = Status.NO_TASKS if started else Status.NOT_STARTED
        return dataclasses.replace(blank, progress=0.0, status=status, task_count=task_count)
    expected = expected_progress(cycle, now)
    has_tasks = view.measure is Measure.METRIC or task_count > 0
    status = kr_status(row.progress, expected, view.thresholds, cycle, now, has_tasks=has_tasks)
    measured = view.measure is not Measure.TASKS
    return KrProgress(
        kr_id=view.id,
        progress=row.progress,
        status=status,
        expected=expected,
        done=row.current or 0.0,
        total=row.total if row.total is not None else (view.target or 0.0),
        task_count=task_count,
        current=(row.current if row.current is not None else (view.start or 0.0)) if measured else None,
        target=view.target if measured else None,
        weight=view.weight,
    )


def _kr_status(view: KeyResultView, progress: KrProgress, row: Row[Any] | None, cycle: CycleView) -> KeyResultStatus:
    return KeyResultStatus(
        id=view.id,
        title=view.title,
        measure=view.measure.value,
        progress=progress.progress,
        percent=whole_percent(progress.progress),
        status=progress.status.value,
        status_text=status_text(progress, cycle),
        amount=amount_text(view, progress),
        done=progress.done,
        total=progress.total,
        current=progress.current,
        target=progress.target,
        unit=view.unit,
        task_count=progress.task_count,
        last_change=as_utc(row.progress_changed_at) if row is not None else None,
        computed_at=as_utc(row.computed_at) if row is not None else None,
    )


def read_kr_targets(engine: Engine, config: SyncdConfig, kr_id: str) -> tuple[KrTarget, ...]:
    """The goal and OKR store targets one KR feeds (and its objective's events), errors redacted; writes nothing."""
    return read_only(engine, f"the targets of {kr_id}", lambda conn: kr_targets(conn, config_secrets(config), kr_id))
