"""`syncd plan` through the real CLI: a config change reviewed as diffs, and proof that nothing was written
to the tracker (the simulator's request log) or to the store (every table before and after)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from syncd.core.pacing import RateLimit
from syncd.core.render import NO_LONGER_COUNTS
from syncd.runtime.push.write_preview import budget_seconds
from syncd.store.schema import Base
from syncd.store.tables import PUSH_TARGETS
from tests.support.admin_world import AdminWorld

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def store_dump(world: AdminWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the world's store."""
    engine = world.engine()
    try:
        with engine.connect() as conn:
            return {
                name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                for name, table in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


def github_comments(world: AdminWorld) -> dict[int, list[str]]:
    """Every comment body on acme/web, by issue number."""
    return {number: [c.body for c in world.sim.comments("acme/web", number)] for number in range(1, 8)}


@pytest.fixture
def next_config(world: AdminWorld) -> Path:
    """The change under review: KR ENG-1.4 added, the rule's label renamed from "onboarding" to "self-serve"."""
    return world.write_config(world.directory / "next.yaml", extra_kr=True, rule_label="self-serve")


class TestConfigChange:
    """Adding a KR and renaming a rule's label: the comments that would change, as diffs, and nothing written."""

    def test_json_lists_each_comment_that_would_change(self, world: AdminWorld, next_config: Path) -> None:
        result = world.syncd("plan", "--config", str(next_config), "--json")
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        writes = {write["key"]: write for write in plan["writes"]}
        assert set(writes) == {"acme/web#1", "acme/web#2", "acme/web#3", "acme/web#6"}
        assert {write["kind"] for write in writes.values()} == {"comment"}
        assert "+- **ENG-1.4** Make the pricing page fast: **0%** (0 of 1 task done)" in writes["acme/web#6"]["diff"]
        assert "-> ⚠️ Label `kr:ENG-1.4` names no key result ENG-1.4." in writes["acme/web#6"]["diff"]
        assert NO_LONGER_COUNTS in writes["acme/web#3"]["new_text"]
        assert "(1 of 2 tasks done)" in writes["acme/web#1"]["new_text"]
        (source,) = plan["sources"]
        assert (source["source"], source["writes"], source["by_kind"]) == ("acme-github", 4, {"comment": 4})
        assert source["tasks"] == 7
        assert plan["total_writes"] == 4
        assert plan["problems"] == []

    def test_old_text_is_what_the_tracker_shows(self, world: AdminWorld, next_config: Path) -> None:
        plan = json.loads(world.syncd("plan", "--config", str(next_config), "--json").stdout)
        (write,) = [w for w in plan["writes"] if w["key"] == "acme/web#3"]
        assert write["old_known"] is True
        assert write["url"] == world.sim.issue("acme/web", 3)["html_url"]
        assert [write["old_text"]] == [c.body for c in world.sim.comments("acme/web", 3)]

    def test_nothing_is_written_to_the_tracker_or_the_store(self, world: AdminWorld, next_config: Path) -> None:
        before_store, before_comments = store_dump(world), github_comments(world)
        world.sim.clear_requests()
        result = world.syncd("plan", "--config", str(next_config))
        assert result.exit_code == 0, result.output
        requests = world.sim.requests
        assert requests, "the plan read the tracker"
        assert [(r.method, r.path) for r in requests if r.method in WRITES] == []
        assert {r.method for r in requests} == {"GET"}
        assert store_dump(world) == before_store
        assert github_comments(world) == before_comments

    def test_human_output_shows_targets_diffs_and_totals(self, world: AdminWorld, next_config: Path) -> None:
        result = world.syncd("plan", "--config", str(next_config))
        out = result.stdout
        assert "nothing was written" in out
        assert f"comment acme-github acme/web#3  {world.sim.issue('acme/web', 3)['html_url']}" in out
        assert "--- acme-github comment acme/web#3 (applied)" in out
        assert "+++ acme-github comment acme/web#3 (planned)" in out
        assert f"+{NO_LONGER_COUNTS}" in out
        assert "1 partition, 7 tasks, 1 request" in out
        assert "80 per min, 500 per h" in out
        assert "Total: 4 writes" in out


class TestOtherOutcomes:
    """An unchanged config, no store yet, an invalid config, an unreachable tracker."""

    def test_the_running_config_plans_no_write(self, world: AdminWorld) -> None:
        result = world.syncd("plan")
        assert result.exit_code == 0, result.output
        assert "Nothing to write" in result.stdout
        assert "Total: 0 writes" in result.stdout

    def test_without_a_store_every_linked_task_gets_a_new_comment(self, world: AdminWorld, tmp_path: Path) -> None:
        missing = tmp_path / "fresh" / "syncd.db"
        missing.parent.mkdir()
        result = world.syncd("plan", "--json", env={"SYNCD_DATABASE_URL": f"sqlite:///{missing}"})
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        assert plan["baseline"] == "an empty store (no store yet)"
        assert {w["key"] for w in plan["writes"]} == {f"acme/web#{n}" for n in (1, 2, 3, 4, 6, 7)}
        assert all(w["old_known"] is False and "(not written by syncd yet)" in w["diff"] for w in plan["writes"])
        assert not missing.exists()

    def test_an_interrupted_write_is_planned_again_with_its_old_text_unknown(self, world: AdminWorld) -> None:
        engine = world.engine()
        try:
            with engine.begin() as conn:  # the daemon died between a write to #3 and its record
                query = PUSH_TARGETS.c.key == "acme/web#3"
                conn.execute(update(PUSH_TARGETS).where(query).values(inflight_hash=PUSH_TARGETS.c.desired_hash))
        finally:
            engine.dispose()
        plan = json.loads(world.syncd("plan", "--json").stdout)
        (write,) = plan["writes"]
        assert (write["key"], write["old_known"]) == ("acme/web#3", False)
        assert "(unknown: a write was interrupted)" in write["diff"]

    def test_an_invalid_config_exits_2_listing_the_problems(self, world: AdminWorld) -> None:
        bad = world.directory / "bad.yaml"
        bad.write_text(world.config_path.read_text().replace("measure: count", "measure: counted"))
        result = world.syncd("plan", "--config", str(bad))
        assert result.exit_code == 2
        assert "measure" in result.stderr
        assert "config invalid: 1 problem" in result.stderr

    def test_a_tracker_that_refuses_makes_the_plan_incomplete(self, world: AdminWorld) -> None:
        result = world.syncd("plan", env={"GITHUB_TOKEN": "ghp_revoked-0123456789"})
        assert result.exit_code == 1
        assert "incomplete: acme-github: could not list every task" in result.stdout
        assert "ghp_revoked-0123456789" not in result.output


class TestWriteBudget:
    """The time the writes need at GitHub's pace: 80 a minute, 500 an hour (the pusher's own pacer)."""

    LIMITS = (RateLimit(80, timedelta(minutes=1)), RateLimit(500, timedelta(hours=1)))

    @pytest.mark.parametrize(("writes", "seconds"), [(0, 0), (80, 0), (81, 60), (200, 120), (501, 3600)])
    def test_writes_take_the_time_the_limits_allow(self, writes: int, seconds: float) -> None:
        assert budget_seconds(self.LIMITS, writes) == seconds
