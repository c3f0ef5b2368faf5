"""explain and plan on an Asana source (the simulator): task permalinks, and a plan that only reads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from syncd.simulators.asana import AsanaSimulator
from tests.admin.test_check_online import asana_source
from tests.support.admin_world import AdminWorld, github_source
from tests.support.asana_sim import AsanaWorld, asana_sim, asana_world

__all__ = ["asana_sim", "asana_world"]


@pytest.fixture
def asana_tasks(world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> dict[str, str]:
    """Three tasks in Asana's Web project (done and linked, open and linked, a near miss) beside the GitHub issues,
    both sources synced and commented on: ENG-1.1 is moved by three GitHub issues and two Asana tasks."""
    for tag in ("kr:ENG-1.1", "kr:ENG-1.l"):
        asana_sim.create_tag(asana_world.workspace, tag)
    tasks = {
        "done": asana_sim.create_task("Write the welcome guide", project=asana_world.web, tags=["kr:ENG-1.1"]).gid,
        "open": asana_sim.create_task("Record the demo video", project=asana_world.web, tags=["kr:ENG-1.1"]).gid,
        "typo": asana_sim.create_task("Translate the guide", project=asana_world.web, tags=["kr:ENG-1.l"]).gid,
    }
    asana_sim.complete_task(tasks["done"])
    world.write_config(sources=[github_source(world.sim), asana_source(asana_sim, asana_world)])
    world.sync_once()
    return tasks


class TestExplain:
    """An Asana task found by its permalink (any project in the link) or by source:gid."""

    def test_the_permalink_names_the_task(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_tasks: dict[str, str]
    ) -> None:
        permalink = asana_sim.task(asana_tasks["done"])["permalink_url"]
        result = world.syncd("explain", permalink, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["task"]["external_id"] == asana_tasks["done"]
        (link,) = report["explanation"]["links"]
        assert (link["kr_id"], link["credit"], link["share"]) == ("ENG-1.1", 1.0, 0.2)
        assert link["note"] == "weight 1 of 5 in total, credit 1"
        (comment,) = [t for t in report["targets"] if t["kind"] == "comment"]
        assert comment["applied"] is True
        assert f"[syncd acme-asana:{asana_tasks['done']}]" in comment["desired_text"]

    def test_an_app_link_with_another_project_and_focus_mode_finds_it(
        self, world: AdminWorld, asana_tasks: dict[str, str]
    ) -> None:
        result = world.syncd("explain", f"https://app.asana.com/0/0/{asana_tasks['typo']}/f")
        assert result.exit_code == 0, result.output
        assert "near miss: label 'kr:ENG-1.l' one edit away from ENG-1.1" in result.stdout

    @pytest.mark.parametrize("suffix", ["", "?format=json"])
    def test_the_simulator_task_page_the_sandbox_prints_finds_it(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_tasks: dict[str, str], suffix: str
    ) -> None:
        result = world.syncd("explain", f"{asana_sim.url}/_sim/tasks/{asana_tasks['open']}{suffix}")
        assert result.exit_code == 0, result.output
        assert "Record the demo video" in result.stdout

    def test_a_gid_alone_finds_it(self, world: AdminWorld, asana_tasks: dict[str, str]) -> None:
        result = world.syncd("explain", asana_tasks["open"])
        assert result.exit_code == 0, result.output
        assert "Record the demo video" in result.stdout

    def test_a_source_ref_that_is_no_gid_cannot_be_read(self, world: AdminWorld, asana_tasks: dict[str, str]) -> None:
        result = world.syncd("explain", "acme-asana:acme/web#1")
        assert result.exit_code == 1
        assert "cannot read 'acme-asana:acme/web#1' as a task" in result.stderr
        assert "acme-asana:" in result.stderr

    def test_the_project_is_named_by_its_name(
        self, world: AdminWorld, asana_world: AsanaWorld, asana_tasks: dict[str, str]
    ) -> None:
        result = world.syncd("explain", f"acme-asana:{asana_tasks['open']}")
        assert result.exit_code == 0, result.output
        assert f"in project Web ({asana_world.web})" in result.stdout
        report = json.loads(world.syncd("explain", f"acme-asana:{asana_tasks['open']}", "--json").stdout)
        assert (report["task"]["container"], report["container_name"]) == (asana_world.web, "Web")

    def test_an_unreachable_tracker_leaves_the_gid_and_says_so(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_tasks: dict[str, str]
    ) -> None:
        asana_sim.stop()
        started = time.monotonic()
        result = world.syncd("explain", f"acme-asana:{asana_tasks['open']}")
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started < 8
        assert f"in {asana_world.web} (project name not read" in result.stdout

    def test_source_and_gid(self, world: AdminWorld, asana_tasks: dict[str, str]) -> None:
        result = world.syncd("explain", f"acme-asana:{asana_tasks['open']}")
        assert result.exit_code == 0, result.output
        assert "Record the demo video" in result.stdout


class TestPlan:
    """A plan for an Asana source reads the projects (GET) and writes nothing."""

    def test_a_metric_kr_with_no_check_in_plans_no_goal_write_and_says_why(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_world: AsanaWorld, tmp_path: Path
    ) -> None:
        """On a fresh store, ENG-1.2 (metric, start 7) has no check-in: its goal is left as people set it
        (not set to 7), and the plan says why; ENG-1.1 (tasks) feeds its goal."""
        goals = {"ENG-1.1": asana_world.goal, "ENG-1.2": asana_world.goal}
        world.write_config(sources=[github_source(world.sim), asana_source(asana_sim, asana_world, goals=goals)])
        fresh = {"SYNCD_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
        result = world.syncd("plan", "--json", env=fresh)
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        assert [w["key"] for w in plan["writes"] if w["kind"] == "goal"] == ["ENG-1.1"]
        (note,) = plan["held"]
        assert "goal ENG-1.2" in note
        assert "no current value yet" in note
        assert "syncd checkin ENG-1.2" in note
        human = world.syncd("plan", env=fresh)
        assert "goal ENG-1.2 (acme-asana): nothing to write, no current value yet" in human.stdout

    def test_adding_a_kr_plans_comment_changes_with_only_reads(
        self, world: AdminWorld, asana_sim: AsanaSimulator, asana_tasks: dict[str, str]
    ) -> None:
        asana_sim.add_tag(asana_tasks["open"], "kr:ENG-1.l")  # now also names a KR that does not exist
        before = len(asana_sim.requests)
        result = world.syncd("plan", "--json")
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        assert {(w["kind"], w["key"]) for w in plan["writes"]} == {("comment", asana_tasks["open"])}
        (write,) = plan["writes"]
        assert "Label <code>kr:ENG-1.l</code> names no key result" in write["new_text"]
        made = asana_sim.requests[before:]
        assert made
        assert {r.method for r in made} == {"GET"}
