"""The store's tables (SQLAlchemy 2 declarative models); Alembic migrations mirror them exactly.

Timestamps are timezone-aware UTC. JSON columns hold small lists (labels, numbers). Rows that
workers claim carry `claimed_by`/`claimed_until` so a crashed worker's claims expire.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The tasks that count toward no KR (dropped or deleted), as SQL both the partial index `ix_tasks_uncounted` and
#: the queries it serves spell it: a planner uses a partial index only for a query naming the same predicate.
UNCOUNTED_TASKS = "state = 'dropped' OR deleted"

#: Autoincrement ids: BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints the same everywhere."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Cycle(Base):
    """A period loaded from config."""

    __tablename__ = "cycles"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    archived_at: Mapped[datetime | None]


class Objective(Base):
    """An objective loaded from config; archived (never deleted) when removed from it."""

    __tablename__ = "objectives"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.id"))
    parent_id: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    rollup: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    archived_at: Mapped[datetime | None]


class KeyResult(Base):
    """A KR loaded from config, with its last computed progress (kept when archived)."""

    __tablename__ = "key_results"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    objective_id: Mapped[str] = mapped_column(ForeignKey("objectives.id"))
    title: Mapped[str] = mapped_column(String(500))
    measure: Mapped[str] = mapped_column(String(20))
    #: The KR's full config (start, target, unit, weights...) as loaded, for the engine.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    current: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress_changed_at: Mapped[datetime | None]
    computed_at: Mapped[datetime | None]
    #: Set when a linked task changed; the recompute step claims dirty KRs, recomputes, and clears it.
    dirty_since: Mapped[datetime | None] = mapped_column(index=True)
    #: Counts the marks (every one, even on a KR already dirty): a recompute computed outside the write
    #: transaction is kept only if no mark came in between (see `syncd.runtime.recompute.dirty`).
    dirty_marks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Ids of the tasks counted at the last check-in: what the next one's `tasks_added`/`tasks_removed` compare to.
    scope_tasks: Mapped[list[Any] | None] = mapped_column(JSON)
    archived_at: Mapped[datetime | None]


class Task(Base):
    """The mirror of one tracker task (keyed by source + external id)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_tasks_source_container", "source", "container"),
        # Few rows: the linked-task counts take these away from all links instead of reading every task.
        Index(
            "ix_tasks_uncounted",
            "id",
            sqlite_where=text(UNCOUNTED_TASKS),
            postgresql_where=text(UNCOUNTED_TASKS),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(300))
    container: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(30), default="issue")
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20))
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    points: Mapped[float | None] = mapped_column(Float)
    assignee: Mapped[str | None] = mapped_column(String(200))
    numbers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    linked_krs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Labels with the KR prefix whose id names no KR: shown in status and in the task's comment.
    unknown_krs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    #: Set when the task's own links or warnings changed, so its comment is re-rendered even if no KR moved.
    dirty_since: Mapped[datetime | None] = mapped_column(index=True)


class TaskLink(Base):
    """Task -> KR, derived from labels by the matching rules (never edited by hand)."""

    __tablename__ = "task_links"
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kr_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    rule: Mapped[str] = mapped_column(String(300), default="")


