"""In-line retries of one tracker call: short waits are slept through here, longer ones raised for the runtime.

Clients map every failure to `Retriable(delay)` or `Permanent` first (DESIGN.md principle 5). This is
the tenacity loop around one call: it retries a `Retriable` failure when repeating the call cannot
duplicate a write and the wait (a server-named delay exactly, else exponential backoff, as in
`syncd.core.retry`) is short; otherwise the failure is re-raised as it came.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from syncd.core.errors import RateLimited, Retriable
from syncd.core.retry import BACKOFF_BASE, INLINE_WAIT_LIMIT, backoff, retry_delay

T = TypeVar("T")
#: Called before each in-line wait with the attempt that failed (1-based) and its failure.
OnRetry = Callable[[int, BaseException | None], None]


@dataclass(frozen=True, slots=True)
class InlineRetry:
    """One client's in-line retry policy: attempts per call, how it sleeps, and which waits are short."""

    attempts: int
    sleep: Callable[[float], None] = time.sleep
    #: The backoff's first wait when the server names none (tests shorten it).
    backoff_base: float = BACKOFF_BASE
    wait_limit: float = INLINE_WAIT_LIMIT
    #: Whether a rate-limited non-idempotent call is retried too (the tracker says it did nothing).
    retry_rate_limited_writes: bool = False

    def wait(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait after the `attempt`-th failure, or None when `error` is not retriable."""
        if isinstance(error, Retriable) and error.delay <= 0:
            return backoff(attempt, base=self.backoff_base)
        return retry_delay(error, attempt)

    def call(self, once: Callable[[], T], *, idempotent: bool, on_retry: OnRetry | None = None) -> T:
        """Run `once`, trying again after short waits while that is safe; the last failure is re-raised."""

        def worth_retrying(state: tenacity.RetryCallState) -> bool:
            error = _failure(state)
            if error is None:
                return False
            repeatable = idempotent or (self.retry_rate_limited_writes and isinstance(error, RateLimited))
            delay = self.wait(error, state.attempt_number)
            return repeatable and delay is not None and delay <= self.wait_limit

        def waited(state: tenacity.RetryCallState) -> float:
            error = _failure(state)
            return (self.wait(error, state.attempt_number) if error is not None else None) or 0.0

        retrying = tenacity.Retrying(
            retry=worth_retrying,
            wait=waited,
            stop=tenacity.stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=None if on_retry is None else lambda state: on_retry(state.attempt_number, _failure(state)),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return once()
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None
