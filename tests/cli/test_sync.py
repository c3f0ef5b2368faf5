"""`syncd sync --once`: a full backfill, recompute and push through the real CLI, against the GitHub simulator."""

from __future__ import annotations

import json
from pathlib import Path

from syncd.simulators.github import GitHubSimulator
from tests.support.admin_world import AdminWorld, github_source
from tests.support.github_sim import github_sim

__all__ = ["github_sim"]

LINKED_TO_ENG_1_1 = (1, 2, 3)  # kr:ENG-1.1 done, kr:ENG-1.1 open, and the "onboarding" rule (open)


def _syncd_comments(sim: GitHubSimulator, number: int) -> list[str]:
    return [c.body for c in sim.comments("acme/web", number) if "<!-- syncd:task=" in c.body]


class TestSyncOnce:
    """One command turns an empty store into the trackers' truth, with comments written."""

    def test_backfill_computes_and_comments_each_linked_issue_once(
        self, tmp_path: Path, github_sim: GitHubSimulator
    ) -> None:
        """After `sync --once`, status shows ENG-1.1 at 1 of 3 and each linked issue has one comment saying 33%."""
        world = AdminWorld.create(tmp_path, github_sim)
        result = world.syncd("sync", "--once")
        assert result.exit_code == 0, result.output
        assert "acme-github acme/web: 7 tasks" in result.output
        status = json.loads(world.syncd("status", "--json").output)
        (eng_1,) = [o for o in status["objectives"] if o["id"] == "ENG-1"]
        (kr,) = [k for k in eng_1["key_results"] if k["id"] == "ENG-1.1"]
        assert kr["percent"] == 33
        for number in LINKED_TO_ENG_1_1:
            (comment,) = _syncd_comments(github_sim, number)
            assert "**ENG-1.1**" in comment
            assert "**33%** (1 of 3 tasks done)" in comment
        assert _syncd_comments(github_sim, 5) == []  # "chore" links nothing: no comment

    def test_it_says_how_long_the_writes_take_at_the_pace_before_writing(
        self, tmp_path: Path, github_sim: GitHubSimulator
    ) -> None:
        """Before its first wave, `sync --once` tells how many writes each source gets and the least time its
        write limits allow (GitHub: 80 a minute and 500 an hour); a sync with nothing to write says nothing."""
        world = AdminWorld.create(tmp_path, github_sim)
        result = world.syncd("sync", "--once")
        assert result.exit_code == 0, result.output
        (line,) = [line for line in result.output.splitlines() if line.startswith("writing ")]
        written = int(line.split()[1])
        assert written >= len(LINKED_TO_ENG_1_1)
        assert line == f"writing {written} to acme-github: at least 0s at its pace (80 per min and 500 per h)"
        again = world.syncd("sync", "--once")
        assert not [line for line in again.output.splitlines() if line.startswith("writing ")]

    def test_running_it_again_writes_nothing_new(self, tmp_path: Path, github_sim: GitHubSimulator) -> None:
        """A second sync with nothing changed makes no write at all (level-triggered) and no second comment."""
        world = AdminWorld.create(tmp_path, github_sim)
        assert world.syncd("sync", "--once").exit_code == 0
        before = len(github_sim.requests)
        second = world.syncd("sync", "--once")
        assert second.exit_code == 0, second.output
        assert "pushed: 0 writes" in second.output
        writes = [r for r in github_sim.requests[before:] if r.method in {"POST", "PATCH", "PUT", "DELETE"}]
        assert writes == []
        assert all(len(_syncd_comments(github_sim, n)) == 1 for n in LINKED_TO_ENG_1_1)

    def test_no_push_mirrors_and_computes_without_writing(self, tmp_path: Path, github_sim: GitHubSimulator) -> None:
        """`--no-push` fills the store but sends the tracker only reads."""
        world = AdminWorld.create(tmp_path, github_sim)
        result = world.syncd("sync", "--once", "--no-push")
        assert result.exit_code == 0, result.output
        assert {r.method for r in github_sim.requests if r.api == "rest"} == {"GET"}
        assert all(_syncd_comments(github_sim, n) == [] for n in LINKED_TO_ENG_1_1)

    def test_a_repository_that_cannot_be_listed_fails_the_run(
        self, tmp_path: Path, github_sim: GitHubSimulator
    ) -> None:
        """A configured repo the tracker does not know: the others still sync, the run exits 1 and says which."""
        world = AdminWorld.create(tmp_path, github_sim)
        world.write_config(sources=[github_source(github_sim, repos=["acme/web", "acme/ghost"])])
        result = world.syncd("sync", "--once")
        assert result.exit_code == 1
        assert "acme-github acme/web: 7 tasks" in result.output
        assert "failed acme-github acme/ghost" in result.output

    def test_without_once_it_is_a_usage_error(self, tmp_path: Path, github_sim: GitHubSimulator) -> None:
        """Only one-shot syncs exist; the message points at `syncd run` for the daemon."""
        world = AdminWorld.create(tmp_path, github_sim)
        result = world.syncd("sync")
        assert result.exit_code == 2
        assert "--once" in result.output