class CheckInRow(Base):
    """A KR's value at a time: every progress change, and each metric check-in (API/CLI)."""

    __tablename__ = "check_ins"
    __table_args__ = (
        Index("ix_check_ins_kr_at", "kr_id", "at"),
        # A recompute reads a KR's metric check-ins without walking its whole progress history.
        Index("ix_check_ins_kr_kind_at", "kr_id", "kind", "at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kr_id: Mapped[str] = mapped_column(ForeignKey("key_results.id"))
    at: Mapped[datetime]
    #: `metric` rows are inputs (a metric's current value); `progress` rows record computed changes.
    kind: Mapped[str] = mapped_column(String(20), default="progress")
    value: Mapped[float] = mapped_column(Float)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    done: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)
    cause: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    #: Tasks that joined and left the KR since its previous check-in (None: a metric input, or written before 0007).
    tasks_added: Mapped[int | None] = mapped_column(Integer)
    tasks_removed: Mapped[int | None] = mapped_column(Integer)


class Delivery(Base):
    """The webhook inbox: one row per verified delivery, unique per source + delivery id."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id"),
        Index("ix_deliveries_pending", "status", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    #: pending -> done | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None]


class RefreshRequest(Base):
    """A debounced request to fetch one task or reconcile one partition (from compact events, label renames)."""

    __tablename__ = "refresh_requests"
    __table_args__ = (UniqueConstraint("source", "kind", "key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "fetch" | "reconcile"
    key: Mapped[str] = mapped_column(String(300))
    requested_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class BookmarkRow(Base):
    """Where polling of one partition stopped; saved in the same transaction as the rows it produced."""

    __tablename__ = "bookmarks"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    partition: Mapped[str] = mapped_column(String(300), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    polled_at: Mapped[datetime | None]
    reconciled_at: Mapped[datetime | None]


class PushTargetRow(Base):
    """Desired vs applied state of one write target (a task's comment or field, a KR's goal)."""

    __tablename__ = "push_targets"
    __table_args__ = (
        UniqueConstraint("source", "kind", "key"),
        Index("ix_push_targets_due", "source", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    desired_text: Mapped[str | None] = mapped_column(Text)
    desired_number: Mapped[float | None] = mapped_column(Float)
    desired_hash: Mapped[str] = mapped_column(String(64))
    applied_hash: Mapped[str | None] = mapped_column(String(64))
    applied_text: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    #: When the desired state last changed: coalescing waits from here, and newer changes go first.
    changed_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_permanently: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    #: Write-ahead: the hash of a tracker write started and not yet recorded, and when it started.
    #: While set, what the tracker holds is unknown and `applied_hash` is not trusted.
    inflight_hash: Mapped[str | None] = mapped_column(String(64))
    inflight_at: Mapped[datetime | None]


class Lease(Base):
    """Who does a singleton job (polling one source) until when; taken over once expired."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class SourceStateRow(Base):
    """Health of one source: freshness, last error, budget; read by `syncd status` and /readyz."""

    __tablename__ = "source_state"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None]
    budget_remaining: Mapped[int | None] = mapped_column(Integer)
    budget_limit: Mapped[int | None] = mapped_column(Integer)
    budget_resets_at: Mapped[datetime | None]
    #: Requests throttled or failing (429, 5xx, no answer) since then, in-line retries included; None: none lately.
    trouble_since: Mapped[datetime | None]
    #: What that trouble is, in one line: "rate limited (429): 12 of 40 requests in the last minute refused ...".
    trouble: Mapped[str | None] = mapped_column(Text)
    #: When a daemon last saw a troubled request (a reader can tell a stale row of a stopped daemon).
    trouble_seen_at: Mapped[datetime | None]


class WebhookSecret(Base):
    """A confirmed webhook handshake secret (Asana's X-Hook-Secret), kept deliberately to verify later deliveries.

    `secret` verifies only deliveries for `resource` (the `?resource=` of the webhook's target), and only once
    `syncd webhooks install` confirmed it against the create's answer; `webhook_gid` is that webhook (None for
    a secret stored before revision 0006, which the next install replaces)."""

    __tablename__ = "webhook_secrets"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    resource: Mapped[str] = mapped_column(String(300), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    webhook_gid: Mapped[str | None] = mapped_column(String(100))


class HandshakeWindow(Base):
    """A webhook creation in progress (`syncd webhooks install`): the only time a handshake is accepted.

    Without one, anyone could POST a handshake and plant or replace the secret that verifies a
    resource's deliveries. Only the handshake carrying the install's one-time nonce (`nonce_hash`, its
    SHA-256) is accepted; its secret waits here, pending and verifying nothing, until the install confirms
    the created webhook (it moves to `webhook_secrets`) or not (the row is deleted with it)."""

    __tablename__ = "handshake_windows"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    resource: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires_at: Mapped[datetime]
    nonce_hash: Mapped[str] = mapped_column(String(64))
    #: The handshake's secret, pending until the install confirms the webhook (None: no handshake yet).
    secret: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None]
