"""Prometheus metrics of one daemon process, in their own registry (nothing global, nothing on import)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    """Every metric `/metrics` exposes; built once per process and passed to whoever records."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.deliveries = Counter(
            "syncd_webhook_deliveries", "Webhook deliveries by source and outcome.", ["source", "outcome"], registry=r
        )
        self.ack_latency = Histogram(
            "syncd_webhook_ack_seconds",
            "Time to answer a webhook delivery.",
            ["source"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("syncd_queue_depth", "Rows waiting, by queue.", ["queue"], registry=r)
        self.poll_duration = Histogram(
            "syncd_poll_seconds", "Duration of one poll of one partition.", ["source", "mode"], registry=r
        )
        self.api_requests = Counter(
            "syncd_tracker_requests",
            "Requests made to trackers (every attempt, in-line retries too), by source, outcome and HTTP status.",
            ["source", "outcome", "status"],
            registry=r,
        )
        self.rate_limit_remaining = Gauge(
            "syncd_rate_limit_remaining", "Tracker rate-limit budget left as last seen.", ["source"], registry=r
        )
        self.push_writes = Counter(
            "syncd_push_writes",
            "Writes to trackers by source, kind and outcome.",
            ["source", "kind", "outcome"],
            registry=r,
        )
        self.recompute_seconds = Histogram(
            "syncd_kr_recompute_seconds", "Time to recompute the KRs affected by one change.", registry=r
        )
        self.deliveries_applied = Counter(
            "syncd_deliveries_applied", "Stored deliveries applied by the worker, by outcome.", ["outcome"], registry=r
        )

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
