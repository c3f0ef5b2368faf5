"""A source's request trouble while it lasts: throttled or failing requests, seen by every process.

The scheduler's `failing_since` / `last_error` say whether the last *poll* failed; in-line retries hide a
429/502 storm from it (the poll succeeds on its third attempt). These columns hold what the request watch
of a daemon saw: since when requests are being refused, what the last refusal said, and how many of the
recent requests failed, so `syncd status` and `status --json` show a storm while it lasts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `source_state.trouble_since`, `trouble`, `trouble_seen_at`."""
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(sa.Column("trouble_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("trouble", sa.Text(), nullable=True))
        batch.add_column(sa.Column("trouble_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("source_state") as batch:
        batch.drop_column("trouble_seen_at")
        batch.drop_column("trouble")
        batch.drop_column("trouble_since")
