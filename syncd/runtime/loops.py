"""Pieces every worker-side loop shares: resting until woken or stopped, and failures that never stop it.

A unit of work that fails is retried with backoff: a store outage is logged once and its recovery
once; any other error (a bug, a broken row) is logged with its traceback, so the daemon keeps serving
everything else instead of exiting.
"""

from __future__ import annotations

import asyncio

import structlog

from syncd.store.connection import StoreFailure
from syncd.store.errors import first_line

log = structlog.get_logger("syncd.runtime.loop")

#: Longest rest between retries while the store is unreachable.
OUTAGE_BACKOFF_CAP = 5.0


async def rest(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Return after `seconds`, or at once when `stop` (or `wake`, which is then cleared) is set."""
    if seconds <= 0 or stop.is_set():
        return
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    if wake is not None:
        wake.clear()


class Outage:
    """Tracks one component's failing units of work: how long to back off, and what to log."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.failures = 0

    def failed(self, error: BaseException) -> float:
        """Note a failed unit of work; returns how long to rest before the next try."""
        self.failures += 1
        if not isinstance(error, StoreFailure):
            log.error("worker_side.unit_failed", component=self.component, error=f"{type(error).__name__}: {error}",
                      exc_info=error if self.failures == 1 else None)  # fmt: skip
        elif self.failures == 1:
            log.error("store.unavailable", component=self.component, error=first_line(error))
        return min(OUTAGE_BACKOFF_CAP, 0.25 * 2.0 ** min(self.failures - 1, 10))

    def succeeded(self) -> None:
        """Note a successful unit of work (logs the recovery after an outage)."""
        if self.failures:
            log.info("store.recovered", component=self.component, failed_attempts=self.failures)
        self.failures = 0
