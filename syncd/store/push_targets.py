"""Push targets: desired state saved (coalesced), which targets are due (most active KRs first), claims, and
recorded outcomes.

A changed content hash touches a row; a byte-identical render changes nothing. A changed target waits
`push.coalesce_window` before it is due; further changes while it waits keep that moment (see `due_at`).

A target is due when its desired hash differs from the applied one (or a write of it is in flight),
it has not failed permanently, and its `next_attempt_at` has come. Due targets are claimed
(`claimed_by`/`claimed_until`) before the tracker call, outside any transaction. Just before the call
the write is recorded as in flight (`inflight_hash`, its own committed transaction: a write-ahead), and
the outcome is recorded afterwards: the hash that was written becomes `applied_hash` and the write-ahead
is cleared (if the desired state moved meanwhile, the target stays due, one coalescing window later), a
`Retriable` failure moves `next_attempt_at` by exactly the delay asked for, a `Permanent` one is kept with
its message for `syncd status`. A failure leaves the write-ahead in place: the request may have landed.
While it is there the target is unknown: due whatever the hashes say, and written with `unknown` set so
the adapter re-reads the tracker first (a crash between a write and its record is repaired this way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, tuple_, update

from syncd.core.model import TaskRef
from syncd.core.push_plan import DesiredWrite, TargetKey
from syncd.logs import redact
from syncd.ports import WriteKind
from syncd.store.chunks import chunks
from syncd.store.claims import claimable, holder_is_gone, locked, mark_claimed, skip_locked
from syncd.store.tables import LEASES, PUSH_TARGETS, TASK_LINKS, TASKS
from syncd.store.utc import as_utc, to_utc

#: How long a claim on a target lasts; a write outliving it may be retried by another replica.
CLAIM_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class PushJob:
    """One claimed target: what to write where, and the hash of that content."""

    id: int
    source: str
    kind: WriteKind
    key: str
    text: str | None
    number: float | None
    hash: str
    remote_id: str | None
    attempts: int
    #: An earlier write's outcome was never recorded: the tracker may hold anything, `remote_id` included.
    unknown: bool = False

    @property
    def task(self) -> TaskRef | None:
        """The task written to (None for per-KR targets: goals, summaries, OKR stores' metrics and events)."""
        per_kr = (WriteKind.GOAL, WriteKind.SUMMARY, WriteKind.METRIC, WriteKind.EVENT)
        return None if self.kind in per_kr else TaskRef(self.source, self.key)


def wanted_condition() -> Any:
    """SQL condition: targets whose desired content is not known to be in the tracker: not what was last
    applied, or a write is in flight (its outcome unknown). Permanent failures aside."""
    differs = PUSH_TARGETS.c.desired_hash != func.coalesce(PUSH_TARGETS.c.applied_hash, "")
    return (differs | PUSH_TARGETS.c.inflight_hash.is_not(None)) & PUSH_TARGETS.c.failed_permanently.is_(False)


def due_condition(source: str, now: datetime) -> Any:
    """SQL condition: targets of `source` whose write is due at `now`."""
    return (PUSH_TARGETS.c.source == source) & wanted_condition() & (PUSH_TARGETS.c.next_attempt_at <= to_utc(now))


def count_wanted(conn: Connection, sources: Sequence[str]) -> int:
    """Targets of these sources whose content is not known to be in the tracker (permanent failures excluded)."""
    wanted = wanted_condition() & PUSH_TARGETS.c.source.in_(list(sources))
    return int(conn.execute(select(func.count()).where(wanted)).scalar_one())


def count_wanted_by_source(conn: Connection, sources: Sequence[str]) -> dict[str, int]:
    """`count_wanted` per source (sources with nothing wanted are left out)."""
    wanted = wanted_condition() & PUSH_TARGETS.c.source.in_(list(sources))
    query = select(PUSH_TARGETS.c.source, func.count()).where(wanted).group_by(PUSH_TARGETS.c.source)
    return {str(source): int(count) for source, count in conn.execute(query)}


def count_due(conn: Connection, now: datetime) -> int:
    """Targets of every source whose write is due at `now`."""
    due = wanted_condition() & (PUSH_TARGETS.c.next_attempt_at <= to_utc(now))
    return int(conn.execute(select(func.count()).where(due)).scalar_one())


def claim_due(
    conn: Connection, source: str, holder: str, now: datetime, limit: int, *, unknown: bool = True
) -> list[PushJob]:
    """Claim up to `limit` due targets of `source`, those of the most recently active KRs first (the latest
    tracker change among a KR's tasks: a first wave that wants every comment at once spends its budget where
    people work now), then the most recently changed; those with a write in flight only if `unknown` (a request
    sent by a predecessor may still land: the pusher lets it settle first)."""
    by_kr, by_task = _kr_activity()
    active = func.coalesce(by_task.c.active_at, by_kr.c.active_at)
    query = (
        select(PUSH_TARGETS)
        .outerjoin(by_task, by_task.c.task_id == PUSH_TARGETS.c.task_id)
        .outerjoin(by_kr, (PUSH_TARGETS.c.task_id.is_(None)) & (by_kr.c.kr_id == PUSH_TARGETS.c.key))
        .where(due_condition(source, now), claimable(PUSH_TARGETS, holder, to_utc(now)))
        .order_by(active.desc().nulls_last(), PUSH_TARGETS.c.changed_at.desc(), PUSH_TARGETS.c.id)
        .limit(limit)
    )
    if not unknown:
        query = query.where(PUSH_TARGETS.c.inflight_hash.is_(None))
    rows = list(conn.execute(skip_locked(conn, query, of=PUSH_TARGETS)))
    mark_claimed(conn, PUSH_TARGETS, [row.id for row in rows], holder, to_utc(now + CLAIM_TTL))
    return [
        PushJob(
            row.id, row.source, WriteKind(row.kind), row.key, row.desired_text, row.desired_number,
            row.desired_hash, row.remote_id, row.attempts, row.inflight_hash is not None,
        )
        for row in rows
    ]  # fmt: skip


def _kr_activity() -> tuple[Any, Any]:
    """Subqueries: each KR's latest task change in the tracker (`kr_id`, `active_at`), and for each linked task
    the latest of its KRs' (`task_id`, `active_at`)."""
    by_kr = (
        select(TASK_LINKS.c.kr_id, func.max(TASKS.c.updated_at).label("active_at"))
        .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
        .group_by(TASK_LINKS.c.kr_id)
        .subquery("kr_activity")
    )
    by_task = (
        select(TASK_LINKS.c.task_id, func.max(by_kr.c.active_at).label("active_at"))
        .join(by_kr, by_kr.c.kr_id == TASK_LINKS.c.kr_id)
        .group_by(TASK_LINKS.c.task_id)
        .subquery("task_activity")
    )
    return by_kr, by_task


def next_due_at(conn: Connection, source: str, *, unknown_after: datetime | None = None) -> datetime | None:
    """When the earliest pending target of `source` becomes due (to sleep until then); a target with a write in
    flight no sooner than `unknown_after` when the caller lets such targets alone until then (see `claim_due`)."""
    pending = (PUSH_TARGETS.c.source == source) & wanted_condition()
    earliest = func.min(PUSH_TARGETS.c.next_attempt_at)
    clear = as_utc(conn.execute(select(earliest).where(pending, PUSH_TARGETS.c.inflight_hash.is_(None))).scalar())
    unknown = as_utc(conn.execute(select(earliest).where(pending, PUSH_TARGETS.c.inflight_hash.is_not(None))).scalar())
    if unknown is not None and unknown_after is not None:
        unknown = max(unknown, unknown_after)
    moments = [moment for moment in (clear, unknown) if moment is not None]
    return min(moments) if moments else None


def record_in_flight(conn: Connection, job: PushJob, holder: str, now: datetime, lease: str) -> bool:
    """Write-ahead: the write of `job.hash` starts now, and our claim runs a full `CLAIM_TTL` from here.
    False (nothing recorded) unless we still hold both the claim and the source's push lease: another
    replica may have taken over and be writing this target, so this one must not."""
    leased = (
        select(LEASES.c.name)
        .where(LEASES.c.name == lease, LEASES.c.holder == holder, LEASES.c.expires_at >= to_utc(now))
        .exists()
    )
    stmt = (
        update(PUSH_TARGETS)
        .where(PUSH_TARGETS.c.id == job.id, PUSH_TARGETS.c.claimed_by == holder, leased)
        .values(inflight_hash=job.hash, inflight_at=to_utc(now), claimed_until=to_utc(now + CLAIM_TTL))
    )
    return bool(conn.execute(stmt).rowcount)


def record_success(
    conn: Connection,
    job: PushJob,
    holder: str,
    remote_id: str | None,
    *,
    now: datetime,
    window: timedelta,
    check_at: datetime | None = None,
) -> None:
    """The content with `job.hash` is in the tracker now; stay due (a window later) if desired moved on.

    With `check_at` the target stays unknown until then and is due at that moment: this write created an
    object while an earlier create of unknown outcome might still land, so the tracker is read once more."""
    # Locked: a recompute committing a new desired state between this read and the update below would
    # otherwise be recorded as applied-and-idle (next_attempt_at NULL) and never written.
    row = conn.execute(locked(conn, select(PUSH_TARGETS).where(PUSH_TARGETS.c.id == job.id))).one_or_none()
    if row is None:  # the task was deleted while we wrote
        return
    still_due = row.desired_hash != job.hash
    pending_at = as_utc(row.next_attempt_at)
    later = max(pending_at, now + window) if pending_at is not None else now + window
    values = {
        "applied_hash": job.hash,
        "applied_text": job.text,
        "remote_id": remote_id or job.remote_id,
        "applied_at": to_utc(now),
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": to_utc(later) if still_due else None,
        "inflight_hash": None,
        "inflight_at": None,
    }
    if check_at is not None:
        moment = max(later, check_at) if still_due else check_at
        values.update(next_attempt_at=to_utc(moment), inflight_hash=job.hash, inflight_at=to_utc(now))
    conn.execute(_release(job, holder).values(**values))


def record_retry(conn: Connection, job: PushJob, holder: str, error: str, retry_at: datetime) -> None:
    """The write failed for now; try again at `retry_at` (never sooner). The write-ahead stays: a timeout
    or a lost answer says nothing about whether the request landed."""
    values = {"attempts": job.attempts + 1, "last_error": redact(error)[:2000], "next_attempt_at": to_utc(retry_at)}
    conn.execute(_release(job, holder).values(**values))


def record_permanent(conn: Connection, job: PushJob, holder: str, error: str) -> None:
    """The write cannot succeed as is: keep the message for the admin, stop trying until content changes.
    The tracker refused it, so it changed nothing: the target is unknown again only if it was before."""
    values: dict[str, Any] = {
        "attempts": job.attempts + 1,
        "last_error": redact(error)[:2000],
        "failed_permanently": True,
    }
    if not job.unknown:
        values.update(inflight_hash=None, inflight_at=None)
    conn.execute(_release(job, holder).values(**values))


def release_claims(conn: Connection, jobs: list[PushJob], holder: str) -> None:
    """Give back claimed targets that were not attempted (shutdown, or the pace ran out)."""
    for job in jobs:
        conn.execute(_release(job, holder))


def clear_stale_claims(conn: Connection, source: str, holder: str) -> int:
    """Free the claims of `source`'s targets held by processes on this host that have died."""
    holders = conn.execute(
        select(PUSH_TARGETS.c.claimed_by)
        .where(PUSH_TARGETS.c.source == source, PUSH_TARGETS.c.claimed_by.is_not(None))
        .distinct()
    ).scalars()
    gone = [name for name in holders if name != holder and holder_is_gone(name)]
    if not gone:
        return 0
    stmt = update(PUSH_TARGETS).where(PUSH_TARGETS.c.source == source, PUSH_TARGETS.c.claimed_by.in_(gone))
    return int(conn.execute(stmt.values(claimed_by=None, claimed_until=None)).rowcount)


def _release(job: PushJob, holder: str) -> Any:
    """UPDATE of the job's row that also drops our claim (only ours: a lapsed claim may be someone else's)."""
    return (
        update(PUSH_TARGETS)
        .where(PUSH_TARGETS.c.id == job.id)
        .values(
            claimed_by=None,
            claimed_until=None,
        )
        .where((PUSH_TARGETS.c.claimed_by == holder) | PUSH_TARGETS.c.claimed_by.is_(None))
    )


def load_targets(conn: Connection, keys: Sequence[TargetKey]) -> dict[TargetKey, Any]:
    """Existing push targets by (source, kind, key), locked against a concurrent pusher's update."""
    found: dict[TargetKey, Any] = {}
    for chunk in chunks(sorted(set(keys))):
        key_columns = tuple_(PUSH_TARGETS.c.source, PUSH_TARGETS.c.kind, PUSH_TARGETS.c.key)
        query = select(PUSH_TARGETS).where(key_columns.in_(list(chunk))).order_by(PUSH_TARGETS.c.id)
        for row in conn.execute(locked(conn, query)):
            found[(row.source, row.kind, row.key)] = row
    return found


def save_desired(
    conn: Connection,
    writes: Sequence[tuple[DesiredWrite, int | None]],
    existing: Mapping[TargetKey, Any],
    now: datetime,
    window: timedelta,
) -> int:
    """Insert new targets and update those whose content hash changed; return how many changed.

    New targets go in with one executemany and changed ones are updated with another (in target order), not
    one statement each: a KR's move re-renders the comment of every task linked to it."""
    changed = 0
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for write, task_id in sorted(writes, key=lambda item: item[0].target):
        row = existing.get(write.target)
        if row is not None and row.desired_hash == write.hash:
            continue
        changed += 1
        values = {
            "desired_text": write.text,
            "desired_number": write.number,
            "desired_hash": write.hash,
            "changed_at": to_utc(now),
            "next_attempt_at": to_utc(due_at(row, now, window)),
            "failed_permanently": False,
            "attempts": 0,
        }
        if row is None:
            keys = dict(zip(("source", "kind", "key"), write.target, strict=True))
            new_rows.append({**keys, "task_id": task_id, **values})
        else:
            changed_rows.append({"target_id": row.id, **values})
    if new_rows:
        conn.execute(insert(PUSH_TARGETS), new_rows)
    if changed_rows:
        by_id = update(PUSH_TARGETS).where(PUSH_TARGETS.c.id == bindparam("target_id"))
        conn.execute(by_id, changed_rows)
    return changed


def due_at(row: Any, now: datetime, window: timedelta) -> datetime:
    """When a target whose content just changed becomes due. A moment already set and not yet passed is
    kept, and so is a passed one while a write is waiting (the change joins the pending write; a
    Retry-After is kept too); otherwise the target waits the window from now."""
    scheduled = as_utc(row.next_attempt_at) if row is not None else None
    unsettled = row is not None and (row.desired_hash != row.applied_hash or row.inflight_hash is not None)
    waiting = unsettled and not row.failed_permanently
    if scheduled is not None and (scheduled > now or waiting):
        return scheduled
    result: datetime = now + window
    return result


def drop_task_targets(conn: Connection, task_ids: Sequence[int]) -> None:
    """Delete the push targets of these (deleted) tasks."""
    for chunk in chunks(task_ids):
        conn.execute(delete(PUSH_TARGETS).where(PUSH_TARGETS.c.task_id.in_(chunk)))


def task_targets(conn: Connection, source: str, key: str) -> list[Any]:
    """The comment and field targets of one task, by kind."""
    query = (
        select(PUSH_TARGETS)
        .where(PUSH_TARGETS.c.source == source, PUSH_TARGETS.c.key == key)
        .where(PUSH_TARGETS.c.kind.in_(["comment", "field"]))
        .order_by(PUSH_TARGETS.c.kind)
    )
    return list(conn.execute(query))
