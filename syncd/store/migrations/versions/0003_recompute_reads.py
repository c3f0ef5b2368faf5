"""What a recompute reads: check-ins indexed by KR and kind, and a count of each KR's dirty marks.

- `ix_check_ins_kr_kind_at`: every recompute loads the metric check-ins of its KRs. With only
  `(kr_id, at)` indexed, that walked every progress check-in the KR ever recorded (one per change:
  tens of thousands over a year) to find the few metric ones.
- `key_results.dirty_marks`: bumped by every mark. On SQLite a recompute computes progress before it
  takes the file's write lock and keeps the result only if the count did not move meanwhile, so
  webhook ingest no longer waits while a KR's tasks are read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `ix_check_ins_kr_kind_at`; add `key_results.dirty_marks`."""
    op.create_index("ix_check_ins_kr_kind_at", "check_ins", ["kr_id", "kind", "at"])
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(sa.Column("dirty_marks", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    """Drop `key_results.dirty_marks` and `ix_check_ins_kr_kind_at`."""
    with op.batch_alter_table("key_results") as batch:
        batch.drop_column("dirty_marks")
    op.drop_index("ix_check_ins_kr_kind_at", table_name="check_ins")
