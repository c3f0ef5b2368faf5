"""The contract under load: 429 storms with Retry-After and 5xx storms, on reads and on writes, converge
to the right progress and comments, and nothing is asked of the tracker before the wait it named is over.

These run in real time (no clock jumps once the faults are set): the holds end when the tracker said.
"""

from __future__ import annotations

from typing import Literal

import pytest

from syncd.simulators.contract import ContractTask, TrackerRequest
from tests.contract.bench import KR, POLL_INTERVAL, ContractBench

LINK = f"kr:{KR}"
RETRY_AFTER = 1.0
#: A request arriving this soon after a 429 was sent before its client could have read that answer (writes
#: run concurrently on some trackers); anything later and before the Retry-After is over is too early.
IN_FLIGHT = 0.05
Phase = Literal["poll", "push"]


def storm_after_a_change(bench: ContractBench, phase: Phase) -> int:
    """Two linked tasks at 50%; the open one completed. With `poll` the storm meets the poll that finds it,
    with `push` the comment writes after it. Returns where the request log stood when the storm began."""
    bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
    other = bench.tracker.create_task("Add single sign-on", labels=[LINK])
    bench.backfill()
    bench.tracker.set_state(other, "done")
    bench.clock.advance(POLL_INTERVAL)
    if phase == "push":
        bench.schedule()
        bench.worker.drain()
    return len(bench.tracker.requests())


def converged(bench: ContractBench) -> bool:
    """100% in the store and every write made."""
    return bench.progress() == 1.0 and bench.unsynced_targets() == 0


def comments_say(bench: ContractBench, text: str) -> list[int]:
    """How many comments each mirrored task carries, checking every one says `text`."""
    counts = []
    for external_id in sorted(bench.mirrored_ids()):
        comments = bench.tracker.comments(ContractTask(external_id))
        assert all(text in comment.text for comment in comments), comments
        counts.append(len(comments))
    return counts


def early(requests: list[TrackerRequest], wait: float) -> list[tuple[TrackerRequest, TrackerRequest]]:
    """Pairs (a 429, a request that arrived before its Retry-After had passed)."""
    return [
        (limited, later)
        for index, limited in enumerate(requests)
        if limited.status == 429
        for later in requests[index + 1 :]
        if limited.at + IN_FLIGHT < later.at < limited.at + wait
    ]


@pytest.mark.parametrize("phase", ["poll", "push"])
class TestStorms:
    """Faults on the poll that finds a change, or on the writes that follow it."""

    def test_429s_with_retry_after_are_waited_out(self, bench: ContractBench, phase: Phase) -> None:
        """Two 429s in a row: the change arrives and is written, and no request beats a Retry-After."""
        mark = storm_after_a_change(bench, phase)
        bench.tracker.throttle(2, retry_after=RETRY_AFTER)
        bench.converge(lambda: converged(bench), what="convergence after the 429s")
        assert comments_say(bench, "100%") == [1, 1]
        seen = bench.tracker.requests()[mark:]
        assert sum(r.status == 429 for r in seen) == 2
        assert early(seen, RETRY_AFTER) == []

    def test_a_5xx_storm_converges(self, bench: ContractBench, phase: Phase) -> None:
        """Server errors in a row: the change still arrives, and each task keeps exactly one comment."""
        mark = storm_after_a_change(bench, phase)
        bench.tracker.fail(2, status=502)
        bench.converge(lambda: converged(bench), what="convergence after the 5xx storm")
        assert comments_say(bench, "100%") == [1, 1]
        assert sum(r.status == 502 for r in bench.tracker.requests()[mark:]) == 2
