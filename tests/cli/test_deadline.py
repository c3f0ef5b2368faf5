"""`run_within`: a blocking call's result or error, or `DeadlinePassed` once its deadline is over."""

from __future__ import annotations

import threading
import time

import pytest

from syncd.cli.deadline import DeadlinePassed, run_all_within, run_within


class TestRunWithin:
    """The caller waits at most the deadline, and sees the call's own outcome when it comes in time."""

    def test_a_quick_call_returns_its_result(self) -> None:
        assert run_within(5.0, lambda: 42) == 42

    def test_the_calls_error_is_raised_in_the_caller(self) -> None:
        def refuse() -> int:
            raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            run_within(5.0, refuse)

    def test_a_hanging_call_is_abandoned_at_the_deadline(self) -> None:
        release = threading.Event()
        started = time.monotonic()
        with pytest.raises(DeadlinePassed, match=r"no answer within 0\.2s"):
            run_within(0.2, release.wait)
        assert time.monotonic() - started < 2
        release.set()


class TestRunAllWithin:
    """Calls run at once under one shared deadline; each gives its own outcome, or DeadlinePassed."""

    def test_outcomes_come_back_in_order_with_errors_and_deadlines(self) -> None:
        release = threading.Event()

        def refuse() -> int:
            raise ValueError("refused")

        started = time.monotonic()
        first, second, third = run_all_within(0.3, [lambda: 1, refuse, lambda: int(release.wait())])
        release.set()
        assert time.monotonic() - started < 2
        assert first == 1
        assert isinstance(second, ValueError)
        assert isinstance(third, DeadlinePassed)

    def test_the_deadline_is_shared_not_per_call(self) -> None:
        release = threading.Event()
        started = time.monotonic()
        outcomes = run_all_within(0.3, [release.wait for _ in range(5)])
        release.set()
        assert time.monotonic() - started < 1.0
        assert all(isinstance(outcome, DeadlinePassed) for outcome in outcomes)
