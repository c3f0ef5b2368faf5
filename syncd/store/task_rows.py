"""How a mirrored task is kept in `tasks`: a snapshot as row values, a row back as a snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskSnapshot, TaskState
from syncd.store.tables import TASKS
from syncd.store.utc import to_utc


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
        updated_at=to_utc(updated_at),
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
