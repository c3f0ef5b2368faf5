"""Handshake windows: webhook handshakes are accepted only while `syncd webhooks install` expects them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `handshake_windows`."""
    op.create_table(
        "handshake_windows",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("resource", sa.String(300), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "resource", name=op.f("pk_handshake_windows")),
    )


def downgrade() -> None:
    """Drop `handshake_windows`."""
    op.drop_table("handshake_windows")
