"""The `deliveries` inbox: verified deliveries stored (deduplicated per source + delivery id), claimed in id
order for the worker, marked done or failed, and swept once done for long enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, select, update
from sqlalchemy.dialects import sqlite

from syncd.store.claims import skip_locked
from syncd.store.tables import DELIVERIES
from syncd.store.upsert import insert_ignore
from syncd.store.utc import to_utc

_KEY = ("source", "delivery_id")

#: A stored delivery as read back (its `deliveries` columns by name).
DeliveryRecord = Row[Any]


class IngestOutcome(StrEnum):
    """What happened to one submitted delivery."""

    STORED = "stored"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One verified delivery, as it goes into the `deliveries` inbox."""

    source: str
    delivery_id: str
    event: str
    body: bytes
    received_at: datetime

    def values(self) -> dict[str, Any]:
        """Column values of a new pending row."""
        return {
            "source": self.source,
            "delivery_id": self.delivery_id,
            "event": self.event,
            "body": self.body,
            "received_at": self.received_at,
            "status": "pending",
            "attempts": 0,
        }


def commit_batch(conn: Connection, rows: Sequence[DeliveryRow]) -> list[IngestOutcome]:
    """Insert `rows` in the caller's transaction; say per row whether it was stored or a duplicate.

    Fast path: one multi-row insert; when it stored fewer rows than it was given, some were already
    there, and the caller redoes the batch with `commit_rows_one_by_one` to learn which."""
    seen: set[tuple[str, str]] = set()
    outcomes: list[IngestOutcome] = []
    fresh: list[dict[str, Any]] = []
    for row in rows:
        key = (row.source, row.delivery_id)
        outcomes.append(IngestOutcome.DUPLICATE if key in seen else IngestOutcome.STORED)
        if key not in seen:
            seen.add(key)
            fresh.append(row.values())
    if insert_new(conn, fresh) != len(fresh):
        raise SomeWereDuplicates
    return outcomes


#: One prepared `INSERT .. ON CONFLICT DO NOTHING` for SQLite, compiled once and run for every row.
_SQLITE_INSERT = sqlite.insert(DELIVERIES).on_conflict_do_nothing(index_elements=list(_KEY))


def insert_new(conn: Connection, values: list[dict[str, Any]]) -> int:
    """Insert rows (distinct keys), skipping existing ones; return how many went in.

    On SQLite one cached statement runs for all rows (the driver's summed rowcount is exact), which
    costs about half of `insert_ignore`'s RETURNING per row; PostgreSQL's driver reports no rowcount
    for a batch, so there `insert_ignore` counts the rows RETURNING gives back."""
    if conn.dialect.name != "sqlite":
        return insert_ignore(conn, DELIVERIES, values, _KEY)
    return max(conn.execute(_SQLITE_INSERT, values[0] if len(values) == 1 else values).rowcount, 0)


def connect_without_waiting(engine: Engine) -> Connection:
    """A SQLite connection that fails at once (database is locked) instead of waiting for another writer, and
    leaves WAL checkpoints to the other connections: the ingest writer commits on the event loop with it, where
    a wait or a checkpoint's fsync would stall every request. Never return it to the pool (invalidate it)."""
    conn = engine.connect()
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
    conn.rollback()  # end the autobegun transaction (PRAGMAs take effect outside any transaction)
    return conn


def checkpoint(conn: Connection) -> None:
    """Copy the WAL into the database file as far as no reader needs it (PASSIVE: never waits for one)."""
    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    conn.commit()


def commit_rows_one_by_one(conn: Connection, rows: Sequence[DeliveryRow]) -> list[IngestOutcome]:
    """Insert `rows` one statement each (still one transaction) to tell stored rows from duplicates."""
    return [
        IngestOutcome.STORED if insert_ignore(conn, DELIVERIES, [row.values()], _KEY) == 1 else IngestOutcome.DUPLICATE
        for row in rows
    ]


class SomeWereDuplicates(Exception):
    """Internal signal: the fast path met an existing row; roll back and classify row by row."""


# Built once: building a statement costs more than running it for a small batch.
#: Pending deliveries whose next attempt is due at `:now`, oldest first, at most `:limit`.
_DUE = (
    select(DELIVERIES)
    .where(
        DELIVERIES.c.status == "pending",
        (DELIVERIES.c.next_attempt_at.is_(None)) | (DELIVERIES.c.next_attempt_at <= bindparam("now")),
    )
    .order_by(DELIVERIES.c.id)
    .limit(bindparam("limit"))
)
_DUE_IDS = _DUE.with_only_columns(DELIVERIES.c.id)
_STILL_PENDING = select(DELIVERIES.c.id).where(
    DELIVERIES.c.id.in_(bindparam("ids", expanding=True)), DELIVERIES.c.status == "pending"
)


def due_delivery_ids(conn: Connection, now: datetime, limit: int) -> list[int]:
    """Ids of the first `limit` pending deliveries due at `now`, oldest first."""
    return list(conn.execute(_DUE_IDS, {"now": to_utc(now), "limit": limit}).scalars())


def due_deliveries(conn: Connection, now: datetime, limit: int) -> list[DeliveryRecord]:
    """The first `limit` pending deliveries due at `now`, oldest first (read only: no claim)."""
    return list(conn.execute(_DUE, {"now": to_utc(now), "limit": limit}))


def claim_due_deliveries(conn: Connection, now: datetime, limit: int, only: int | None = None) -> list[DeliveryRecord]:
    """Claim (row locks; PostgreSQL skips those another replica holds) up to `limit` due deliveries, or only
    delivery `only`."""
    query = _DUE if only is None else _DUE.where(DELIVERIES.c.id == only)
    return list(conn.execute(skip_locked(conn, query), {"now": to_utc(now), "limit": limit}))


def still_pending(conn: Connection, ids: Sequence[int]) -> set[int]:
    """Which of these deliveries are still pending (another replica or turn may have applied some)."""
    return set(conn.execute(_STILL_PENDING, {"ids": list(ids)}).scalars())


def delivery_row(conn: Connection, delivery_id: int) -> DeliveryRecord | None:
    """One delivery's row, or None."""
    return conn.execute(select(DELIVERIES).where(DELIVERIES.c.id == delivery_id)).one_or_none()


def mark_applied(conn: Connection, ids: Sequence[int], worker_id: str, now: datetime) -> None:
    """These deliveries are applied by `worker_id` at `now`."""
    if ids:
        conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(list(ids)))
            .values(status="done", applied_at=to_utc(now), claimed_by=worker_id, last_error=None, next_attempt_at=None)
        )


def record_delivery_failure(
    conn: Connection, delivery_id: int, attempts: int, error: str, retry_at: datetime | None
) -> None:
    """A delivery failed its `attempts`-th time: retried at `retry_at`, or kept as failed when None."""
    conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(
            attempts=attempts,
            last_error=error,
            status="failed" if retry_at is None else "pending",
            next_attempt_at=None if retry_at is None else to_utc(retry_at),
        )
    )


def sweep_done(conn: Connection, applied_before: datetime) -> None:
    """Delete deliveries applied before `applied_before` (their effects are in the mirror)."""
    conn.execute(
        delete(DELIVERIES).where(DELIVERIES.c.status == "done", DELIVERIES.c.applied_at < to_utc(applied_before))
    )
