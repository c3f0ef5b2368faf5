"""Crash: `kill -9` a real `syncd run` three times during a burst of 1,000 signed GitHub webhooks.

Afterwards every delivery the daemon acknowledged was applied, every KR equals the ground truth computed
from the simulator's state (deliveries lost while the daemon was down are repaired by polling), and no
issue carries more than one syncd comment (a comment written just before a kill is found by its marker).
The seed of the random kill moments is printed; set SYNCD_CRASH_SEED to replay one.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from syncd.ports import WebhookAccepted
from syncd.simulators.github import GitHubSimulator
from syncd.simulators.github.webhooks import Delivery
from tests.support.daemon import DaemonProcess, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, start_github_sim
from tests.support.sim_daemon import (
    DAEMON_ENV,
    SOURCE,
    applied_delivery_ids,
    comments_per_issue,
    github_adapter_for,
    ground_truth,
    kr_ids,
    okr_sim_config,
    random_change,
    store_counts,
    store_progress,
)

pytestmark = pytest.mark.slow

BURST = 1000
KILLS = 3
KR_COUNT = 20
ISSUES_PER_REPO = 30
REPOS = ("acme/web", "acme/api")


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    """A GitHub simulator that takes writes as fast as they come (the pace is not under test here)."""
    simulator = start_github_sim(REPOS, writes_per_minute=None)
    try:
        yield simulator
    finally:
        simulator.stop()


def _seed_issues(sim: GitHubSimulator, rng: random.Random) -> list[tuple[str, int]]:
    krs = kr_ids(KR_COUNT)
    return [
        (repo, sim.create_issue(repo, f"Task {index}", labels=[f"kr:{rng.choice(krs)}"]))
        for repo in REPOS
        for index in range(ISSUES_PER_REPO)
    ]


def _burst(sim: GitHubSimulator, rng: random.Random, issues: list[tuple[str, int]], kills_done: threading.Event) -> int:
    """About 40 tracker changes a second until 1,000 webhooks were emitted and the kills are over."""
    krs, emitted = kr_ids(KR_COUNT), 0
    while emitted < BURST or not kills_done.is_set():
        emitted += random_change(sim, rng, rng.choice(issues), krs)
        time.sleep(0.025)
    return emitted


def _sent(sim: GitHubSimulator) -> int:
    return sum(1 for d in sim.deliveries if d.event != "issue_comment")


class TestCrash:
    """Nothing acknowledged is lost and nothing is written twice, whenever the daemon dies."""

    def test_kill_9_three_times_during_a_burst(self, tmp_path: Path, sim: GitHubSimulator) -> None:
        seed = int(os.environ.get("SYNCD_CRASH_SEED", time.time_ns() % 1_000_000))
        print(f"crash test seed: {seed}")
        rng = random.Random(seed)
        issues = _seed_issues(sim, rng)
        store_url = f"sqlite:///{tmp_path / 'syncd.db'}"
        # A 5 s request timeout: after a kill the restarted pusher lets the dead one's write settle that long.
        fast = {"poll_interval": "2s", "timeout": "5s", "writes_per_minute": 100_000, "writes_per_hour": 1_000_000}
        config = okr_sim_config(tmp_path, sim, store_url, kr_count=KR_COUNT, repos=REPOS, source=fast)
        daemon = DaemonProcess(config, env=DAEMON_ENV).start().wait_ready()
        try:
            sim.add_webhook_target(f"{daemon.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
            kills_done = threading.Event()
            burst = ThreadPoolExecutor(1).submit(_burst, sim, random.Random(seed + 1), issues, kills_done)
            base = 0
            for _ in range(KILLS):  # at a random moment, 50 to 250 deliveries after the daemon came back
                moment = base + rng.randint(50, 250)
                wait_until(lambda m=moment: _sent(sim) >= m, timeout=60, what=f"{moment} deliveries sent")
                daemon.kill()
                down = time.monotonic()
                daemon.restart()
                base = _sent(sim)
                print(f"killed after {moment} deliveries; back after {time.monotonic() - down:.1f}s")
            kills_done.set()
            burst.result(timeout=60)
            assert sim.wait_for_deliveries(30)
            started = time.monotonic()
            truth = wait_until(lambda: _converged(sim, config, store_url), timeout=45, what="convergence")
            print(f"converged {time.monotonic() - started:.1f}s after the burst; restarts: {KILLS}")
        finally:
            daemon.terminate()
        self._assert_outcome(sim, config, store_url, issues, truth)

    @staticmethod
    def _assert_outcome(
        sim: GitHubSimulator, config: Path, store_url: str, issues: list[tuple[str, int]], truth: dict[str, float]
    ) -> None:
        deliveries = [d for d in sim.deliveries if d.event != "issue_comment"]
        acknowledged = {d.delivery_id for d in deliveries if d.status == 202 and _stored_kind(config, d)}
        lost = sum(1 for d in deliveries if d.status is None)
        print(f"deliveries: {len(deliveries)} sent, {len(acknowledged)} acknowledged, {lost} lost to the kills")
        assert len(deliveries) >= BURST
        assert lost > 0, "the kills should have cost some deliveries (repaired by polling)"
        missing = acknowledged - applied_delivery_ids(store_url)
        missed = sorted(f"{d.event}.{d.action}" for d in deliveries if d.delivery_id in missing)
        assert not missing, f"acknowledged deliveries not applied: {missed}"
        assert store_progress(store_url) == truth
        counts = comments_per_issue(sim, issues)
        assert max(counts.values()) == 1, f"issues with more than one syncd comment: {counts}"


def _stored_kind(config: Path, delivery: Delivery) -> bool:
    """Whether the daemon stores this delivery (an event it uses) rather than acknowledging and ignoring it."""
    intake = github_adapter_for(config).intake(
        {k.lower(): v for k, v in delivery.headers.items()}, delivery.body, {}, []
    )
    return isinstance(intake, WebhookAccepted)


def _converged(sim: GitHubSimulator, config: Path, store_url: str) -> dict[str, float] | None:
    """The ground truth once the store has applied everything and matches it; None until then."""
    counts = store_counts(store_url)
    if counts.get("deliveries_pending", 0) or counts["dirty_krs"] or counts["unsynced_targets"]:
        return None
    truth = ground_truth(sim, config)
    return truth if store_progress(store_url) == truth else None
