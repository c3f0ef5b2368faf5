"""The operational half of status: tasks naming unknown KRs, source health, queue depths, failing targets.

Each function reads with the caller's connection and returns frozen rows; `syncd.store.status_query`
assembles them with the OKR half. Times come back in UTC (SQLite stores them without a zone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Text, cast, func, or_, select

from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.config.source import SourceConfig
from syncd.logs import redact
from syncd.store.tables import DELIVERIES, PUSH_TARGETS, REFRESH_REQUESTS, SOURCE_STATE, TASKS
from syncd.store.utc import as_utc, to_utc

#: Status lists at most this many warnings and failing targets (the counts say how many there are).
LIST_LIMIT = 100


@dataclass(frozen=True)
class UnknownLabel:
    """A label naming a KR id the config does not have, with close ids to suggest."""

    label: str
    kr_id: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class UnknownKrTask:
    """A task whose labels name KR ids the config does not know (a typo or a removed KR)."""

    source: str
    external_id: str
    url: str
    title: str
    unknown: tuple[UnknownLabel, ...]


@dataclass(frozen=True)
class SourceStatus:
    """One configured source's health: freshness of the last successful poll, last error, budget left.

    A source never polled yet has no health recorded: every value after `enabled` is None."""

    name: str
    kind: str
    enabled: bool
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    age_seconds: float | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    budget_remaining: int | None = None
    budget_limit: int | None = None
    budget_resets_at: datetime | None = None
    #: Requests being throttled or failing now (in-line retries included), and since when; None when not.
    trouble: str | None = None
    trouble_since: datetime | None = None
    #: Writes waiting (out of date, or of unknown outcome), how many were made in the last `PACE_WINDOW`, and how
    #: long the queue takes at that pace (None: nothing queued, or no write lately to measure a pace by).
    queued_writes: int = 0
    recent_writes: int = 0
    queue_eta_seconds: float | None = None


#: The window the current write pace is measured over.
PACE_WINDOW = timedelta(minutes=5)
#: A trouble not seen again for this long is a stopped daemon's last word, not news.
TROUBLE_SHOWN_FOR = timedelta(minutes=5)


@dataclass(frozen=True)
class QueueDepths:
    """Work waiting in the store."""

    pending_deliveries: int
    failed_deliveries: int
    refresh_requests: int
    due_push_targets: int
    waiting_push_targets: int


@dataclass(frozen=True)
class FailingTarget:
    """A push target whose last write failed (still retrying, or given up on)."""

    source: str
    kind: str
    key: str
    last_error: str
    attempts: int
    failed_permanently: bool
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class KrTarget:
    """A per-KR push target: a tracker's goal (Asana) or an OKR store's metric or event. `value` is what it
    should hold (a number, or the event's type); `state` is `written`, `waiting` or `failed`."""

    destination: str
    kind: str
    key: str
    value: str
    state: str
    applied_at: datetime | None
    last_error: str | None


#: The push target kinds written per KR rather than per task.
KR_TARGET_KINDS = ("goal", "metric", "event")


def kr_targets(conn: Connection, secrets: Iterable[str] = (), kr_id: str | None = None) -> tuple[KrTarget, ...]:
    """Every goal and OKR store target (of one KR and its objective's when `kr_id` is given), by destination,
    kind and key (errors redacted, `secrets` too)."""
    secrets = list(secrets)
    query = select(PUSH_TARGETS).where(PUSH_TARGETS.c.kind.in_(KR_TARGET_KINDS))
    if kr_id is not None:
        query = query.where(or_(PUSH_TARGETS.c.key == kr_id, PUSH_TARGETS.c.key.like(f"%:{kr_id}")))
    query = query.order_by(PUSH_TARGETS.c.source, PUSH_TARGETS.c.kind, PUSH_TARGETS.c.key).limit(LIST_LIMIT * 5)
    return tuple(_kr_target(row, secrets) for row in conn.execute(query))


def _kr_target(row: Any, secrets: list[str]) -> KrTarget:
    value = f"{row.desired_number:g}" if row.desired_number is not None else row.key.partition(":")[0]
    if row.failed_permanently:
        state = "failed"
    elif row.applied_hash == row.desired_hash and row.inflight_hash is None:
        state = "written"
    else:
        state = "waiting"
    return KrTarget(row.source, row.kind, row.key, value, state, as_utc(row.applied_at),
                    _redacted(row.last_error, secrets))  # fmt: skip


def unknown_kr_tasks(conn: Connection) -> tuple[UnknownKrTask, ...]:
    """Live tasks with labels naming unknown KRs, by source and id."""
    query = (
        select(TASKS.c.source, TASKS.c.external_id, TASKS.c.url, TASKS.c.title, TASKS.c.unknown_krs)
        .where(TASKS.c.deleted.is_(False), cast(TASKS.c.unknown_krs, Text) != "[]")
        .order_by(TASKS.c.source, TASKS.c.external_id)
        .limit(LIST_LIMIT)
    )
    return tuple(
        UnknownKrTask(row.source, row.external_id, row.url, row.title, tuple(map(_unknown_label, row.unknown_krs)))
        for row in conn.execute(query)
        if row.unknown_krs
    )


def _unknown_label(item: Any) -> UnknownLabel:
    """One entry of `tasks.unknown_krs` ({label, kr_id, suggestions}; a bare id is tolerated)."""
    if isinstance(item, dict):
        kr_id = str(item.get("kr_id", ""))
        return UnknownLabel(str(item.get("label", kr_id)), kr_id, tuple(map(str, item.get("suggestions", ()))))
    return UnknownLabel(str(item), str(item), ())


def source_statuses(conn: Connection, config: SyncdConfig, now: datetime) -> tuple[SourceStatus, ...]:
    """Every configured source, in config order, with what the store knows of its health (errors redacted) and
    its write queue."""
    states = {row.source: row for row in conn.execute(select(SOURCE_STATE))}
    secrets = config_secrets(config)
    backlog = _write_backlog(conn, now)
    return tuple(
        replace(_source_status(source, states.get(source.name), now, secrets), **backlog.get(source.name, {}))
        for source in config.sources
    )


def _write_backlog(conn: Connection, now: datetime) -> dict[str, dict[str, Any]]:
    """Per source: queued writes, writes made in the last PACE_WINDOW, and the queue's time at that pace."""
    recent = PUSH_TARGETS.c.applied_at >= to_utc(now - PACE_WINDOW)
    query = select(
        PUSH_TARGETS.c.source,
        func.count().filter(_out_of_date()).label("queued"),
        func.count().filter(recent).label("recent"),
    ).group_by(PUSH_TARGETS.c.source)
    backlog: dict[str, dict[str, Any]] = {}
    for row in conn.execute(query):
        per_second = row.recent / PACE_WINDOW.total_seconds()
        eta = row.queued / per_second if row.queued and per_second else None
        backlog[row.source] = {"queued_writes": row.queued, "recent_writes": row.recent, "queue_eta_seconds": eta}
    return backlog


def _out_of_date() -> Any:
    """Push targets whose tracker text is not known to be right: out of date, or a write of unknown outcome."""
    return PUSH_TARGETS.c.failed_permanently.is_(False) & or_(
        PUSH_TARGETS.c.applied_hash.is_(None),
        PUSH_TARGETS.c.applied_hash != PUSH_TARGETS.c.desired_hash,
        PUSH_TARGETS.c.inflight_hash.is_not(None),  # a write of unknown outcome: it is made again
    )


def _source_status(source: SourceConfig, state: Row[Any] | None, now: datetime, secrets: list[str]) -> SourceStatus:
    """One source with its `source_state` row, if it has one yet."""
    if state is None:
        return SourceStatus(source.name, source.kind, source.enabled)
    success = as_utc(state.last_success_at)
    seen = as_utc(state.trouble_seen_at)
    current = state.trouble is not None and seen is not None and now - seen < TROUBLE_SHOWN_FOR
    return SourceStatus(
        name=source.name,
        kind=source.kind,
        enabled=source.enabled,
        last_poll_at=as_utc(state.last_poll_at),
        last_success_at=success,
        age_seconds=None if success is None else max(0.0, (now - success).total_seconds()),
        last_error=_redacted(state.last_error, secrets),
        failing_since=as_utc(state.failing_since),
        budget_remaining=state.budget_remaining,
        budget_limit=state.budget_limit,
        budget_resets_at=as_utc(state.budget_resets_at),
        trouble=_redacted(state.trouble, secrets) if current else None,
        trouble_since=as_utc(state.trouble_since) if current else None,
    )


def queue_depths(conn: Connection, now: datetime) -> QueueDepths:
    """How much work waits: deliveries, refresh requests, push targets out of date or of unknown state after an
    interrupted write (due now or later)."""
    stale = _out_of_date()
    due = or_(PUSH_TARGETS.c.next_attempt_at.is_(None), PUSH_TARGETS.c.next_attempt_at <= to_utc(now))
    counts = select(
        _count(DELIVERIES, DELIVERIES.c.status == "pending"),
        _count(DELIVERIES, DELIVERIES.c.status == "failed"),
        _count(REFRESH_REQUESTS, None),
        _count(PUSH_TARGETS, stale & due),
        _count(PUSH_TARGETS, stale & ~due),
    )
    return QueueDepths(*conn.execute(counts).one())


def _count(table: Any, condition: Any) -> Any:
    """A scalar subquery counting `table`'s rows that meet `condition` (all rows when None)."""
    query = select(func.count()).select_from(table)
    return (query if condition is None else query.where(condition)).scalar_subquery()


def failing_targets(conn: Connection, secrets: Iterable[str] = ()) -> tuple[FailingTarget, ...]:
    """Push targets with a recorded error (redacted, `secrets` too), most recently changed first."""
    secrets = list(secrets)
    query = (
        select(PUSH_TARGETS)
        .where(PUSH_TARGETS.c.last_error.is_not(None))
        .order_by(PUSH_TARGETS.c.changed_at.desc(), PUSH_TARGETS.c.id)
        .limit(LIST_LIMIT)
    )
    return tuple(
        FailingTarget(
            source=row.source,
            kind=row.kind,
            key=row.key,
            last_error=redact(row.last_error, secrets),
            attempts=row.attempts,
            failed_permanently=row.failed_permanently,
            next_attempt_at=as_utc(row.next_attempt_at),
        )
        for row in conn.execute(query)
    )


def _redacted(text: str | None, secrets: list[str]) -> str | None:
    """Stored error text as shown: redacted again (rows written before redaction, or a secret added since)."""
    return None if text is None else redact(text, secrets)
