"""How the worker side reads and writes the store's rows: table handles, UTC times, task snapshots.

SQLite keeps timestamps as naive text, so every time is converted to UTC before it is bound (text
comparison then orders correctly) and marked UTC again when read back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskSnapshot, TaskState
from syncd.store.schema import Base

TABLES = Base.metadata.tables
TASKS: Table = TABLES["tasks"]
TASK_LINKS: Table = TABLES["task_links"]
KEY_RESULTS: Table = TABLES["key_results"]
OBJECTIVES: Table = TABLES["objectives"]
CHECK_INS: Table = TABLES["check_ins"]
DELIVERIES: Table = TABLES["deliveries"]
REFRESH_REQUESTS: Table = TABLES["refresh_requests"]
BOOKMARKS: Table = TABLES["bookmarks"]
PUSH_TARGETS: Table = TABLES["push_targets"]
LEASES: Table = TABLES["leases"]
SOURCE_STATE: Table = TABLES["source_state"]


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive time is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A time read from the store, marked UTC (SQLite returns naive times)."""
    return None if moment is None else to_utc(moment)


def task_row(snapshot: TaskSnapshot, seen_at: datetime) -> dict[str, Any]:
    """The `tasks` columns that mirror one snapshot (everything but id, links and dirty marks)."""
    return {
        "source": snapshot.source,
        "external_id": snapshot.external_id,
        "container": snapshot.container,
        "kind": snapshot.kind,
        "url": snapshot.url,
        "title": snapshot.title,
        "state": snapshot.state.value,
        "labels": list(snapshot.labels),
        "points": snapshot.points,
        "assignee": snapshot.assignee,
        "numbers": [[name, value] for name, value in snapshot.numbers],
        "linked_krs": list(snapshot.linked_krs),
        "deleted": snapshot.deleted,
        "updated_at": to_utc(snapshot.updated_at),
        "seen_at": to_utc(seen_at),
    }


#: The `tasks` columns a snapshot is made of (select these, not the whole row, where only snapshots are
#: wanted: the mirror's own marks and warnings are JSON and times that cost as much to decode as the rest).
SNAPSHOT_COLUMNS = tuple(
    TASKS.c[name]
    for name in (
        "source", "external_id", "url", "title", "state", "updated_at", "labels", "points", "assignee",
        "deleted", "container", "kind", "numbers", "linked_krs",
    )
)  # fmt: skip
_STATES = {state.value: state for state in TaskState}


def row_snapshot(row: Any) -> TaskSnapshot:
    """The snapshot a row with the `SNAPSHOT_COLUMNS` (or every `tasks` column) mirrors."""
    updated_at = row.updated_at
    return TaskSnapshot(
        source=row.source,
        external_id=row.external_id,
        url=row.url or "",
        title=row.title or "",
        state=_STATES[row.state],
        updated_at=updated_at.replace(tzinfo=UTC) if updated_at.tzinfo is None else updated_at.astimezone(UTC),
        labels=tuple(row.labels or ()),
        points=row.points,
        assignee=row.assignee,
        deleted=bool(row.deleted),
        container=row.container or "",
        kind=row.kind or "issue",
        numbers=tuple((str(name), float(value)) for name, value in row.numbers) if row.numbers else (),
        linked_krs=tuple(row.linked_krs or ()),
    )


def unknown_json(unknown: tuple[UnknownKr, ...]) -> list[dict[str, Any]]:
    """Unknown KR labels as the JSON `tasks.unknown_krs` keeps."""
    return [{"label": u.label, "kr_id": u.kr_id, "suggestions": list(u.suggestions)} for u in unknown]


def unknown_from_json(value: Any) -> tuple[UnknownKr, ...]:
    """`tasks.unknown_krs` back as the core's values."""
    return tuple(
        UnknownKr(label=str(item["label"]), kr_id=str(item["kr_id"]), suggestions=tuple(item.get("suggestions", ())))
        for item in value or ()
    )
