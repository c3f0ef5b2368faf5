"""Index check-ins by KR and kind: a recompute reads a KR's metric check-ins without walking its history.

Every recompute loads the metric check-ins of its KRs. With only `(kr_id, at)` indexed, that walked
every progress check-in the KR ever recorded (one per change: tens of thousands over a year) to find
the few metric ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `ix_check_ins_kr_kind_at`."""
    op.create_index("ix_check_ins_kr_kind_at", "check_ins", ["kr_id", "kind", "at"])


def downgrade() -> None:
    """Drop `ix_check_ins_kr_kind_at`."""
    op.drop_index("ix_check_ins_kr_kind_at", table_name="check_ins")
