"""Waiting for a condition in tests: poll it with a deadline, never sleep and hope.

wait_until(lambda: sim.comments(REPO, 1), timeout=20, what="the first comment")
await wait_until_async(lambda: env.kr("ENG-1.1")["progress"] == 1.0, within=10, what="the recompute")
wait_for_next_second()   # a tracker that stamps whole seconds will call the next change newer
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy and return that; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


async def wait_until_async(condition: Callable[[], Any], *, within: float, what: str, interval: float = 0.02) -> Any:
    """`wait_until` inside an event loop: the loop keeps running (the tasks under test make progress) between polls;
    fails naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        await asyncio.sleep(interval)


def wait_for_next_second() -> None:
    """Return once the wall clock's whole second has moved on from now (GitHub's `updated_at` has whole seconds:
    a change made after this is newer than every change made before it)."""
    now = int(time.time())
    wait_until(lambda: int(time.time()) > now, timeout=2, what="the next whole second", interval=0.01)
