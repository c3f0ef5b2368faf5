"""Status: expected progress from elapsed cycle time, and each status boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from syncd.core.model import CycleView, Status, Thresholds
from syncd.core.status import cycle_bounds, expected_progress, kr_status
from tests.support.core_builders import MIDWAY, QUARTER

TEN_DAYS = CycleView(id="sprint", start=date(2025, 3, 1), end=date(2025, 3, 10))
ONE_DAY = CycleView(id="day", start=date(2025, 3, 1), end=date(2025, 3, 1))


class TestExpectedProgress:
    """The elapsed fraction of the cycle, start 00:00 UTC to the day after the inclusive end."""

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (datetime(2025, 2, 20, tzinfo=UTC), 0.0),
            (datetime(2025, 3, 1, tzinfo=UTC), 0.0),
            (datetime(2025, 3, 1, 12, tzinfo=UTC), 0.05),
            (datetime(2025, 3, 2, tzinfo=UTC), 0.1),
            (datetime(2025, 3, 6, tzinfo=UTC), 0.5),
            (datetime(2025, 3, 10, tzinfo=UTC), 0.9),
            (datetime(2025, 3, 10, 23, 59, tzinfo=UTC), 1 - 1 / (10 * 24 * 60)),
            (datetime(2025, 3, 11, tzinfo=UTC), 1.0),
            (datetime(2026, 1, 1, tzinfo=UTC), 1.0),
        ],
    )
    def test_ten_day_cycle(self, now: datetime, expected: float) -> None:
        """Before start 0, after end 1, linear in between; the end date is a whole day."""
        assert expected_progress(TEN_DAYS, now) == pytest.approx(expected)

    def test_one_day_cycle_runs_the_whole_day(self) -> None:
        """A cycle starting and ending on the same date lasts 24 hours."""
        assert expected_progress(ONE_DAY, datetime(2025, 3, 1, 18, tzinfo=UTC)) == pytest.approx(0.75)

    def test_other_time_zones_are_converted_to_utc(self) -> None:
        """03:00 at UTC+3 on day 2 is 00:00 UTC: one tenth of the sprint."""
        plus_three = timezone(timedelta(hours=3))
        assert expected_progress(TEN_DAYS, datetime(2025, 3, 2, 3, tzinfo=plus_three)) == pytest.approx(0.1)

    def test_naive_time_is_read_as_utc(self) -> None:
        """A naive datetime is taken as UTC rather than failing."""
        assert expected_progress(TEN_DAYS, datetime(2025, 3, 6)) == pytest.approx(0.5)

    def test_bounds(self) -> None:
        """The quarter's bounds are its first day and the day after its last, both 00:00 UTC."""
        assert cycle_bounds(QUARTER) == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))


class TestKrStatus:
    """Status boundaries with the default thresholds (tolerance 0.10, at_risk 0.25) at expected 0.5."""

    @pytest.mark.parametrize(
        ("progress", "status"),
        [
            (1.0, Status.DONE),
            (0.9, Status.ON_TRACK),
            (0.5, Status.ON_TRACK),
            (0.4, Status.ON_TRACK),
            (0.3999, Status.AT_RISK),
            (0.25, Status.AT_RISK),
            (0.2499, Status.OFF_TRACK),
            (0.0, Status.OFF_TRACK),
        ],
    )
    def test_boundaries_at_midway(self, progress: float, status: Status) -> None:
        """Exactly at `expected - tolerance` is on track; exactly at `expected - at_risk` is at risk."""
        assert kr_status(progress, 0.5, Thresholds(), QUARTER, MIDWAY, has_tasks=True) is status

    @pytest.mark.parametrize(
        ("expected", "progress", "status"),
        [
            (0.3, 0.2, Status.ON_TRACK),
            (0.7, 0.6, Status.ON_TRACK),
            (0.35, 0.1, Status.AT_RISK),
            (0.1, 0.0, Status.ON_TRACK),
        ],
    )
    def test_float_noise_at_the_boundary_counts_as_on_the_boundary(
        self, expected: float, progress: float, status: Status
    ) -> None:
        """0.3 - 0.1 is not exactly 0.2 in floats; progress 0.2 is still on track."""
        assert kr_status(progress, expected, Thresholds(), QUARTER, MIDWAY, has_tasks=True) is status

    def test_configured_thresholds_apply(self) -> None:
        """A strict team (tolerance 0, at_risk 0.05) sees 0.45 of 0.5 as at risk and 0.4 as off track."""
        strict = Thresholds(tolerance=0.0, at_risk=0.05)
        assert kr_status(0.45, 0.5, strict, QUARTER, MIDWAY, has_tasks=True) is Status.AT_RISK
        assert kr_status(0.4, 0.5, strict, QUARTER, MIDWAY, has_tasks=True) is Status.OFF_TRACK

    def test_before_the_cycle_is_not_started_even_when_done(self) -> None:
        """Not started wins over everything before the cycle's first day."""
        before = datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
        assert kr_status(1.0, 0.0, Thresholds(), QUARTER, before, has_tasks=True) is Status.NOT_STARTED

    def test_first_instant_of_the_cycle_has_started(self) -> None:
        """At 00:00 UTC on the start date the cycle is running."""
        start = datetime(2025, 1, 1, tzinfo=UTC)
        assert kr_status(0.0, 0.0, Thresholds(), QUARTER, start, has_tasks=True) is Status.ON_TRACK

    def test_no_tasks(self) -> None:
        """A KR without tasks says so instead of off track."""
        assert kr_status(0.0, 0.9, Thresholds(), QUARTER, MIDWAY, has_tasks=False) is Status.NO_TASKS

    def test_done_after_the_cycle(self) -> None:
        """A finished KR stays done after its cycle ended; an unfinished one is judged at expected 1."""
        after = datetime(2025, 5, 1, tzinfo=UTC)
        assert kr_status(1.0, 1.0, Thresholds(), QUARTER, after, has_tasks=True) is Status.DONE
        assert kr_status(0.8, 1.0, Thresholds(), QUARTER, after, has_tasks=True) is Status.AT_RISK
