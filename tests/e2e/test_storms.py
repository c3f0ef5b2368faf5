"""Storms: the GitHub simulator answers 30% of requests with 429 (Retry-After) or 502.

A real `syncd run` must still converge (every KR equals the simulator's truth, every comment says what
the store wants), never send a request before a Retry-After has passed, and never write faster than its
pace. The pace is compressed to 12 content writes a minute (config `writes_per_minute`, and the
simulator refuses a 13th within a minute with a 403) and the demand exceeds it, so the pacer must wait.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from syncd.simulators.github import GitHubSimulator
from syncd.simulators.github.traffic import LoggedRequest
from syncd.store.engine import create_store_engine
from syncd.store.tables import PUSH_TARGETS
from tests.support.daemon import running_daemon, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, start_github_sim
from tests.support.sim_daemon import DAEMON_ENV, SOURCE, ground_truth, okr_sim_config, store_counts, store_progress
from tests.support.waiting import wait_for_next_second

pytestmark = pytest.mark.slow

PACE = 12
RETRY_AFTER = 1.0
REPO = "acme/web"


@pytest.fixture
def stormy_sim() -> Iterator[GitHubSimulator]:
    """A simulator enforcing PACE writes a minute, failing ~15% of requests with 429 and ~15% with 502."""
    sim = start_github_sim((REPO,), writes_per_minute=PACE)
    sim.faults.rate_limit(None, retry_after=RETRY_AFTER, probability=0.15)
    sim.faults.server_error(None, probability=0.15 / 0.85)
    try:
        yield sim
    finally:
        sim.stop()


def _is_content_write(request: LoggedRequest) -> bool:
    return (request.method == "POST" and request.path.endswith("/comments")) or (
        request.method == "PATCH" and "/issues/comments/" in request.path
    )


def _max_in_a_minute(moments: list[float]) -> int:
    """The most moments inside any 60-second window."""
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _comments_match_the_store(sim: GitHubSimulator, store_url: str) -> bool:
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            wanted = {
                row.key: row.desired_text
                for row in conn.execute(select(PUSH_TARGETS.c.key, PUSH_TARGETS.c.desired_text))
            }
    finally:
        engine.dispose()
    for key, text in wanted.items():
        repo, _, number = key.partition("#")
        bodies = [c.body for c in sim.comments(repo, int(number))]
        if bodies != [text]:
            return False
    return bool(wanted)


class TestStorm:
    """429/502 storms slow syncd down but never make it impolite or wrong."""

    def test_converges_honours_retry_after_and_keeps_the_pace(
        self, tmp_path: Path, stormy_sim: GitHubSimulator
    ) -> None:
        sim = stormy_sim
        issues = [sim.create_issue(REPO, f"Task {i}", labels=[f"kr:OBJ-1.{i % 2 + 1}"]) for i in range(8)]
        store_url = f"sqlite:///{tmp_path / 'syncd.db'}"
        source = {"poll_interval": "2s", "writes_per_minute": PACE, "writes_per_hour": 10_000}
        config = okr_sim_config(tmp_path, sim, store_url, kr_count=2, repos=(REPO,), source=source)
        with running_daemon(config, env=DAEMON_ENV) as daemon:
            sim.add_webhook_target(f"{daemon.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
            wait_until(lambda: _comments_match_the_store(sim, store_url), timeout=40, what="the first comments")
            self._assert_the_storm_shows(daemon.url, config)
            wait_for_next_second()  # a newer whole-second updated_at for the changes below
            for number in issues[:3]:
                sim.close_issue(REPO, number)
            wait_until(
                lambda: (
                    store_counts(store_url)["unsynced_targets"] == 0
                    and store_progress(store_url) == ground_truth(sim, config)
                    and _comments_match_the_store(sim, store_url)
                ),
                timeout=100,
                what="convergence under the storm",
            )
        requests = [r for r in sim.requests if r.api == "rest"]
        self._assert_polite(requests, sim)

    @staticmethod
    def _assert_the_storm_shows(url: str, config: Path) -> None:
        """While the storm lasts, `status --json` says the source is throttled or failing, and `/metrics` counts
        the refused attempts by outcome and status, although the in-line retries made every poll succeed."""

        def troubled() -> dict[str, Any] | None:
            result = subprocess.run(
                [sys.executable, "-m", "syncd.cli.main", "status", "--json", "--config", str(config)],
                capture_output=True,
                text=True,
                env={**os.environ, **DAEMON_ENV},
                check=True,
            )
            (source,) = json.loads(result.stdout)["sources"]
            return source if source["trouble"] else None

        source = wait_until(troubled, timeout=20, what="the storm in syncd status --json", interval=0.5)
        assert re.match(r"(rate limited \(429\)|server error \(502\)): \d+ of \d+ requests", source["trouble"])
        assert source["trouble_since"]
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
        for outcome, status in (("rate_limited", "429"), ("server_error", "502")):
            line = f'syncd_tracker_requests_total{{outcome="{outcome}",source="{SOURCE}",status="{status}"}}'
            assert line in metrics, f"{line} missing from /metrics"
            assert float(metrics.split(line, 1)[1].split()[0]) > 0

    @staticmethod
    def _assert_polite(requests: list[LoggedRequest], sim: GitHubSimulator) -> None:
        limited = [r for r in requests if r.status == 429]
        failed = [r for r in requests if r.status == 502]
        print(f"requests: {len(requests)}, 429: {len(limited)}, 502: {len(failed)}, injected: {sim.faults.injected}")
        assert limited, "the storm should have produced 429s"
        assert failed, "the storm should have produced 502s"
        for limit in limited:
            later = [r.at for r in requests if r.at > limit.at]
            if later:
                assert min(later) - limit.at >= RETRY_AFTER - 0.01, "a request came before Retry-After had passed"
        writes = [r.at for r in requests if _is_content_write(r) and 200 <= r.status < 300]
        print(f"content writes: {len(writes)}, most in one minute: {_max_in_a_minute(writes)} (pace {PACE})")
        assert len(writes) > PACE, "the demand should have exceeded the pace (otherwise the pace is not tested)"
        assert _max_in_a_minute(writes) <= PACE
        assert not [r for r in requests if r.status == 403], "the simulator's write limit was tripped"
