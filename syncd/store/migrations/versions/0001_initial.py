"""The first tables: OKRs from config, the task mirror, the inbox, bookmarks, push state, leases.

Hand-checked against syncd/store/schema.py; tests/store/test_migrations.py proves there is no
difference on SQLite and PostgreSQL (alembic.autogenerate.compare_metadata).

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Autoincrement ids: BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite, as in schema.Id.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the store."""
    _okr_tables()
    _mirror_tables()
    _inbox_and_polling_tables()
    _push_and_coordination_tables()


def _okr_tables() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("archived_at", Utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
    )
    op.create_table(
        "objectives",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("cycle_id", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.String(100), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("rollup", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("archived_at", Utc, nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name=op.f("fk_objectives_cycle_id_cycles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    op.create_table(
        "key_results",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("objective_id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("current", sa.Float(), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress_changed_at", Utc, nullable=True),
        sa.Column("computed_at", Utc, nullable=True),
        sa.Column("dirty_since", Utc, nullable=True),
        sa.Column("archived_at", Utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objectives.id"], name=op.f("fk_key_results_objective_id_objectives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_results")),
    )
    op.create_index(op.f("ix_key_results_dirty_since"), "key_results", ["dirty_since"])


def _mirror_tables() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(300), nullable=False),
        sa.Column("container", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("linked_krs", sa.JSON(), nullable=False),
        sa.Column("unknown_krs", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", Utc, nullable=False),
        sa.Column("seen_at", Utc, nullable=False),
        sa.Column("dirty_since", Utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_tasks_source")),
    )
    op.create_index(op.f("ix_tasks_dirty_since"), "tasks", ["dirty_since"])
    op.create_index("ix_tasks_source_container", "tasks", ["source", "container"])
    op.create_table(
        "task_links",
        sa.Column("task_id", Id, nullable=False),
        sa.Column("kr_id", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_links_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "kr_id", name=op.f("pk_task_links")),
    )
    op.create_index(op.f("ix_task_links_kr_id"), "task_links", ["kr_id"])
    op.create_table(
        "check_ins",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kr_id", sa.String(100), nullable=False),
        sa.Column("at", Utc, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("done", sa.Float(), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("cause", sa.String(300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["kr_id"], ["key_results.id"], name=op.f("fk_check_ins_kr_id_key_results")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    op.create_index("ix_check_ins_kr_at", "check_ins", ["kr_id", "at"])


def _inbox_and_polling_tables() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", Utc, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Utc, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("applied_at", Utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("source", "delivery_id", name=op.f("uq_deliveries_source")),
    )
    op.create_index("ix_deliveries_pending", "deliveries", ["status", "id"])
    op.create_table(
        "refresh_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("requested_at", Utc, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Utc, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_requests")),
        sa.UniqueConstraint("source", "kind", "key", name=op.f("uq_refresh_requests_source")),
    )
    op.create_table(
        "bookmarks",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("partition", sa.String(300), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("polled_at", Utc, nullable=True),
        sa.Column("reconciled_at", Utc, nullable=True),
        sa.PrimaryKeyConstraint("source", "partition", name=op.f("pk_bookmarks")),
    )
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("last_poll_at", Utc, nullable=True),
        sa.Column("last_success_at", Utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failing_since", Utc, nullable=True),
        sa.Column("budget_remaining", sa.Integer(), nullable=True),
        sa.Column("budget_limit", sa.Integer(), nullable=True),
        sa.Column("budget_resets_at", Utc, nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_state")),
    )
    op.create_table(
        "webhook_secrets",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("resource", sa.String(300), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("source", "resource", name=op.f("pk_webhook_secrets")),
    )


def _push_and_coordination_tables() -> None:
    op.create_table(
        "push_targets",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("task_id", Id, nullable=True),
        sa.Column("desired_text", sa.Text(), nullable=True),
        sa.Column("desired_number", sa.Float(), nullable=True),
        sa.Column("desired_hash", sa.String(64), nullable=False),
        sa.Column("applied_hash", sa.String(64), nullable=True),
        sa.Column("applied_text", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.String(200), nullable=True),
        sa.Column("changed_at", Utc, nullable=False),
        sa.Column("applied_at", Utc, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed_permanently", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_push_targets_task_id_tasks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_targets")),
        sa.UniqueConstraint("source", "kind", "key", name=op.f("uq_push_targets_source")),
    )
    op.create_index("ix_push_targets_due", "push_targets", ["source", "next_attempt_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in (
        "leases",
        "push_targets",
        "webhook_secrets",
        "source_state",
        "bookmarks",
        "refresh_requests",
        "deliveries",
        "check_ins",
        "task_links",
        "tasks",
        "key_results",
        "objectives",
        "cycles",
    ):
        op.drop_table(table)
