"""Scope changes on check-ins: how many tasks joined and left a KR since its previous check-in.

- `check_ins.tasks_added`, `check_ins.tasks_removed`: counted by the recompute that writes the check-in
  (a task "leaves" when it is unlinked, deleted or dropped). NULL on rows written before this revision and
  on metric inputs.
- `key_results.scope_tasks`: the ids of the tasks counted at the KR's last check-in (JSON list), the basis
  the next check-in's counts are taken against. NULL until the first check-in after the upgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the three columns (all nullable: existing rows keep no counts)."""
    with op.batch_alter_table("check_ins") as batch:
        batch.add_column(sa.Column("tasks_added", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("tasks_removed", sa.Integer(), nullable=True))
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(sa.Column("scope_tasks", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("key_results") as batch:
        batch.drop_column("scope_tasks")
    with op.batch_alter_table("check_ins") as batch:
        batch.drop_column("tasks_removed")
        batch.drop_column("tasks_added")
