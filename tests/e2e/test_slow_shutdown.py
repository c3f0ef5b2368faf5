"""SIGTERM while the tracker holds every request for 20 s: the daemon exits within its deadline, and writes
nothing after it said `daemon.stopped`.

Past the deadline, in-flight tracker calls are abandoned: the clients are closed first (a request not yet sent
is refused), leases are released, `daemon.stopped` is logged and the process exits at once, leaving the
threads that still wait for the tracker behind. A write whose answer never came is repaired after a restart
(the target's write-ahead state; see the pusher's crash tests).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.simulators.github import GitHubSimulator
from tests.support.daemon import running_daemon, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, start_github_sim
from tests.support.sim_daemon import DAEMON_ENV, SOURCE, okr_sim_config
from tests.support.waiting import wait_for_next_second

pytestmark = pytest.mark.slow

REPO = "acme/web"
DEADLINE = 3.0


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    simulator = start_github_sim((REPO,))
    try:
        yield simulator
    finally:
        simulator.faults.clear()
        simulator.stop()


def test_sigterm_under_a_slow_tracker_exits_within_the_deadline(tmp_path: Path, sim: GitHubSimulator) -> None:
    issues = [sim.create_issue(REPO, f"Task {i}", labels=["kr:OBJ-1.1"]) for i in range(4)]
    config = okr_sim_config(
        tmp_path, sim, f"sqlite:///{tmp_path / 'syncd.db'}", kr_count=1, repos=(REPO,), source={"poll_interval": "1s"}
    )
    with running_daemon(config, env=DAEMON_ENV, args=["--shutdown-timeout", str(DEADLINE)]) as daemon:
        sim.add_webhook_target(f"{daemon.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
        wait_until(lambda: all(sim.comments(REPO, n) for n in issues), timeout=30, what="the first comments")
        sim.faults.slow(20.0, count=None)  # from now on every request is held 20 s
        wait_for_next_second()  # GitHub's updated_at has whole seconds: the close must be a newer version
        sim.close_issue(REPO, issues[0])  # a comment edit and polls are now waiting on the tracker
        # The scenario, not a wait for a condition: the daemon runs into the slow tracker for a while. Its held
        # calls cannot be seen sooner (the simulator logs a request when it answers it, 20 s later).
        time.sleep(2.5)
        signalled = time.monotonic()
        daemon.send(signal.SIGTERM)
        code = daemon.wait(timeout=DEADLINE + 10)
        exited = time.monotonic()
        events = daemon.events()
    took = exited - signalled
    print(f"exit {code} after {took:.1f}s (deadline {DEADLINE}s)")
    assert code == 0, daemon.log()[-3000:]
    assert took <= DEADLINE + 1.5, f"took {took:.1f}s for a {DEADLINE}s deadline"
    names = [event["event"] for event in events]
    assert "daemon.deadline_exceeded" in names, "the test must hold calls past the deadline"
    assert names[-1] == "daemon.stopped", f"logged after daemon.stopped: {names[names.index('daemon.stopped') + 1 :]}"
    sim.faults.clear()
    time.sleep(1.0)  # the scenario: nothing may arrive in this second (an absence cannot be polled for)
    late = [r for r in sim.requests if r.api == "rest" and r.at > exited]
    assert late == [], f"requests after the exit: {[(r.method, r.path) for r in late]}"
