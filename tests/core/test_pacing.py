"""Write pacing: sliding-window limits ("80 per minute and 500 per hour") and server holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.pacing import RateLimit, WritePacer

T0 = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def pacer_after(limits: list[RateLimit], writes: list[datetime]) -> WritePacer:
    """A pacer that has recorded `writes`."""
    pacer = WritePacer(limits)
    for moment in writes:
        pacer.record(moment)
    return pacer


class TestWritePacer:
    """When the next write may start."""

    def test_no_limits_means_now(self) -> None:
        """Without limits every write may go at once."""
        assert pacer_after([], [T0] * 100).next_allowed(T0) == T0

    def test_under_the_limit_writes_now(self) -> None:
        """Two of three allowed writes used: the third goes now."""
        assert pacer_after([RateLimit(3, MINUTE)], [T0, T0 + SECOND]).next_allowed(T0 + 2 * SECOND) == T0 + 2 * SECOND

    def test_full_window_waits_for_the_oldest_write_to_leave(self) -> None:
        """Three of three used: the next waits until the first write is a minute old."""
        pacer = pacer_after([RateLimit(3, MINUTE)], [T0, T0 + SECOND, T0 + 2 * SECOND])
        assert pacer.next_allowed(T0 + 3 * SECOND) == T0 + MINUTE

    def test_window_slides(self) -> None:
        """Once the oldest write left the window, the next goes at once."""
        pacer = pacer_after([RateLimit(2, MINUTE)], [T0, T0 + 10 * SECOND])
        assert pacer.next_allowed(T0 + 61 * SECOND) == T0 + 61 * SECOND

    def test_strictest_of_several_limits_wins(self) -> None:
        """80/min is fine but 5/hour is spent: wait for the hour window."""
        writes = [T0 + n * MINUTE for n in range(5)]
        pacer = pacer_after([RateLimit(80, MINUTE), RateLimit(5, timedelta(hours=1))], writes)
        assert pacer.next_allowed(T0 + 10 * MINUTE) == T0 + timedelta(hours=1)

    def test_following_the_pacer_never_breaks_a_limit(self) -> None:
        """Writing exactly when allowed keeps every window within its count."""
        limits = [RateLimit(3, MINUTE), RateLimit(5, 5 * MINUTE)]
        pacer = WritePacer(limits)
        moment, made = T0, []
        for _ in range(20):
            moment = pacer.next_allowed(moment)
            pacer.record(moment)
            made.append(moment)
        for limit in limits:
            for start in made:
                assert sum(start <= t < start + limit.period for t in made) <= limit.count

    def test_hold_until_delays_writes(self) -> None:
        """A server's Retry-After holds every write until then; an earlier hold does not shorten it."""
        pacer = WritePacer([RateLimit(80, MINUTE)])
        pacer.hold_until(T0 + 30 * SECOND)
        pacer.hold_until(T0 + 10 * SECOND)
        assert pacer.next_allowed(T0) == T0 + 30 * SECOND
        assert pacer.next_allowed(T0 + MINUTE) == T0 + MINUTE
