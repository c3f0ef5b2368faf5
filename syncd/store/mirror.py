"""The mirror of tracker tasks: upsert snapshots (newer wins), re-match, and mark what must be recomputed.

Deliveries and poll results both come through here, inside the caller's transaction. A snapshot
replaces the mirrored task only if it is newer (`updated_at`), decided atomically by the database
(`ON CONFLICT DO UPDATE ... WHERE`), so two replicas applying two versions of one task end with the
newer one whatever the order. A changed task is matched again with the core: its links are replaced,
the KRs it left and joined are marked dirty, and the task itself is marked dirty when its links or
warnings changed (its comment must say so even if no KR moved).

Lock order (to rule out deadlocks between replicas): tasks, then key_results, then refresh_requests
(the recompute step takes objectives between tasks and key_results; see `syncd.runtime.recompute.dirty`).
So these functions only report the KRs to recompute (`MirrorChange.dirty_krs`); the caller marks them
with `mark_krs_dirty` once every task row of its transaction is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from syncd.core.matching import MatchRules, match_task
from syncd.core.model import TaskSnapshot
from syncd.store.chunks import chunks
from syncd.store.claims import skip_locked
from syncd.store.okr import mark_key_results_dirty
from syncd.store.tables import REFRESH_REQUESTS, TASK_LINKS, TASKS
from syncd.store.task_rows import SNAPSHOT_COLUMNS, task_row, unknown_json
from syncd.store.upsert import dialect_insert, upsert
from syncd.store.utc import to_utc

#: A refresh request waits this long before it is served, so a burst of compact events makes one fetch.
REFRESH_DEBOUNCE = timedelta(seconds=1)

#: The `tasks` columns a newer snapshot overwrites (identity, warnings and dirty marks are kept).
_MIRRORED = tuple(
    c.name for c in TASKS.c if c.name not in ("id", "source", "external_id", "unknown_krs", "dirty_since")
)


@dataclass(frozen=True)
class MirrorChange:
    """What one application changed: tasks written, KRs and tasks marked dirty."""

    tasks: int = 0
    dirty_krs: frozenset[str] = frozenset()
    dirty_tasks: frozenset[int] = frozenset()
    #: (source, external_id) of delivered snapshots as new as the mirror but saying something else: the
    #: tracker stamps whole seconds, so which is current is unknown and the task must be fetched again.
    tied: frozenset[tuple[str, str]] = frozenset()

    def __add__(self, other: MirrorChange) -> MirrorChange:
        return MirrorChange(
            self.tasks + other.tasks,
            self.dirty_krs | other.dirty_krs,
            self.dirty_tasks | other.dirty_tasks,
            self.tied | other.tied,
        )


def newest_per_task(snapshots: Iterable[TaskSnapshot]) -> list[TaskSnapshot]:
    """One snapshot per task (the newest; the later one on a tie), ordered by task for a stable lock order."""
    newest: dict[tuple[str, str], TaskSnapshot] = {}
    for snapshot in snapshots:
        key = (snapshot.source, snapshot.external_id)
        if key not in newest or snapshot.updated_at >= newest[key].updated_at:
            newest[key] = snapshot
    return [newest[key] for key in sorted(newest)]


def upsert_snapshots(
    conn: Connection, snapshots: Sequence[TaskSnapshot], rules: MatchRules, now: datetime, *, or_equal: bool
) -> MirrorChange:
    """Mirror the snapshots that are newer than the stored task, re-match them, mark dirty what moved.

    `or_equal` also takes a snapshot as new as the mirror (polls and fetches read the tracker's present
    state, so at an equal `updated_at` they win over a delivery)."""
    written: list[tuple[int, TaskSnapshot]] = []
    tied: set[tuple[str, str]] = set()
    upsert = _upsert_statement(conn, or_equal=or_equal)
    for chunk in chunks(newest_per_task(snapshots)):
        by_key = {(s.source, s.external_id): s for s in chunk}
        # One compiled statement, rows as parameters: SQLAlchemy batches them into multi-row VALUES itself
        # ("insertmanyvalues") instead of compiling a new statement per chunk (which dominated backfills).
        done = set()
        for row in conn.execute(upsert, [task_row(s, now) for s in chunk]):
            done.add((row.source, row.external_id))
            written.append((row.id, by_key[(row.source, row.external_id)]))
        if not or_equal and len(done) < len(by_key):
            tied |= _ties(conn, [snapshot for key, snapshot in by_key.items() if key not in done])
    return replace(rematch(conn, written, rules, now, content_changed=True), tied=frozenset(tied))


def _ties(conn: Connection, refused: Sequence[TaskSnapshot]) -> set[tuple[str, str]]:
    """Of the delivered snapshots the mirror kept its row against, those exactly as new as the mirror whose
    content differs (an older one is simply stale; an equal one a redelivery of what is mirrored)."""
    wanted = {(s.source, s.external_id): task_row(s, s.updated_at) for s in refused}
    compared = [c.name for c in SNAPSHOT_COLUMNS if c.name != "updated_at"]
    found: set[tuple[str, str]] = set()
    for source in sorted({source for source, _ in wanted}):
        ids = [external_id for src, external_id in wanted if src == source]
        for part in chunks(ids):
            query = select(*SNAPSHOT_COLUMNS).where(TASKS.c.source == source, TASKS.c.external_id.in_(part))
            for row in conn.execute(query):
                key = (row.source, row.external_id)
                delivered = wanted[key]
                if to_utc(row.updated_at) != delivered["updated_at"]:
                    continue
                if any(_comparable(getattr(row, name)) != _comparable(delivered[name]) for name in compared):
                    found.add(key)
    return found


def _comparable(value: Any) -> Any:
    """A column value as both sides give it (JSON lists of pairs come back as lists of lists)."""
    if isinstance(value, tuple):
        return [_comparable(item) for item in value]
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def _upsert_statement(conn: Connection, *, or_equal: bool) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE of the mirrored columns, only when the snapshot is newer (or equal).

    Built once per dialect and kind: building it (`excluded` proxies every column) cost more than
    running it for a small batch of deliveries."""
    key = (conn.dialect.name, or_equal)
    statement = _UPSERTS.get(key)
    if statement is None:
        statement = _UPSERTS[key] = _build_upsert(conn, or_equal=or_equal)
    return statement


