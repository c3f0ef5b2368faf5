"""Handshake windows and webhook secrets in the store (the policy is `syncd.runtime.ingest.handshakes`).

A window (source, resource) holds the hash of an install's one-time nonce and, once the tracker's
handshake bearing that nonce arrived, its secret pending confirmation; a confirmed secret moves to
`webhook_secrets`, bound to the resource and the webhook's id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from syncd.core.errors import SyncdError
from syncd.ports import WebhookHandshake
from syncd.store.tables import HANDSHAKE_WINDOWS as WINDOWS
from syncd.store.tables import WEBHOOK_SECRETS as SECRETS
from syncd.store.upsert import upsert


class HandshakeUnexpected(SyncdError):
    """A handshake nobody is waiting for (no `syncd webhooks install` creating that webhook, or not its nonce)."""


def nonce_hash(nonce: str) -> str:
    """The SHA-256 hex of an install nonce: what the window keeps (the nonce itself is in no row)."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def accept_handshake(conn: Connection, source: str, handshake: WebhookHandshake, now: datetime) -> bool:
    """Keep the handshake's secret pending in the open window of (source, its resource) whose nonce it
    carries, in the caller's transaction; False (nothing kept) when no such window is open or that window
    already took its one handshake. Expired windows of every source are swept on the way."""
    conn.execute(delete(WINDOWS).where(WINDOWS.c.expires_at <= now))
    if not handshake.nonce:
        return False
    taken = conn.execute(
        update(WINDOWS)
        .where(
            WINDOWS.c.source == source,
            WINDOWS.c.resource == handshake.resource,
            WINDOWS.c.nonce_hash == nonce_hash(handshake.nonce),
            WINDOWS.c.secret.is_(None),
        )
        .values(secret=handshake.secret, received_at=now)
    )
    return taken.rowcount == 1


def store_pending_secret(engine: Engine, source: str, handshake: WebhookHandshake, now: datetime) -> None:
    """Keep a handshake's secret durably, pending the install's confirmation, before answering; only for the
    window the install opened with the nonce it carries. Raises `HandshakeUnexpected` otherwise (nothing kept)."""
    with engine.begin() as conn:
        if not accept_handshake(conn, source, handshake, now):
            raise HandshakeUnexpected(
                f"no webhook creation for {handshake.resource[:100]!r} with this install nonce is in progress; "
                "create webhooks with `syncd webhooks install`"
            )


def load_handshake_secrets(engine: Engine) -> dict[str, dict[str, str]]:
    """Every confirmed webhook handshake secret, by source and resource (blocking; call from a thread).

    Pending secrets (in `handshake_windows`, not yet confirmed by the install) are not among them."""
    with engine.connect() as conn:
        rows = conn.execute(select(SECRETS.c.source, SECRETS.c.resource, SECRETS.c.secret)).all()
    found: dict[str, dict[str, str]] = {}
    for source, resource, secret in rows:
        found.setdefault(source, {})[resource] = secret
    return found


def confirmed_webhook(engine: Engine, source: str, resource: str) -> str | None:
    """The webhook id bound to `resource`'s secret (None: no secret, or one stored before 0006)."""
    with engine.connect() as conn:
        gid = conn.execute(
            select(SECRETS.c.webhook_gid).where(SECRETS.c.source == source, SECRETS.c.resource == resource)
        ).scalar_one_or_none()
    return str(gid) if gid else None


def open_window(engine: Engine, source: str, resource: str, nonce: str, expires_at: datetime) -> None:
    """Open (or reopen, forgetting what it held) the window of (source, resource) for `nonce`."""
    row = {
        "source": source,
        "resource": resource,
        "expires_at": expires_at,
        "nonce_hash": nonce_hash(nonce),
        "secret": None,
        "received_at": None,
    }
    with engine.begin() as conn:
        upsert(conn, WINDOWS, [row], ("source", "resource"), ("expires_at", "nonce_hash", "secret", "received_at"))


def take_window(conn: Connection, source: str, resource: str) -> Any:
    """Close the window of (source, resource) in the caller's transaction; its row as it was (None: none open)."""
    key = (WINDOWS.c.source == source, WINDOWS.c.resource == resource)
    window = conn.execute(select(WINDOWS).where(*key)).first()
    conn.execute(delete(WINDOWS).where(*key))
    return window


def keep_secret(conn: Connection, source: str, resource: str, *, secret: str, webhook_gid: str, now: datetime) -> None:
    """Keep the confirmed secret of (source, resource), bound to the webhook's id."""
    row = {"source": source, "resource": resource, "secret": secret, "created_at": now, "webhook_gid": webhook_gid}
    upsert(conn, SECRETS, [row], ("source", "resource"), ("secret", "created_at", "webhook_gid"))


def drop_windows(engine: Engine, source: str, resources: Iterable[str]) -> None:
    """Close the windows of these resources of `source` without keeping anything."""
    with engine.begin() as conn:
        conn.execute(delete(WINDOWS).where(WINDOWS.c.source == source, WINDOWS.c.resource.in_(list(resources))))
