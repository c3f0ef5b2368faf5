"""Queue depths of the worker side (pending deliveries, dirty KRs and tasks, refreshes, due writes)."""

from __future__ import annotations

from datetime import datetime

from syncd.runtime.metrics import Metrics
from syncd.store.connection import Connection
from syncd.store.queue_gauges import queue_depths


def record_queue_depths(conn: Connection, metrics: Metrics, now: datetime) -> dict[str, int]:
    """Set the `syncd_queue_depth` gauge from the store; returns the depths."""
    depths = queue_depths(conn, now)
    for name, depth in depths.items():
        metrics.queue_depth.labels(queue=name).set(depth)
    return depths
