"""The uncounted tasks indexed: a partial index on `tasks.id` of the dropped or deleted tasks.

- `ix_tasks_uncounted`: the overview's linked-task counts are all links per KR (read from `ix_task_links_kr_id`
  alone) less the links of these few tasks, instead of a join reading every task. Partial on both SQLite and
  PostgreSQL, with the predicate spelled as the queries spell it (`syncd.store.schema.UNCOUNTED_TASKS`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Frozen here (a migration never follows later code): the predicate as of this revision.
UNCOUNTED = "state = 'dropped' OR deleted"


def upgrade() -> None:
    """Create the partial index."""
    op.create_index(
        "ix_tasks_uncounted",
        "tasks",
        ["id"],
        sqlite_where=sa.text(UNCOUNTED),
        postgresql_where=sa.text(UNCOUNTED),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_tasks_uncounted", table_name="tasks")
