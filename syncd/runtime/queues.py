"""Queue depths of the worker side (pending deliveries, dirty KRs and tasks, refreshes, due writes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from syncd.runtime.metrics import Metrics
from syncd.runtime.push_queue import wanted_condition
from syncd.store.tables import DELIVERIES, KEY_RESULTS, PUSH_TARGETS, REFRESH_REQUESTS, TASKS
from syncd.store.utc import to_utc


def queue_depths(conn: Connection, now: datetime) -> dict[str, int]:
    """Rows waiting per queue: the numbers `/metrics` and `syncd status` show."""
    counts = {
        "deliveries": select(func.count()).where(DELIVERIES.c.status == "pending"),
        "dirty_key_results": select(func.count()).where(KEY_RESULTS.c.dirty_since.is_not(None)),
        "dirty_tasks": select(func.count()).where(TASKS.c.dirty_since.is_not(None)),
        "refresh_requests": select(func.count()).select_from(REFRESH_REQUESTS),
        "push_targets": select(func.count()).where(wanted_condition(), PUSH_TARGETS.c.next_attempt_at <= to_utc(now)),
    }
    return {name: int(conn.execute(query).scalar_one()) for name, query in counts.items()}


def record_queue_depths(conn: Connection, metrics: Metrics, now: datetime) -> dict[str, int]:
    """Set the `syncd_queue_depth` gauge from the store; returns the depths."""
    depths = queue_depths(conn, now)
    for name, depth in depths.items():
        metrics.queue_depth.labels(queue=name).set(depth)
    return depths
