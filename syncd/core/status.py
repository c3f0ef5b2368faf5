"""Status: where a KR or objective stands against the time elapsed in its cycle (DESIGN.md).

Expected progress at `now` is the elapsed fraction of the cycle, which runs from the start date at
00:00 UTC to the day after the (inclusive) end date at 00:00 UTC. Naive datetimes are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

from syncd.core.model import CycleView, Status, Thresholds

#: Slack for float noise at the boundaries: progress exactly at `expected - tolerance` is on track.
EPSILON = 1e-9


@lru_cache(maxsize=1024)
def cycle_bounds(cycle: CycleView) -> tuple[datetime, datetime]:
    """The cycle as an instant range: start date 00:00 UTC to the day after the end date, 00:00 UTC."""
    start = datetime.combine(cycle.start, time(0), tzinfo=UTC)
    end = datetime.combine(cycle.end + timedelta(days=1), time(0), tzinfo=UTC)
    return start, end


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def expected_progress(cycle: CycleView, now: datetime) -> float:
    """The fraction of the cycle elapsed at `now`, clamped to [0, 1]."""
    start, end = cycle_bounds(cycle)
    elapsed = (as_utc(now) - start) / (end - start)
    return min(1.0, max(0.0, elapsed))


def kr_status(
    progress: float, expected: float, thresholds: Thresholds, cycle: CycleView, now: datetime, *, has_tasks: bool
) -> Status:
    """`not_started` before the cycle, `done` at 100%, `no_tasks` without tasks, else by distance behind."""
    if as_utc(now) < cycle_bounds(cycle)[0]:
        return Status.NOT_STARTED
    if progress >= 1.0 - EPSILON:
        return Status.DONE
    if not has_tasks:
        return Status.NO_TASKS
    behind = expected - progress
    if behind <= thresholds.tolerance + EPSILON:
        return Status.ON_TRACK
    if behind <= thresholds.at_risk + EPSILON:
        return Status.AT_RISK
    return Status.OFF_TRACK


STATUS_WORDS: dict[Status, str] = {
    Status.NOT_STARTED: "not started",
    Status.NO_TASKS: "no tasks",
    Status.ON_TRACK: "on track",
    Status.AT_RISK: "at risk",
    Status.OFF_TRACK: "off track",
    Status.DONE: "done",
}
