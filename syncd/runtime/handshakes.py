"""Handshake windows: a webhook handshake is accepted only while we are creating that webhook.

Asana proves a new webhook by POSTing `X-Hook-Secret` to its target and later signs deliveries with
it. Anyone can POST such a header, so the daemon keeps the secret only if `syncd webhooks install`
(or the sandbox) opened a window for that source and resource in the store first; the handshake
consumes the window. Installing goes through `install_webhooks` here so no caller forgets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete

from adapters.registry import registry
from syncd.ports import SourceAdapter, WebhookAction
from syncd.store.schema import Base
from syncd.store.upsert import upsert

WINDOWS = Base.metadata.tables["handshake_windows"]
#: How long an install may take between opening the window and the tracker's handshake.
WINDOW = timedelta(minutes=10)


def open_windows(engine: Engine, source: str, resources: Iterable[str], until: datetime) -> None:
    """Expect one handshake per resource of `source` until `until`."""
    rows = [{"source": source, "resource": resource, "expires_at": until} for resource in resources]
    if rows:
        with engine.begin() as conn:
            upsert(conn, WINDOWS, rows, ("source", "resource"), ("expires_at",))


def close_windows(engine: Engine, source: str, resources: Iterable[str]) -> None:
    """Stop expecting handshakes for these resources (those not consumed)."""
    wanted = list(resources)
    if wanted:
        with engine.begin() as conn:
            conn.execute(delete(WINDOWS).where(WINDOWS.c.source == source, WINDOWS.c.resource.in_(wanted)))


def consume_window(conn: Connection, source: str, resource: str, now: datetime) -> bool:
    """Take the open window of (source, resource) in the caller's transaction; False when none is open.

    Expired windows of every source are swept on the way."""
    conn.execute(delete(WINDOWS).where(WINDOWS.c.expires_at <= now))
    taken = conn.execute(delete(WINDOWS).where(WINDOWS.c.source == source, WINDOWS.c.resource == resource))
    return taken.rowcount > 0


def handshakes(kind: str) -> bool:
    """Whether trackers of `kind` handshake with the target before creating a webhook (their descriptor says)."""
    descriptor = registry().get(kind)
    return descriptor is not None and descriptor.webhooks.handshake


def install_webhooks(
    engine: Engine | None, adapter: SourceAdapter, url: str, *, dry_run: bool, clock: Callable[[], datetime]
) -> Sequence[WebhookAction]:
    """`adapter.install_webhooks`, with a handshake window open for each of its partitions meanwhile
    when its tracker handshakes (`engine` is the daemon's store; None only for trackers that do not)."""
    if dry_run or not handshakes(adapter.kind):
        return adapter.install_webhooks(url, dry_run=dry_run)
    if engine is None:
        raise ValueError(f"{adapter.kind} webhooks handshake with the daemon: the store is needed to expect it")
    resources = list(adapter.partitions())
    open_windows(engine, adapter.name, resources, clock() + WINDOW)
    try:
        return adapter.install_webhooks(url, dry_run=False)
    finally:
        close_windows(engine, adapter.name, resources)
