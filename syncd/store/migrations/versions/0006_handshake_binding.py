"""Asana handshakes bound to the install: a one-time nonce per window, pending secrets, secrets bound to a webhook.

A handshake is accepted only with the nonce `syncd webhooks install` put in the target it registered
(`handshake_windows.nonce_hash`); its secret waits in the window (`handshake_windows.secret`) until the
install confirms the created webhook, then moves to `webhook_secrets` with that webhook's id
(`webhook_secrets.webhook_gid`). Open windows belong to installs running during the upgrade; they are
dropped (such an install fails and is run again). Secrets stored before keep verifying their resource's
deliveries, with no webhook id, until the next install replaces them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `handshake_windows.nonce_hash`, `secret`, `received_at` and `webhook_secrets.webhook_gid`."""
    op.execute("DELETE FROM handshake_windows")
    with op.batch_alter_table("handshake_windows", recreate="always") as batch:
        batch.add_column(sa.Column("nonce_hash", sa.String(64), nullable=False))
        batch.add_column(sa.Column("secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("webhook_secrets") as batch:
        batch.add_column(sa.Column("webhook_gid", sa.String(100), nullable=True))


def downgrade() -> None:
    """Drop the four columns (and any window in progress)."""
    with op.batch_alter_table("webhook_secrets") as batch:
        batch.drop_column("webhook_gid")
    op.execute("DELETE FROM handshake_windows")
    with op.batch_alter_table("handshake_windows", recreate="always") as batch:
        batch.drop_column("received_at")
        batch.drop_column("secret")
        batch.drop_column("nonce_hash")
