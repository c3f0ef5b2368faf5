"""One KR read alone: its status, the tasks linked to it and its check-in history (read-only).

`read_key_result_detail` pairs these with `status_query.key_result_status`, so the read API's KR has
exactly the fields and values `syncd status --json` prints, plus `tasks` and `check_ins`; only that
KR's rows are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, select

from syncd.config.views import OkrModel
from syncd.store.read_only import read_only
from syncd.store.status_query import KeyResultStatus, key_result_status
from syncd.store.tables import CHECK_INS, TASK_LINKS, TASKS
from syncd.store.utc import to_utc

#: History lists at most this many check-ins (the newest).
HISTORY_LIMIT = 1000


@dataclass(frozen=True)
class LinkedTask:
    """A mirrored task that counts towards the KR, and the rule that linked it."""

    source: str
    external_id: str
    url: str
    title: str
    state: str
    labels: tuple[str, ...]
    points: float | None
    rule: str
    updated_at: datetime


@dataclass(frozen=True)
class CheckInRecord:
    """One point of the KR's history: a metric input (`metric`) or a computed progress change (`progress`), as
    the read API returns it and the dashboard charts it."""

    at: datetime
    kind: str
    value: float
    progress: float
    done: float | None
    total: float | None
    cause: str
    note: str
    #: Tasks that joined and left the KR since the previous check-in (None: a metric input, or not recorded).
    tasks_added: int | None = None
    tasks_removed: int | None = None


@dataclass(frozen=True)
class KeyResultDetail:
    """A KR as status shows it, with its linked tasks and its check-in history (oldest first)."""

    key_result: KeyResultStatus
    objective: str
    tasks: tuple[LinkedTask, ...]
    check_ins: tuple[CheckInRecord, ...]


def read_key_result_detail(engine: Engine, okr: OkrModel, kr_id: str, now: datetime) -> KeyResultDetail:
    """The detail at `now` of the KR `kr_id` of `okr` (exact id; a KeyError for any other)."""
    objective = okr.key_results[kr_id].objective_id

    def read(conn: Connection) -> KeyResultDetail:
        status = key_result_status(conn, okr, kr_id, now)
        return KeyResultDetail(status, objective, linked_tasks(conn, kr_id), check_in_history(conn, kr_id))

    return read_only(engine, f"key result {kr_id}", read)


def read_key_result_status(engine: Engine, okr: OkrModel, kr_id: str, now: datetime) -> KeyResultStatus:
    """The KR `kr_id` of `okr` (exact id) as status shows it at `now`, without its tasks and history."""
    return read_only(engine, f"key result {kr_id}", lambda conn: key_result_status(conn, okr, kr_id, now))


def linked_tasks(conn: Connection, kr_id: str) -> tuple[LinkedTask, ...]:
    """The live (not deleted) tasks linked to `kr_id`, by source and id."""
    query = (
        select(TASKS, TASK_LINKS.c.rule)
        .join(TASK_LINKS, TASK_LINKS.c.task_id == TASKS.c.id)
        .where(TASK_LINKS.c.kr_id == kr_id, TASKS.c.deleted.is_(False))
        .order_by(TASKS.c.source, TASKS.c.external_id)
    )
    return tuple(
        LinkedTask(
            source=row.source,
            external_id=row.external_id,
            url=row.url or "",
            title=row.title or "",
            state=row.state,
            labels=tuple(str(label) for label in row.labels or ()),
            points=row.points,
            rule=row.rule or "",
            updated_at=to_utc(row.updated_at),
        )
        for row in conn.execute(query)
    )


def check_in_history(conn: Connection, kr_id: str, limit: int = HISTORY_LIMIT) -> tuple[CheckInRecord, ...]:
    """The newest `limit` check-ins of `kr_id`, oldest first."""
    query = (
        select(CHECK_INS)
        .where(CHECK_INS.c.kr_id == kr_id)
        .order_by(CHECK_INS.c.at.desc(), CHECK_INS.c.id.desc())
        .limit(limit)
    )
    records = [check_in_record(row) for row in conn.execute(query)]
    return tuple(reversed(records))


def check_in_record(row: Row[Any]) -> CheckInRecord:
    """One `check_ins` row as a history point (its time in UTC)."""
    return CheckInRecord(
        at=to_utc(row.at),
        kind=row.kind,
        value=row.value,
        progress=row.progress,
        done=row.done,
        total=row.total,
        cause=row.cause or "",
        note=row.note or "",
        tasks_added=row.tasks_added,
        tasks_removed=row.tasks_removed,
    )
