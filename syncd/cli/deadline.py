"""Bounded waits for blocking tracker calls in one-shot commands (`explain`, `check --online`).

The SDKs retry on their own and cannot be cancelled, so the call runs in a daemon thread and the
command stops waiting at the deadline: an unreachable tracker costs seconds, not minutes, and the
abandoned thread ends with the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class DeadlinePassed(TimeoutError):
    """The call did not finish within its deadline (it may still be running in its thread)."""


def run_within(seconds: float, call: Callable[[], T]) -> T:
    """`call()`'s result, or its exception; `DeadlinePassed` when it takes longer than `seconds`."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # re-raised in the caller's thread below
            failure.append(error)

    worker = threading.Thread(target=target, name="syncd-deadline", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlinePassed(f"no answer within {seconds:g}s")
    if failure:
        raise failure[0]
    return outcome[0]


def run_all_within(seconds: float, calls: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """Every call at once, each in its own thread; their results or exceptions, in order, and
    `DeadlinePassed` for those still running when `seconds` (shared by all) are over."""
    outcomes: list[T | BaseException] = [DeadlinePassed(f"no answer within {seconds:g}s")] * len(calls)

    def target(index: int, call: Callable[[], T]) -> None:
        try:
            outcomes[index] = call()
        except BaseException as error:  # handed to the caller as the outcome
            outcomes[index] = error

    workers = [
        threading.Thread(target=target, args=(index, call), name="syncd-deadline", daemon=True)
        for index, call in enumerate(calls)
    ]
    for worker in workers:
        worker.start()
    ends = time.monotonic() + seconds
    for worker in workers:
        worker.join(max(0.0, ends - time.monotonic()))
    return [
        outcome if not worker.is_alive() else DeadlinePassed(f"no answer within {seconds:g}s")
        for outcome, worker in zip(outcomes, workers, strict=True)
    ]
