"""Every tracker request this process makes, counted and watched per source, so storms show while they last.

The clients tell the watch of each attempt (`syncd.ports.RequestObserver`), the in-line retries' too: a 30%
429 storm that the retries ride out never fails a poll, so `source_state.failing_since` alone would never
show it. The watch counts each request in `syncd_tracker_requests_total{source,outcome,status}`, sets
`syncd_rate_limit_remaining` from every answer that reports a budget (a 403 saying 0 included), and keeps a
source "in trouble" from its first throttled or failed request until `quiet` passes without one: logged
once when it starts (`tracker.throttled` or `tracker.failing`) and once when it ends (`tracker.recovered`).
`run` writes the trouble into `source_state` (`trouble_since`, `trouble`, `trouble_seen_at`) whenever it
changes, for `syncd status` and `status --json` in any process.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from syncd.ports import RequestObserver, RequestOutcome, RequestReason
from syncd.runtime.metrics import Metrics
from syncd.store.connection import Engine, StoreFailure
from syncd.store.errors import first_line
from syncd.store.source_state import save_troubles

log = structlog.get_logger("syncd.runtime.request_watch")

#: Without a troubled request for this long, a source's trouble is over.
QUIET = timedelta(seconds=30)
#: The window "n of m requests" counts over.
WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Trouble:
    """A source's requests being throttled or failing, as `syncd status` shows it."""

    since: datetime
    seen_at: datetime
    reason: RequestReason
    status: int | None
    failed: int
    total: int
    error: str | None

    def describe(self) -> str:
        """One line: what kind of trouble, how much of the recent traffic, the last refusal's words."""
        kind = "rate limited" if self.reason is RequestReason.RATE_LIMITED else self.reason.value.replace("_", " ")
        status = f" ({self.status})" if self.status else ""
        last = f"; last: {self.error}" if self.error else ""
        return f"{kind}{status}: {self.failed} of {self.total} requests in the last minute refused or failed{last}"


@dataclass
class _SourceWatch:
    """What the watch knows of one source (guarded by the watch's lock)."""

    recent: deque[tuple[datetime, bool]] = field(default_factory=deque)
    #: The first and the last troubled request of the trouble in course, and the last one's outcome.
    since: datetime | None = None
    seen_at: datetime | None = None
    last: RequestOutcome | None = None
    #: Whether the store's copy is behind (a trouble began, went on, or ended since the last save).
    unsaved: bool = False

    def forget_before(self, moment: datetime) -> None:
        while self.recent and self.recent[0][0] < moment:
            self.recent.popleft()

    def trouble(self, now: datetime) -> Trouble | None:
        """The trouble in course with the last minute's counts as of `now`, or None."""
        if self.since is None or self.seen_at is None or self.last is None:
            return None
        self.forget_before(now - WINDOW)
        failed = sum(1 for _at, bad in self.recent if bad)
        last = self.last
        return Trouble(self.since, self.seen_at, last.reason, last.status, failed, len(self.recent), last.error)


class RequestWatch:
    """The request outcomes of every source of one process (thread-safe: clients call from pool threads)."""

    def __init__(
        self,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        redact: Callable[[str], str] = lambda text: text,
        quiet: timedelta = QUIET,
    ) -> None:
        self.metrics = metrics
        self.clock = clock
        self.redact = redact
        self.quiet = quiet
        self._lock = threading.Lock()
        self._sources: dict[str, _SourceWatch] = {}

    def observer(self, source: str) -> RequestObserver:
        """The observer to give the clients of `source`."""
        return lambda outcome: self.observe(source, outcome)

    def observe(self, source: str, outcome: RequestOutcome) -> None:
        """Count one request of `source`; start or extend its trouble at a throttled or failed one."""
        status = str(outcome.status) if outcome.status is not None else "none"
        self.metrics.api_requests.labels(source=source, outcome=outcome.reason.value, status=status).inc()
        if outcome.budget is not None and outcome.budget.remaining is not None:
            self.metrics.rate_limit_remaining.labels(source=source).set(outcome.budget.remaining)
        now = self.clock()
        troubled = outcome.reason.is_trouble
        with self._lock:
            watch = self._sources.setdefault(source, _SourceWatch())
            watch.recent.append((now, troubled))
            watch.forget_before(now - WINDOW)
            if not troubled:
                if watch.since is not None:
                    watch.unsaved = True  # the counts moved
                    self._end_if_quiet(source, watch, now)
                return
            started = watch.since is None
            error = self.redact(outcome.error) if outcome.error else None
            watch.since = now if started else watch.since
            watch.seen_at = now
            watch.last = RequestOutcome(outcome.reason, outcome.status, outcome.budget, error)
            watch.unsaved = True
        if started:
            event = "tracker.throttled" if outcome.reason is RequestReason.RATE_LIMITED else "tracker.failing"
            log.warning(event, source=source, status=outcome.status, reason=outcome.reason.value, error=error)

    def tick(self) -> None:
        """End the trouble of every source that has been quiet long enough (called even without traffic)."""
        now = self.clock()
        with self._lock:
            for source, watch in self._sources.items():
                self._end_if_quiet(source, watch, now)

    def troubles(self) -> dict[str, Trouble]:
        """The sources in trouble now, with the last minute's counts."""
        now = self.clock()
        with self._lock:
            found = {source: watch.trouble(now) for source, watch in self._sources.items()}
        return {source: trouble for source, trouble in found.items() if trouble is not None}

    def _end_if_quiet(self, source: str, watch: _SourceWatch, now: datetime) -> None:
        """End `watch`'s trouble if its last troubled request is older than `quiet` (lock held)."""
        if watch.since is None or watch.seen_at is None or now - watch.seen_at < self.quiet:
            return
        log.info("tracker.recovered", source=source, troubled_for=str(watch.seen_at - watch.since))
        watch.since = watch.seen_at = watch.last = None
        watch.unsaved = True

    def _take_unsaved(self) -> dict[str, Trouble | None]:
        """What changed since the last save, per source (a trouble, or None for its end)."""
        now = self.clock()
        with self._lock:
            changed = {source: w.trouble(now) for source, w in self._sources.items() if w.unsaved}
            for source in changed:
                self._sources[source].unsaved = False
        return changed

    def save(self, engine: Engine) -> None:
        """Write the changed troubles into `source_state` (blocking; a failed write is tried again next time)."""
        changed = self._take_unsaved()
        if not changed:
            return
        rows = [
            {
                "source": source,
                "trouble_since": trouble.since if trouble else None,
                "trouble": trouble.describe()[:2000] if trouble else None,
                "trouble_seen_at": trouble.seen_at if trouble else None,
            }
            for source, trouble in changed.items()
        ]
        try:
            save_troubles(engine, rows)
        except StoreFailure as error:
            with self._lock:
                for source in changed:
                    self._sources[source].unsaved = True
            log.warning("request_watch.save_failed", error=first_line(error))

    async def run(self, stop: asyncio.Event, engine: Engine, *, interval: float = 1.0) -> None:
        """Until `stop`: end quiet troubles and save changes every `interval` seconds; save once more at the end."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            self.tick()
            await loop.run_in_executor(None, self.save, engine)
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                continue
        self.tick()
        await loop.run_in_executor(None, self.save, engine)