#: Task upsert statements by (dialect, or_equal): immutable, shared by every connection and thread.
_UPSERTS: dict[tuple[str, bool], Any] = {}


def _build_upsert(conn: Connection, *, or_equal: bool) -> Any:
    stmt = dialect_insert(conn, TASKS)
    excluded = stmt.excluded
    newer = TASKS.c.updated_at <= excluded.updated_at if or_equal else TASKS.c.updated_at < excluded.updated_at
    return stmt.on_conflict_do_update(
        index_elements=[TASKS.c.source, TASKS.c.external_id],
        set_={name: excluded[name] for name in _MIRRORED},
        where=newer,
    ).returning(TASKS.c.id, TASKS.c.source, TASKS.c.external_id)


def rematch(
    conn: Connection,
    tasks: Sequence[tuple[int, TaskSnapshot]],
    rules: MatchRules,
    now: datetime,
    *,
    content_changed: bool,
) -> MirrorChange:
    """Match `tasks` (id, snapshot) again; replace changed links; mark dirty the KRs and tasks affected.

    With `content_changed`, every KR the task links (before or after) is dirty, since its state may
    count differently; otherwise only KRs it joined or left are."""
    if not tasks:
        return MirrorChange()
    ids = [task_id for task_id, _ in tasks]
    old_links = _links_of(conn, ids)
    old_unknown = _unknown_of(conn, ids)
    dirty_krs: set[str] = set()
    dirty_tasks: set[int] = set()
    relinked: list[int] = []
    new_links: list[dict[str, Any]] = []
    for task_id, snapshot in tasks:
        result = match_task(snapshot, rules)
        before, after = old_links.get(task_id, {}), {link.kr_id: link.rule for link in result.links}
        unknown = unknown_json(result.unknown)
        if before != after:
            relinked.append(task_id)
            new_links.extend({"task_id": task_id, "kr_id": kr, "rule": rule} for kr, rule in after.items())
        if set(before) != set(after) or unknown != old_unknown.get(task_id, []):
            dirty_tasks.add(task_id)
            _set_unknown(conn, task_id, unknown, old_unknown.get(task_id))
        dirty_krs |= (set(before) | set(after)) if content_changed else (set(before) ^ set(after))
    _replace_links(conn, relinked, new_links)
    mark_tasks_dirty(conn, dirty_tasks, now)
    return MirrorChange(len(tasks), frozenset(dirty_krs), frozenset(dirty_tasks))


