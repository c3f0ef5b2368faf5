"""One source's health as `syncd status` and `/readyz`'s info read it (`source_state`), logged once per change.

A failure is logged when the source starts failing and a recovery when it works again, not on every
poll in between (Home Assistant's coordinator does the same). `failing_since` says how long a source has
been down; it is reported, never a readiness failure (a tracker outage must not take the web role out).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import Connection, select

from syncd.logs import redact
from syncd.ports import Budget
from syncd.runtime.metrics import Metrics
from syncd.store.tables import SOURCE_STATE
from syncd.store.upsert import upsert
from syncd.store.utc import as_utc, to_utc

log = structlog.get_logger("syncd.runtime.source_health")


def _record(conn: Connection, source: str, values: dict[str, object]) -> None:
    """Set `values` on the source's row, creating it on the first poll (other columns keep theirs)."""
    upsert(conn, SOURCE_STATE, [{"source": source, **values}], conflict=["source"], update=list(values))


def _failing_since(conn: Connection, source: str) -> datetime | None:
    query = select(SOURCE_STATE.c.failing_since).where(SOURCE_STATE.c.source == source)
    return as_utc(conn.execute(query).scalar_one_or_none())


def record_success(conn: Connection, source: str, now: datetime, budget: Budget, metrics: Metrics) -> None:
    """The source answered: fresh as of `now`, no error; log the recovery if it was failing."""
    was_failing = _failing_since(conn, source)
    values: dict[str, object] = {
        "last_poll_at": to_utc(now),
        "last_success_at": to_utc(now),
        "last_error": None,
        "failing_since": None,
        "budget_remaining": budget.remaining,
        "budget_limit": budget.limit,
        "budget_resets_at": to_utc(budget.resets_at) if budget.resets_at else None,
    }
    _record(conn, source, values)
    if budget.remaining is not None:
        metrics.rate_limit_remaining.labels(source=source).set(budget.remaining)
    if was_failing is not None:
        log.info("poll.recovered", source=source, failing_for=str(now - was_failing))


def record_failure(conn: Connection, source: str, now: datetime, error: str) -> None:
    """The source failed: keep the error (redacted) and since when it fails; log only the first failure."""
    error = redact(error)
    was_failing = _failing_since(conn, source)
    _record(
        conn,
        source,
        {"last_poll_at": to_utc(now), "last_error": error[:2000], "failing_since": to_utc(was_failing or now)},
    )
    if was_failing is None:
        log.error("poll.failed", source=source, error=error[:500])
