"""Rows waiting per worker-side queue, as the `syncd_queue_depth` gauge counts them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from syncd.store.push_targets import count_due
from syncd.store.tables import DELIVERIES, KEY_RESULTS, REFRESH_REQUESTS, TASKS


def queue_depths(conn: Connection, now: datetime) -> dict[str, int]:
    """Rows waiting per queue: pending deliveries, dirty KRs and tasks, refresh requests, due writes."""
    counts = {
        "deliveries": select(func.count()).where(DELIVERIES.c.status == "pending"),
        "dirty_key_results": select(func.count()).where(KEY_RESULTS.c.dirty_since.is_not(None)),
        "dirty_tasks": select(func.count()).where(TASKS.c.dirty_since.is_not(None)),
        "refresh_requests": select(func.count()).select_from(REFRESH_REQUESTS),
    }
    depths = {name: int(conn.execute(query).scalar_one()) for name, query in counts.items()}
    return {**depths, "push_targets": count_due(conn, now)}
