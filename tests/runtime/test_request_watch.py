"""Storms that show: every tracker request counted by outcome, throttling visible in status while it lasts.

The real GitHub client talks to the simulator with faults; in-line retries ride a storm out, and still the
metrics count each refused attempt, `syncd_rate_limit_remaining` follows a 403 that says 0, the source is
"in trouble" (logged once) until it has been quiet for a while (recovery logged once), and `source_state`
carries the trouble for `syncd status` in any process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine

from adapters.github.adapter import GitHubAdapter
from adapters.github.client import GitHubClient
from adapters.registry import load_config
from syncd.core.errors import RateLimited
from syncd.ports import RequestReason
from syncd.runtime.metrics import Metrics
from syncd.runtime.request_watch import RequestWatch
from syncd.simulators.github import GitHubSimulator
from syncd.store.status_rows import source_statuses
from tests.support.github_sim import github_source_config, start_github_sim

SOURCE = "acme-github"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    simulator = start_github_sim()
    simulator.seed_issues("acme/web", 3)
    try:
        yield simulator
    finally:
        simulator.stop()


def watched_adapter(sim: GitHubSimulator, watch: RequestWatch) -> GitHubAdapter:
    config = github_source_config(sim)
    client = GitHubClient(config, backoff_base=0.001, sleep=lambda _s: None, observer=watch.observer(config.name))
    return GitHubAdapter(config, client=client)


def counted(metrics: Metrics, outcome: str, status: str) -> float:
    value = metrics.registry.get_sample_value(
        "syncd_tracker_requests_total", {"source": SOURCE, "outcome": outcome, "status": status}
    )
    return value or 0.0


def list_issues(adapter: GitHubAdapter) -> None:
    adapter.client.list_issues("acme/web", since=None, etag=None)


class TestStormVisibility:
    """What an operator sees during and after a storm the in-line retries hide."""

    def test_refused_attempts_count_although_every_call_succeeds(self, sim: GitHubSimulator) -> None:
        """Three 502s and two 429s, all retried in-line: five calls succeed, and the metrics count each refusal."""
        metrics, clock = Metrics(), Clock()
        watch = RequestWatch(metrics, clock)
        adapter = watched_adapter(sim, watch)
        sim.faults.server_error(3, method="GET", path="/repos/*/issues")
        for _ in range(5):
            list_issues(adapter)
        sim.faults.rate_limit(2, retry_after=0, method="GET", path="/repos/*/issues")
        list_issues(adapter)
        assert counted(metrics, "server_error", "502") == 3
        assert counted(metrics, "rate_limited", "429") == 2
        assert counted(metrics, "ok", "none") == 6
        (trouble,) = watch.troubles().values()
        assert trouble.reason is RequestReason.RATE_LIMITED
        assert "rate limited (429): 5 of 11 requests in the last minute" in trouble.describe()

    def test_a_403_saying_the_budget_is_spent_moves_the_gauge(self, sim: GitHubSimulator) -> None:
        """`syncd_rate_limit_remaining` shows 0 while GitHub says so, not the last good answer's 4999."""
        metrics = Metrics()
        adapter = watched_adapter(sim, RequestWatch(metrics, Clock()))
        list_issues(adapter)
        gauge = {"source": SOURCE}
        assert (metrics.registry.get_sample_value("syncd_rate_limit_remaining", gauge) or 0) > 100
        sim.faults.budget_spent(1, reset_in=600, method="GET", path="/repos/*/issues")
        with pytest.raises(RateLimited):
            list_issues(adapter)
        assert metrics.registry.get_sample_value("syncd_rate_limit_remaining", gauge) == 0
        assert counted(metrics, "rate_limited", "403") == 1

    def test_trouble_is_logged_once_and_its_end_once(self, sim: GitHubSimulator) -> None:
        """A storm of refusals is one `tracker.throttled` line; the end, after 30 s without one, one `tracker.recovered`."""
        clock = Clock()
        watch = RequestWatch(Metrics(), clock)
        adapter = watched_adapter(sim, watch)
        sim.faults.rate_limit(None, retry_after=0, probability=0.5, method="GET", path="/repos/*/issues")
        with structlog.testing.capture_logs() as logs:
            for _ in range(10):
                with contextlib.suppress(RateLimited):  # four attempts all refused: the runtime would reschedule
                    list_issues(adapter)
                clock.now += timedelta(seconds=2)
            sim.faults.clear()
            list_issues(adapter)
            assert watch.troubles(), "20 s after the last refusal the source is still in trouble"
            clock.now += timedelta(seconds=31)
            watch.tick()
        events = [entry["event"] for entry in logs if entry["event"].startswith("tracker.")]
        assert events == ["tracker.throttled", "tracker.recovered"]
        assert not watch.troubles()

    def test_status_shows_the_trouble_while_it_lasts(
        self, sim: GitHubSimulator, engine: Engine, tmp_path: Path
    ) -> None:
        """Saved into source_state, the trouble is in `syncd status`'s rows; once over, it is gone."""
        clock = Clock()
        watch = RequestWatch(Metrics(), clock)
        adapter = watched_adapter(sim, watch)
        sim.faults.server_error(2, status=503, method="GET", path="/repos/*/issues")
        list_issues(adapter)
        watch.save(engine)
        config = load_config(
            _config(tmp_path, sim), environ={"GITHUB_TOKEN": "x" * 40, "GITHUB_WEBHOOK_SECRET": "y" * 40}
        )
        with engine.connect() as conn:
            (status,) = source_statuses(conn, config, clock.now + timedelta(seconds=5))
        assert status.trouble is not None
        assert status.trouble.startswith("server error (503): 2 of 3 requests")
        assert status.trouble_since == clock.now
        clock.now += timedelta(minutes=1)
        watch.tick()
        watch.save(engine)
        with engine.connect() as conn:
            (status,) = source_statuses(conn, config, clock.now)
        assert status.trouble is None


def _config(directory: Path, sim: GitHubSimulator) -> Path:
    path = directory / "syncd.yaml"
    path.write_text(
        f"""
store: {{url: "sqlite:///{directory / "unused.db"}"}}
cycles: [{{id: Q4, start: 2026-10-01, end: 2026-12-31}}]
objectives:
  - id: OBJ-1
    title: An objective
    cycle: Q4
    key_results: [{{id: OBJ-1.1, title: A KR}}]
sources:
  - name: {SOURCE}
    kind: github
    base_url: {sim.api_url}
    token: ${{GITHUB_TOKEN}}
    webhook_secret: ${{GITHUB_WEBHOOK_SECRET}}
    repos: [acme/web]
"""
    )
    return path