def _links_of(conn: Connection, task_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    links: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in chunks(task_ids):
        query = select(TASK_LINKS.c.task_id, TASK_LINKS.c.kr_id, TASK_LINKS.c.rule).where(
            TASK_LINKS.c.task_id.in_(chunk)
        )
        for row in conn.execute(query):
            links[row.task_id][row.kr_id] = row.rule
    return links


def _unknown_of(conn: Connection, task_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    unknown: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunks(task_ids):
        for row in conn.execute(select(TASKS.c.id, TASKS.c.unknown_krs).where(TASKS.c.id.in_(chunk))):
            unknown[row.id] = list(row.unknown_krs or [])
    return unknown


def _set_unknown(
    conn: Connection, task_id: int, unknown: list[dict[str, Any]], old: list[dict[str, Any]] | None
) -> None:
    if unknown != (old or []):
        conn.execute(update(TASKS).where(TASKS.c.id == task_id).values(unknown_krs=unknown))


def _replace_links(conn: Connection, task_ids: Sequence[int], links: Sequence[dict[str, Any]]) -> None:
    for chunk in chunks(task_ids):
        conn.execute(delete(TASK_LINKS).where(TASK_LINKS.c.task_id.in_(chunk)))
    for link_chunk in chunks(links):
        conn.execute(insert(TASK_LINKS), list(link_chunk))


def mark_krs_dirty(conn: Connection, kr_ids: Iterable[str], now: datetime) -> None:
    """Ask the recompute step to look at these KRs (an earlier mark's time is kept; ids in lock order).

    Every row is written, even one already dirty, and its `dirty_marks` counted: a recompute that read
    the tasks before this mark must not clear it (see `syncd.runtime.recompute.dirty`). The write also takes
    the KR's row lock, which orders this transaction's task changes against a recompute of that KR on
    another replica. With a mark skipped because the KR was already dirty, a recompute that had read the
    tasks before this transaction committed would clear the mark and keep a stale figure (seen with
    three workers on PostgreSQL)."""
    ordered = sorted(set(kr_ids))
    for chunk in chunks(ordered):
        mark_key_results_dirty(conn, chunk, to_utc(now))


def mark_tasks_dirty(conn: Connection, task_ids: Iterable[int], now: datetime) -> None:
    """Ask for these tasks' push state to be rendered again (an earlier mark is kept)."""
    for chunk in chunks(sorted(set(task_ids))):
        conn.execute(
            update(TASKS).where(TASKS.c.id.in_(chunk), TASKS.c.dirty_since.is_(None)).values(dirty_since=to_utc(now))
        )


def mark_live_tasks_dirty(conn: Connection, now: datetime) -> None:
    """Ask for every live task to be matched and rendered again (an earlier mark is kept)."""
    live = TASKS.c.deleted.is_(False) & TASKS.c.dirty_since.is_(None)
    conn.execute(update(TASKS).where(live).values(dirty_since=to_utc(now)))


def claim_dirty_tasks(conn: Connection, limit: int) -> list[int]:
    """Ids of the first `limit` tasks marked dirty, in id (lock) order, locked (PostgreSQL skips those held)."""
    query = select(TASKS.c.id).where(TASKS.c.dirty_since.is_not(None)).order_by(TASKS.c.id).limit(limit)
    return list(conn.execute(skip_locked(conn, query)).scalars())


def clear_tasks_dirty(conn: Connection, task_ids: Sequence[int]) -> None:
    """These tasks' push state is rendered: clear their dirty marks."""
    for chunk in chunks(sorted(set(task_ids))):
        conn.execute(update(TASKS).where(TASKS.c.id.in_(chunk)).values(dirty_since=None))


def remove_tasks(conn: Connection, source: str, external_ids: Sequence[str], now: datetime) -> MirrorChange:
    """Mark tasks that left the tracker as deleted; their KRs lose them and their targets are dropped."""
    removed: list[int] = []
    for chunk in chunks(sorted(set(external_ids))):
        stmt = (
            update(TASKS)
            .where(TASKS.c.source == source, TASKS.c.external_id.in_(chunk), TASKS.c.deleted.is_(False))
            .values(deleted=True, seen_at=to_utc(now))
            .returning(TASKS.c.id)
        )
        removed.extend(conn.execute(stmt).scalars())
    if not removed:
        return MirrorChange()
    kr_ids = {kr for links in _links_of(conn, removed).values() for kr in links}
    _replace_links(conn, removed, [])
    mark_tasks_dirty(conn, removed, now)
    return MirrorChange(len(removed), frozenset(kr_ids), frozenset(removed))


def remove_absent(
    conn: Connection, source: str, containers: Sequence[str], present: Iterable[str], now: datetime
) -> MirrorChange:
    """After a complete listing of `containers`: mirrored tasks in them that the listing lacks are deleted."""
    mirrored = conn.execute(
        select(TASKS.c.external_id).where(
            TASKS.c.source == source, TASKS.c.container.in_(list(containers)), TASKS.c.deleted.is_(False)
        )
    ).scalars()
    absent = sorted(set(mirrored) - set(present))
    return remove_tasks(conn, source, absent, now)


def request_refresh(conn: Connection, source: str, kind: str, keys: Iterable[str], now: datetime) -> int:
    """Ask the scheduler to fetch tasks or reconcile partitions (deduped; a pending request keeps its slot).

    A request for a key already waiting only moves its `requested_at`, so a fetch in flight when it
    arrived is followed by one more."""
    due = to_utc(now + REFRESH_DEBOUNCE)
    rows = [
        {"source": source, "kind": kind, "key": key, "requested_at": to_utc(now), "attempts": 0, "next_attempt_at": due}
        for key in sorted(set(keys))
    ]
    upsert(conn, REFRESH_REQUESTS, rows, conflict=["source", "kind", "key"], update=["requested_at"])
    return len(rows)
