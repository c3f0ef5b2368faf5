"""Rate limits, 5xx and timeouts through the real client: mapped once, retried in-line only when short."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from adapters.github.adapter import GitHubAdapter
from adapters.github.client import GitHubClient
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.github import GitHubSimulator
from tests.support.github_sim import github_source_config

T = TypeVar("T")
LISTING = "/repos/*/issues"


def fast_adapter(sim: GitHubSimulator, sleeps: list[float], **overrides: object) -> GitHubAdapter:
    """An adapter whose 5xx backoff starts at 10 ms (Retry-After is still honoured exactly) and that records sleeps."""

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    config = github_source_config(sim, **overrides)
    return GitHubAdapter(config, client=GitHubClient(config, sleep=sleep, backoff_base=0.01))


def like_the_runtime(operation: Callable[[], T], *, deadline: float = 20.0) -> tuple[T, int]:
    """Call until it succeeds, rescheduling after each Retriable's delay (as the runtime does); (result, failures)."""
    failures, give_up = 0, time.monotonic() + deadline
    while True:
        try:
            return operation(), failures
        except Retriable as error:
            failures += 1
            if time.monotonic() + error.delay > give_up:
                raise
            time.sleep(error.delay)


def started() -> datetime:
    """A poll start time safely after every simulated change."""
    return datetime.now(UTC) + timedelta(seconds=2)


class TestRateLimits:
    """403/429 become RateLimited with the server's delay, never shortened."""

    def test_short_retry_after_is_honoured_in_line(self, github_sim: GitHubSimulator) -> None:
        """Two 429s with Retry-After: 1 are retried in-line, each retry at least 1 s after the refusal."""
        github_sim.seed_issues("acme/web", 3)
        github_sim.faults.rate_limit(2, retry_after=1, method="GET", path=LISTING)
        sleeps: list[float] = []
        adapter = fast_adapter(github_sim, sleeps)
        try:
            result = adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        assert len(result.snapshots) == 3
        listing = [r for r in github_sim.requests if r.path == "/repos/acme/web/issues"]
        assert [r.status for r in listing] == [429, 429, 200]
        assert listing[1].at - listing[0].at >= 1.0
        assert listing[2].at - listing[1].at >= 1.0
        assert sleeps == [1.0, 1.0]

    def test_long_retry_after_is_raised_for_the_runtime(self, github_sim: GitHubSimulator) -> None:
        """A Retry-After longer than the in-line limit is one request and a RateLimited carrying that delay."""
        github_sim.faults.rate_limit(1, retry_after=30, method="GET", path=LISTING)
        adapter = fast_adapter(github_sim, [])
        try:
            with pytest.raises(RateLimited) as raised:
                adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        assert raised.value.delay == 30.0
        assert raised.value.status == 429
        assert len(github_sim.requests) == 1

    def test_spent_hourly_budget_waits_for_the_reset(self, github_sim: GitHubSimulator) -> None:
        """403 with x-ratelimit-remaining: 0 means wait until x-ratelimit-reset; the budget shows it spent."""
        github_sim.rate_limit.set(remaining=0, reset_in=120)
        adapter = fast_adapter(github_sim, [])
        try:
            with pytest.raises(RateLimited, match="hourly budget is spent") as raised:
                adapter.poll(None, "acme/web", started())
            budget = adapter.budget()
        finally:
            adapter.close()
        assert 100 <= raised.value.delay <= 121
        assert raised.value.status == 403
        assert budget.remaining == 0
        assert budget.limit == 5000
        assert budget.resets_at is not None

    def test_secondary_limit_without_headers_backs_off_60s(self, github_sim: GitHubSimulator) -> None:
        """A secondary-limit 403 with no Retry-After and budget left backs off 60 s."""
        github_sim.faults.secondary_limit(1, method="GET", path=LISTING)
        adapter = fast_adapter(github_sim, [])
        try:
            with pytest.raises(RateLimited) as raised:
                adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        assert raised.value.delay == 60.0

    def test_budget_reflects_the_last_headers(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """Before any request the budget is unknown; after one it reports GitHub's numbers."""
        assert github_adapter.budget().remaining is None
        github_adapter.poll(None, "acme/web", started())
        budget = github_adapter.budget()
        assert budget.limit == 5000
        assert budget.remaining == 4999

    def test_429_storm_converges_and_never_retries_early(self, github_sim: GitHubSimulator) -> None:
        """Five 429s (Retry-After: 1) on a 3-page backfill: every issue arrives, no retry came early."""
        github_sim.seed_issues("acme/web", 250)
        github_sim.faults.rate_limit(5, retry_after=1, method="GET", path=LISTING)
        adapter = fast_adapter(github_sim, [])
        try:
            result, _ = like_the_runtime(lambda: adapter.poll(None, "acme/web", started()))
        finally:
            adapter.close()
        assert len({s.external_id for s in result.snapshots}) == 250
        log = github_sim.requests
        for refused, after in itertools.pairwise(log):
            if refused.status == 429:
                assert after.at - refused.at >= 1.0


class TestServerErrors:
    """5xx, timeouts and connection failures are Retriable with backoff; other 4xx are Permanent."""

    def test_502_storm_converges(self, github_sim: GitHubSimulator) -> None:
        """Ten 502s: in-line retries with backoff, then the runtime's reschedule, until the backfill completes."""
        github_sim.seed_issues("acme/web", 150)
        github_sim.faults.server_error(10, status=502)
        sleeps: list[float] = []
        adapter = fast_adapter(github_sim, sleeps)
        try:
            result, failures = like_the_runtime(lambda: adapter.poll(None, "acme/web", started()))
        finally:
            adapter.close()
        assert len(result.snapshots) == 150
        assert failures >= 2
        assert sleeps[:3] == [0.01, 0.02, 0.04]
        assert sum(r.status == 502 for r in github_sim.requests) == 10

    def test_random_5xx_and_429_storm_converges(self, github_sim: GitHubSimulator) -> None:
        """A third of all requests failing (502 or 429) still yields the complete backfill."""
        github_sim.seed_issues("acme/web", 300)
        github_sim.faults.server_error(None, probability=0.2)
        github_sim.faults.rate_limit(None, probability=0.15, retry_after=0.2)
        adapter = fast_adapter(github_sim, [])
        try:
            result, _ = like_the_runtime(lambda: adapter.poll(None, "acme/web", started()))
        finally:
            adapter.close()
        github_sim.faults.clear()
        assert len({s.external_id for s in result.snapshots}) == 300
        assert any(r.status in (429, 502) for r in github_sim.requests)

    def test_slow_response_times_out_and_is_retried(self, github_sim: GitHubSimulator) -> None:
        """A response slower than the timeout (1 s) is a Retriable timeout; the retry succeeds."""
        github_sim.create_issue("acme/web", "task")
        github_sim.faults.slow(2.0, 1, method="GET", path=LISTING)
        adapter = fast_adapter(github_sim, [], timeout="1s")
        try:
            result = adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        assert len(result.snapshots) == 1

    def test_failed_comment_create_is_not_retried_in_line(self, github_sim: GitHubSimulator) -> None:
        """A 502 on POST is raised (a blind retry could duplicate); the next attempt creates exactly one."""
        number = github_sim.create_issue("acme/web", "task")
        github_sim.faults.server_error(1, method="POST")
        write = PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="40%")
        adapter = fast_adapter(github_sim, [])
        try:
            with pytest.raises(Retriable):
                adapter.apply(None, write)
            adapter.apply(None, write)
        finally:
            adapter.close()
        assert len(github_sim.comments("acme/web", number)) == 1
        assert [r.status for r in github_sim.requests if r.method == "POST"] == [502, 201]

    def test_unreachable_server_is_retriable(self, github_sim: GitHubSimulator) -> None:
        """Nothing listening at base_url: a Retriable connection failure, not a library exception."""
        config = github_source_config(github_sim, base_url="http://127.0.0.1:9/api/v3")
        adapter = GitHubAdapter(config, client=GitHubClient(config, backoff_base=0.001))
        try:
            with pytest.raises(Retriable, match="ConnectionError"):
                adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()

    def test_client_errors_are_permanent(self, github_sim: GitHubSimulator) -> None:
        """A bad token (401) and an unknown repository (404) are Permanent, with what to check."""
        bad = github_source_config(github_sim, token="wrong")
        adapter = GitHubAdapter(bad)
        try:
            with pytest.raises(Permanent, match=r"401.*credentials"):
                adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        adapter = GitHubAdapter(github_source_config(github_sim))
        try:
            with pytest.raises(NotFound, match="404"):
                adapter.poll(None, "acme/nope", started())
        finally:
            adapter.close()


