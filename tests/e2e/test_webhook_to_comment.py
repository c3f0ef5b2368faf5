"""A real `syncd run` against the GitHub simulator: a webhook updates the comment; a lost one is repaired by polling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.simulators.github import GitHubSimulator
from tests.support.daemon import DaemonProcess, running_daemon, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, assert_conforms, start_github_sim
from tests.support.sim_daemon import DAEMON_ENV, SOURCE, okr_sim_config
from tests.support.waiting import wait_for_next_second

pytestmark = pytest.mark.slow


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    """A GitHub simulator; its traffic is checked against GitHub's OpenAPI description afterwards."""
    simulator = start_github_sim()
    try:
        yield simulator
        assert_conforms(simulator)
    finally:
        simulator.stop()


@pytest.fixture
def daemon(tmp_path: Path, sim: GitHubSimulator) -> Iterator[DaemonProcess]:
    """`syncd run` on SQLite, polling every 2 s, receiving the simulator's webhooks."""
    config = okr_sim_config(
        tmp_path, sim, f"sqlite:///{tmp_path / 'syncd.db'}", kr_count=2, source={"poll_interval": "2s"}
    )
    with running_daemon(config, env=DAEMON_ENV) as process:
        sim.add_webhook_target(f"{process.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
        yield process


def _comment(sim: GitHubSimulator, number: int) -> str:
    comments = sim.comments("acme/web", number)
    return comments[0].body if comments else ""


class TestWebhookToComment:
    """What a team sees in GitHub after changing a labelled issue."""

    def test_closing_an_issue_updates_the_comments_of_its_kr(self, sim: GitHubSimulator, daemon: DaemonProcess) -> None:
        first = sim.create_issue("acme/web", "Onboarding flow", labels=["kr:OBJ-1.1"])
        second = sim.create_issue("acme/web", "Onboarding emails", labels=["kr:OBJ-1.1"])
        wait_until(lambda: "0 of 2 tasks done" in _comment(sim, first), timeout=20, what="the first comment")
        wait_for_next_second()  # GitHub's updated_at has whole seconds: the close must be a newer version
        started = time.monotonic()
        sim.close_issue("acme/web", second)
        wait_until(lambda: "1 of 2 tasks done" in _comment(sim, first), timeout=20, what="the edited comment")
        latency = time.monotonic() - started
        assert "**50%**" in _comment(sim, first)
        assert len(sim.comments("acme/web", first)) == 1
        assert len(sim.comments("acme/web", second)) == 1
        assert latency < 1.0 + 1.0 + 1.0  # under 1 s plus the 1 s coalescing window, with slack for CI

    def test_a_lost_webhook_is_repaired_by_the_next_poll(self, sim: GitHubSimulator, daemon: DaemonProcess) -> None:
        number = sim.create_issue("acme/web", "Billing page", labels=["kr:OBJ-1.2"])
        wait_until(lambda: "0 of 1 task done" in _comment(sim, number), timeout=20, what="the first comment")
        wait_for_next_second()  # the close must be a newer version than the creation
        sim.drop_deliveries(1)
        sim.close_issue("acme/web", number)
        wait_until(lambda: "1 of 1 task done" in _comment(sim, number), timeout=20, what="the poll's repair")
        assert [d.dropped for d in sim.deliveries if d.action == "closed"] == [True]
        assert len(sim.comments("acme/web", number)) == 1
