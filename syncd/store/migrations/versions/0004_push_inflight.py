"""Write-ahead of tracker writes: a push target records the write in flight before the call is made.

- `push_targets.inflight_hash` / `inflight_at`: set, in their own committed transaction, just before
  the pusher calls the tracker, and cleared when the outcome is recorded. A target that still carries
  them after a crash (or a failure whose outcome is unknown) is unknown: its `applied_hash` is not
  trusted, it is due again, and the next write re-reads the tracker before it writes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `push_targets.inflight_hash` and `push_targets.inflight_at`."""
    with op.batch_alter_table("push_targets") as batch:
        batch.add_column(sa.Column("inflight_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("inflight_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the write-ahead columns."""
    with op.batch_alter_table("push_targets") as batch:
        batch.drop_column("inflight_at")
        batch.drop_column("inflight_hash")
