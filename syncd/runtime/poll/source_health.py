"""One source's health as `syncd status` and `/readyz`'s info read it (`source_state`), logged once per change.

A failure is logged when the source starts failing and a recovery when it works again, not on every
poll in between (Home Assistant's coordinator does the same). `failing_since` says how long a source has
been down; it is reported, never a readiness failure (a tracker outage must not take the web role out).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from syncd.logs import redact
from syncd.ports import Budget
from syncd.runtime.metrics import Metrics
from syncd.store.connection import Connection
from syncd.store.source_state import failing_since, save_poll_outcome

log = structlog.get_logger("syncd.runtime.source_health")


def record_success(conn: Connection, source: str, now: datetime, budget: Budget, metrics: Metrics) -> None:
    """The source answered: fresh as of `now`, no error; log the recovery if it was failing."""
    was_failing = failing_since(conn, source)
    values: dict[str, object] = {
        "last_poll_at": now,
        "last_success_at": now,
        "last_error": None,
        "failing_since": None,
        "budget_remaining": budget.remaining,
        "budget_limit": budget.limit,
        "budget_resets_at": budget.resets_at,
    }
    save_poll_outcome(conn, source, values)
    if budget.remaining is not None:
        metrics.rate_limit_remaining.labels(source=source).set(budget.remaining)
    if was_failing is not None:
        log.info("poll.recovered", source=source, failing_for=str(now - was_failing))


def record_failure(conn: Connection, source: str, now: datetime, error: str) -> None:
    """The source failed: keep the error (redacted) and since when it fails; log only the first failure."""
    error = redact(error)
    was_failing = failing_since(conn, source)
    save_poll_outcome(
        conn,
        source,
        {"last_poll_at": now, "last_error": error[:2000], "failing_since": was_failing or now},
    )
    if was_failing is None:
        log.error("poll.failed", source=source, error=error[:500])
