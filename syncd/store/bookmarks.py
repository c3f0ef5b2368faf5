"""The store side of polling: bookmarks saved with the rows they produced, and refresh requests.

`save_poll` applies one `PollResult` in the caller's transaction: snapshots through the mirror (a
poll reads the tracker's present state, so it wins at an equal `updated_at`), a complete listing
marks the partition's absent tasks deleted, and the bookmark moves in the same transaction, so a crash
never leaves a bookmark ahead of the data. Refresh requests are served in batches and removed only
if nothing asked for them again while the fetch was in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from syncd.core.matching import MatchRules
from syncd.logs import redact
from syncd.ports import Bookmark, PollResult
from syncd.store.mirror import MirrorChange, mark_krs_dirty, remove_absent, upsert_snapshots
from syncd.store.tables import BOOKMARKS, REFRESH_REQUESTS
from syncd.store.upsert import upsert
from syncd.store.utc import as_utc, to_utc

FETCH_BATCH = 50
#: The columns that identify a bookmark row.
BOOKMARK_KEY = ("source", "partition")


@dataclass(frozen=True)
class PartitionState:
    """One partition's bookmark and when it was last polled and fully reconciled."""

    bookmark: Bookmark | None
    polled_at: datetime | None
    reconciled_at: datetime | None


def partition_states(conn: Connection, source: str) -> dict[str, PartitionState]:
    """The stored state of every partition of `source` that was polled before."""
    states: dict[str, PartitionState] = {}
    for row in conn.execute(select(BOOKMARKS).where(BOOKMARKS.c.source == source)):
        bookmark = Bookmark(row.partition, row.cursor, row.etag) if row.cursor or row.etag else None
        states[row.partition] = PartitionState(bookmark, as_utc(row.polled_at), as_utc(row.reconciled_at))
    return states


def save_poll(conn: Connection, source: str, result: PollResult, rules: MatchRules, now: datetime) -> MirrorChange:
    """Apply one poll of one partition and move its bookmark, in the caller's transaction."""
    change = MirrorChange()
    if not result.not_modified:
        change += upsert_snapshots(conn, result.snapshots, rules, now, or_equal=True)
    if result.complete:
        present = [s.external_id for s in result.snapshots]
        change += remove_absent(conn, source, result.containers or (result.partition,), present, now)
    mark_krs_dirty(conn, change.dirty_krs, now)
    _save_bookmark(conn, source, result, now)
    return change


def _save_bookmark(conn: Connection, source: str, result: PollResult, now: datetime) -> None:
    """Store the poll's bookmark; a listing that brings no cursor or ETag keeps the ones stored."""
    row: dict[str, Any] = {"source": source, "partition": result.partition, "polled_at": to_utc(now)}
    if result.bookmark.cursor is not None:
        row["cursor"] = result.bookmark.cursor
    if result.bookmark.etag is not None:
        row["etag"] = result.bookmark.etag
    if result.complete:
        row["reconciled_at"] = to_utc(now)
    upsert(conn, BOOKMARKS, [row], conflict=BOOKMARK_KEY, update=[name for name in row if name not in BOOKMARK_KEY])


@dataclass(frozen=True)
class RefreshBatch:
    """Refresh requests of one kind taken together: their ids and keys, and when they were taken."""

    kind: str
    ids: tuple[int, ...]
    keys: tuple[str, ...]
    attempts: int


def due_refreshes(conn: Connection, source: str, kind: str, now: datetime, limit: int) -> RefreshBatch | None:
    """Up to `limit` due requests of one kind, oldest first, or None."""
    query = (
        select(REFRESH_REQUESTS.c.id, REFRESH_REQUESTS.c.key, REFRESH_REQUESTS.c.attempts)
        .where(
            REFRESH_REQUESTS.c.source == source,
            REFRESH_REQUESTS.c.kind == kind,
            (REFRESH_REQUESTS.c.next_attempt_at.is_(None)) | (REFRESH_REQUESTS.c.next_attempt_at <= to_utc(now)),
        )
        .order_by(REFRESH_REQUESTS.c.requested_at, REFRESH_REQUESTS.c.id)
        .limit(limit)
    )
    rows = list(conn.execute(query))
    if not rows:
        return None
    attempts = max(row.attempts for row in rows)
    return RefreshBatch(kind, tuple(r.id for r in rows), tuple(r.key for r in rows), attempts)


def finish_refreshes(conn: Connection, batch: RefreshBatch, started_at: datetime) -> None:
    """Remove served requests, except those asked for again after `started_at` (they run once more)."""
    conn.execute(
        delete(REFRESH_REQUESTS).where(
            REFRESH_REQUESTS.c.id.in_(batch.ids), REFRESH_REQUESTS.c.requested_at <= to_utc(started_at)
        )
    )


def retry_refreshes(conn: Connection, batch: RefreshBatch, error: str, retry_at: datetime) -> None:
    """Keep the requests for another try at `retry_at`."""
    conn.execute(
        update(REFRESH_REQUESTS)
        .where(REFRESH_REQUESTS.c.id.in_(batch.ids))
        .values(
            attempts=REFRESH_REQUESTS.c.attempts + 1, last_error=redact(error)[:2000], next_attempt_at=to_utc(retry_at)
        )
    )


def drop_refreshes(conn: Connection, ids: Sequence[int]) -> None:
    """Forget requests that cannot be served (a permanent failure; the next reconciliation covers them)."""
    conn.execute(delete(REFRESH_REQUESTS).where(REFRESH_REQUESTS.c.id.in_(list(ids))))
