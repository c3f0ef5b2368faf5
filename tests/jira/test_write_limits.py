"""Jira Cloud's per-issue write limits (20 writes per 2 s, 100 per 30 s) as the simulated site enforces them:
past either, a write to that issue is answered 429 with `RateLimit-Reason: jira-per-issue-on-write`, which syncd
maps to a rate limit. (That syncd's pushes, comment and field together, stay under the limits is measured by
tests/benchmarks/bench_jira.py, on the same simulated clock as the runtime.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.jira.failures import failure_from
from syncd.core.errors import RateLimited
from syncd.simulators.jira import JiraSimulator
from tests.jira.support import EMAIL, TOKEN


class SiteClock:
    """The site's clock, set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> SiteClock:
    """The site's clock."""
    return SiteClock()


@pytest.fixture
def http(clock: SiteClock) -> Iterator[tuple[JiraSimulator, httpx.Client]]:
    """A site with ENG-1 and ENG-2, and a plain HTTP client authenticated on it."""
    with JiraSimulator(email=EMAIL, token=TOKEN, clock=clock) as sim:
        sim.create_project("ENG")
        sim.create_issue("ENG", "One")
        sim.create_issue("ENG", "Two")
        with httpx.Client(base_url=sim.url, auth=(EMAIL, TOKEN)) as client:
            yield sim, client


def write(client: httpx.Client, key: str = "ENG-1") -> httpx.Response:
    """One write to an issue (its progress field)."""
    return client.put(f"/rest/api/3/issue/{key}", json={"fields": {"customfield_10050": 50}})


class TestPerIssueLimits:
    """Counted per issue on the site's clock."""

    def test_the_21st_write_in_2_seconds_is_refused_and_other_issues_are_not(
        self, http: tuple[JiraSimulator, httpx.Client], clock: SiteClock
    ) -> None:
        """20 writes pass, the 21st is 429 with Jira's reason; ENG-2 is unaffected; 2 s later ENG-1 takes writes."""
        _, client = http
        assert [write(client).status_code for _ in range(20)] == [204] * 20
        refused = write(client)
        assert refused.status_code == 429
        assert refused.headers["ratelimit-reason"] == "jira-per-issue-on-write"
        assert write(client, "ENG-2").status_code == 204
        clock.now += timedelta(seconds=2)
        assert write(client).status_code == 204

    def test_the_101st_write_in_30_seconds_is_refused(
        self, http: tuple[JiraSimulator, httpx.Client], clock: SiteClock
    ) -> None:
        """100 writes spread at 10 per second pass; the 101st within 30 s does not."""
        _, client = http
        for _ in range(10):
            assert [write(client).status_code for _ in range(10)] == [204] * 10
            clock.now += timedelta(seconds=1)
        assert write(client).status_code == 429
        clock.now += timedelta(seconds=21)
        assert write(client).status_code == 204

    def test_syncd_reads_the_refusal_as_a_rate_limit(self, http: tuple[JiraSimulator, httpx.Client]) -> None:
        """The 429 becomes `RateLimited` waiting what Retry-After says, naming the reason."""
        _, client = http
        for _ in range(20):
            write(client)
        refused = write(client)
        error = failure_from(429, dict(refused.headers), refused.content, where="PUT /rest/api/3/issue/ENG-1")
        assert isinstance(error, RateLimited)
        assert error.delay == 2.0
        assert "jira-per-issue-on-write" in str(error)