class TestHeldRequests:
    """A `hold` rule keeps a request at the simulator until the test lets it through or drops it."""

    def test_a_held_create_lands_only_when_released(self, github_sim: GitHubSimulator) -> None:
        number = github_sim.create_issue("acme/web", "task")
        gate = github_sim.faults.hold(method="POST", path="/repos/*/issues/*/comments")
        adapter = GitHubAdapter(github_source_config(github_sim))
        write = PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="25%")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(adapter.apply, None, write)
            assert gate.arrived.wait(10)
            assert github_sim.comments("acme/web", number) == []
            assert not gate.answered.is_set()
            gate.release()
            created = pending.result(10)
        assert gate.answered.is_set()
        assert [str(c.id) for c in github_sim.comments("acme/web", number)] == [created.remote_id]

    def test_a_dropped_request_is_never_applied(self, github_sim: GitHubSimulator) -> None:
        number = github_sim.create_issue("acme/web", "task")
        gate = github_sim.faults.hold(method="POST", path="/repos/*/issues/*/comments")
        adapter = GitHubAdapter(github_source_config(github_sim))
        write = PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="25%")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(adapter.apply, None, write)
            assert gate.arrived.wait(10)
            gate.drop()
            with pytest.raises(Retriable, match="502"):
                pending.result(10)
        assert github_sim.comments("acme/web", number) == []
        assert not gate.answered.is_set()
