"""KR and objective progress rows and check-ins: what the recompute step and check-ins read and write.

Lock order (no deadlock between replicas, nor with `sync_config`, which locks objectives before KRs):
tasks, objectives, key_results, push_targets. `lock_rollup` takes the objectives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, exists, insert, select, update

from syncd.core.model import CheckIn
from syncd.store.chunks import chunks
from syncd.store.claims import locked, skip_locked
from syncd.store.tables import CHECK_INS, KEY_RESULTS, OBJECTIVES, TASKS
from syncd.store.utc import as_utc, to_utc

#: Due KRs claimed per recompute batch.
RECOMPUTE_BATCH = 200

#: A KR dirty since `:cutoff` or earlier (NULL, not dirty, never compares).
_KR_DUE = KEY_RESULTS.c.dirty_since <= bindparam("cutoff")
#: Whether any KR is due, and any dirty task waits (two index-backed EXISTS, one round trip).
_ANYTHING_DUE = select(exists().where(_KR_DUE), exists().where(TASKS.c.dirty_since.is_not(None)))
#: The first `RECOMPUTE_BATCH` due KRs, in id (lock) order.
_DUE_KRS = select(KEY_RESULTS).where(_KR_DUE).order_by(KEY_RESULTS.c.id).limit(RECOMPUTE_BATCH)
_DUE_MARKS = _DUE_KRS.with_only_columns(KEY_RESULTS.c.id, KEY_RESULTS.c.dirty_marks)
#: Index-backed (`ix_check_ins_kr_kind_at`): not a walk through the KR's whole progress history.
_METRIC_CHECK_INS = select(CHECK_INS.c.kr_id, CHECK_INS.c.at, CHECK_INS.c.value, CHECK_INS.c.note).where(
    CHECK_INS.c.kr_id.in_(bindparam("kr_ids", expanding=True)), CHECK_INS.c.kind == "metric"
)


def anything_due(conn: Connection, cutoff: datetime) -> tuple[bool, bool]:
    """Whether a KR dirty since `cutoff` or earlier waits, and whether a dirty task does."""
    krs_due, tasks_dirty = conn.execute(_ANYTHING_DUE, {"cutoff": to_utc(cutoff)}).one()
    return bool(krs_due), bool(tasks_dirty)


def due_marks(conn: Connection, cutoff: datetime) -> dict[str, int]:
    """The due KRs (dirty since `cutoff` or earlier, first batch in id order) and their `dirty_marks`."""
    return {row.id: row.dirty_marks for row in conn.execute(_DUE_MARKS, {"cutoff": to_utc(cutoff)})}


def any_kr_due(conn: Connection, cutoff: datetime) -> bool:
    """Whether any KR has been dirty since `cutoff` or earlier."""
    return conn.execute(_DUE_MARKS, {"cutoff": to_utc(cutoff)}).first() is not None


def claim_due_krs(conn: Connection, cutoff: datetime) -> dict[str, Row[Any]]:
    """The due KRs' rows by id, locked (PostgreSQL skips those another replica holds)."""
    return {row.id: row for row in conn.execute(skip_locked(conn, _DUE_KRS), {"cutoff": to_utc(cutoff)})}


def lock_rollup(conn: Connection) -> None:
    """Serialize objective rollups and renders between replicas: lock every objective row, in id order."""
    conn.execute(locked(conn, select(OBJECTIVES.c.id).order_by(OBJECTIVES.c.id))).all()


def active_kr_ids_locked(conn: Connection) -> list[str]:
    """Ids of every live KR, locked in id order (take `lock_rollup` first, like every writer of KRs)."""
    active = select(KEY_RESULTS.c.id).where(KEY_RESULTS.c.archived_at.is_(None)).order_by(KEY_RESULTS.c.id)
    return list(conn.execute(locked(conn, active)).scalars().all())


def clear_kr_dirty(conn: Connection, kr_id: str) -> None:
    """The KR needs no recompute (archived or unknown to the config in force)."""
    conn.execute(update(KEY_RESULTS).where(KEY_RESULTS.c.id == kr_id).values(dirty_since=None))


def save_kr_numbers(conn: Connection, kr_id: str, numbers: Mapping[str, Any], now: datetime, *, moved: bool) -> None:
    """Store a KR's fresh numbers as computed at `now` and clear its dirty mark; `moved` also stamps the change."""
    values = {**numbers, "computed_at": to_utc(now), "dirty_since": None}
    if moved:
        values["progress_changed_at"] = to_utc(now)
    conn.execute(update(KEY_RESULTS).where(KEY_RESULTS.c.id == kr_id).values(**values))


def insert_check_in(conn: Connection, row: Mapping[str, Any]) -> None:
    """Add one `check_ins` row (its `at` is stored in UTC)."""
    conn.execute(insert(CHECK_INS).values(**{**row, "at": to_utc(row["at"])}))


def stored_kr_progress(conn: Connection) -> dict[str, Any]:
    """Every KR's stored progress and status, by id."""
    query = select(KEY_RESULTS.c.id, KEY_RESULTS.c.progress, KEY_RESULTS.c.status)
    return {row.id: row for row in conn.execute(query)}


def stored_objective_progress(conn: Connection) -> dict[str, Any]:
    """Every objective's stored progress and status, by id."""
    query = select(OBJECTIVES.c.id, OBJECTIVES.c.progress, OBJECTIVES.c.status)
    return {row.id: row for row in conn.execute(query)}


def save_objective_progress(conn: Connection, objective_id: str, progress: float, status: str) -> None:
    """Store one objective's new progress and status."""
    query = update(OBJECTIVES).where(OBJECTIVES.c.id == objective_id)
    conn.execute(query.values(progress=progress, status=status))


def metric_checkins(conn: Connection, kr_ids: Iterable[str]) -> dict[str, list[CheckIn]]:
    """Metric check-ins (inputs from the API/CLI) of each KR."""
    found: dict[str, list[CheckIn]] = defaultdict(list)
    for chunk in chunks(sorted(set(kr_ids))):
        for row in conn.execute(_METRIC_CHECK_INS, {"kr_ids": list(chunk)}):
            found[row.kr_id].append(CheckIn(kr_id=row.kr_id, at=to_utc(row.at), value=row.value, note=row.note or ""))
    return found


def progress_changed_at(conn: Connection, kr_ids: Iterable[str]) -> dict[str, datetime | None]:
    """When each of these KRs' progress last changed, as stored (KRs the store lacks are left out)."""
    found: dict[str, datetime | None] = {}
    for chunk in chunks(sorted(set(kr_ids))):
        query = select(KEY_RESULTS.c.id, KEY_RESULTS.c.progress_changed_at).where(KEY_RESULTS.c.id.in_(chunk))
        for row in conn.execute(query):
            found[row.id] = as_utc(row.progress_changed_at)
    return found


def changed_at_of(rows: Iterable[Row[Any]]) -> dict[str, datetime | None]:
    """When each of these KR rows' progress last changed (rows as `claim_due_krs` gives them)."""
    return {row.id: as_utc(row.progress_changed_at) for row in rows}


def key_result_row(conn: Connection, kr_id: str) -> Row[Any] | None:
    """One KR's stored row, or None when the store lacks it."""
    return conn.execute(select(KEY_RESULTS).where(KEY_RESULTS.c.id == kr_id)).first()
