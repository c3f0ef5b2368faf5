"""The one retry decision (DESIGN.md principle 5): how long to wait before trying a failed call again.

Clients map failures to `Retriable(delay)` or `Permanent`; callers (tenacity in the clients for short
waits, the runtime's reschedule for long ones) ask `retry_delay` and never invent their own policy.
"""

from __future__ import annotations

from syncd.core.errors import Retriable

#: Longest wait a client sleeps through in-line; longer ones are raised for the runtime to reschedule.
INLINE_WAIT_LIMIT = 5.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0


def backoff(attempt: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Exponential backoff for the `attempt`-th retry (1-based) when the server named no delay."""
    return min(cap, base * 2.0 ** max(0, attempt - 1))


def retry_delay(error: BaseException, attempt: int) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the failure must not be retried.

    A server-named delay (Retry-After, rate-limit reset) is honoured exactly, never shortened."""
    if not isinstance(error, Retriable):
        return None
    return error.delay if error.delay > 0 else backoff(attempt)
