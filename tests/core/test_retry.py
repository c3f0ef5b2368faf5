"""The one retry decision: honour server-named delays, back off exponentially otherwise, never retry Permanent."""

from __future__ import annotations

import pytest

from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, SignatureError
from syncd.core.retry import BACKOFF_CAP, backoff, retry_delay


class TestBackoff:
    """Exponential backoff when the server named no delay."""

    @pytest.mark.parametrize(
        ("attempt", "delay"), [(1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, 300.0), (50, 300.0), (0, 1.0), (-3, 1.0)]
    )
    def test_doubles_up_to_the_cap(self, attempt: int, delay: float) -> None:
        """1, 2, 4 ... seconds, capped at five minutes; attempts below 1 count as the first."""
        assert backoff(attempt) == delay

    def test_custom_base_and_cap(self) -> None:
        """Callers may tune base and cap."""
        assert backoff(3, base=0.5, cap=1.5) == 1.5
        assert backoff(2, base=0.5, cap=10) == 1.0


class TestRetryDelay:
    """What to wait, or None to stop."""

    def test_server_named_delay_is_honoured_exactly(self) -> None:
        """A Retry-After of 30 s waits 30 s, even on a late attempt with larger backoff."""
        assert retry_delay(RateLimited("slow down", delay=30.0, status=429), attempt=9) == 30.0

    def test_short_server_delay_is_not_lengthened(self) -> None:
        """A reset in 0.5 s is waited for as 0.5 s."""
        assert retry_delay(Retriable("503", delay=0.5, status=503), attempt=5) == 0.5

    @pytest.mark.parametrize(("attempt", "delay"), [(1, 1.0), (4, 8.0), (20, BACKOFF_CAP)])
    def test_no_named_delay_backs_off(self, attempt: int, delay: float) -> None:
        """A timeout (delay 0) waits the backoff for its attempt."""
        assert retry_delay(Retriable("timed out", delay=0.0), attempt=attempt) == delay

    def test_negative_delay_is_treated_as_none(self) -> None:
        """A reset time in the past (clock skew) means backoff, not a negative wait."""
        error = Retriable("reset passed", delay=-12.0)
        assert error.delay == 0.0
        assert retry_delay(error, attempt=2) == 2.0

    @pytest.mark.parametrize(
        "error", [Permanent("422", status=422), NotFound("gone", status=404), SignatureError("bad"), ValueError("bug")]
    )
    def test_everything_else_is_not_retried(self, error: BaseException) -> None:
        """Permanent failures and our own bugs are never retried."""
        assert retry_delay(error, attempt=1) is None
