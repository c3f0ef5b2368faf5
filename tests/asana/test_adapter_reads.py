"""Polling and fetching through the real SDK against the simulator: sync tokens, compact events -> batched
fetches, state mapping, tasks leaving, 412 resync, subtasks."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.asana.adapter import AsanaAdapter
from syncd.core.model import TaskSnapshot, TaskState
from syncd.ports import Bookmark, PollResult
from syncd.simulators.asana import AsanaSimulator
from tests.support.asana_sim import AsanaWorld, MakeAdapter


def now() -> datetime:
    """The poll's start time."""
    return datetime.now(UTC)


def by_id(result: PollResult) -> dict[str, TaskSnapshot]:
    """Snapshots of a poll by task gid."""
    return {snap.external_id: snap for snap in result.snapshots}


def backfill(adapter: AsanaAdapter, project: str) -> PollResult:
    """The first poll of a project (no bookmark)."""
    return adapter.poll(None, project, now())


class TestFirstPoll:
    """The first poll takes a sync token and lists the whole project."""

    def test_it_lists_every_task_with_its_state_and_keeps_a_sync_token(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Completed -> done, Doing -> in progress, Won't do -> dropped, else open; tags become labels."""
        web = asana_world.web
        todo = asana_sim.create_task("Write docs", project=web, tags=["kr:ENG-1.1"])
        doing = asana_sim.create_task("Build", project=web, section=asana_world.section(web, "Doing"))
        done = asana_sim.create_task("Design", project=web, completed=True)
        dropped = asana_sim.create_task(
            "Old idea", project=web, section=asana_world.section(web, "Won't do"), completed=True
        )
        result = backfill(asana_adapter, web)
        states = {gid: snap.state for gid, snap in by_id(result).items()}
        assert states == {
            todo.gid: TaskState.OPEN,
            doing.gid: TaskState.IN_PROGRESS,
            done.gid: TaskState.DONE,
            dropped.gid: TaskState.DROPPED,
        }
        assert by_id(result)[todo.gid].labels == ("kr:ENG-1.1",)
        assert by_id(result)[todo.gid].container == web
        assert by_id(result)[todo.gid].url.endswith(f"/{todo.gid}")
        assert result.complete
        assert result.bookmark.cursor
        assert result.requests == 2  # the 412 that hands out the token, one page of tasks

    def test_an_idle_poll_costs_one_request_and_finds_nothing(
        self, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """With nothing changed, a poll is one Events API call."""
        first = backfill(asana_adapter, asana_world.web)
        idle = asana_adapter.poll(first.bookmark, asana_world.web, now())
        assert (idle.snapshots, idle.complete, idle.requests) == ((), False, 1)


class TestCompactEvents:
    """Later polls fetch only the tasks the events name, in one batched request."""

    def test_changed_tasks_are_fetched_together_with_their_new_state(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Completed, tagged and moved tasks come back in one /batch request."""
        web = asana_world.web
        tasks = [asana_sim.create_task(f"Task {n}", project=web) for n in range(4)]
        first = backfill(asana_adapter, web)
        asana_sim.complete_task(tasks[0].gid)
        asana_sim.add_tag(tasks[1].gid, "kr:ENG-1.2")
        asana_sim.move_to_section(tasks[2].gid, asana_world.section(web, "Doing"))
        result = asana_adapter.poll(first.bookmark, web, now())
        snaps = by_id(result)
        assert set(snaps) == {tasks[0].gid, tasks[1].gid, tasks[2].gid}
        assert (snaps[tasks[0].gid].state, snaps[tasks[1].gid].labels, snaps[tasks[2].gid].state) == (
            TaskState.DONE,
            ("kr:ENG-1.2",),
            TaskState.IN_PROGRESS,
        )
        assert result.requests == 2  # events + one batch
        assert asana_sim.log.count("POST", "^/batch$") == 1

    def test_a_tag_added_then_removed_is_seen_each_time(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """The label appears, then disappears."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        bookmark = backfill(asana_adapter, asana_world.web).bookmark
        asana_sim.add_tag(task.gid, "kr:ENG-1.1")
        tagged = asana_adapter.poll(bookmark, asana_world.web, now())
        asana_sim.remove_tag(task.gid, "kr:ENG-1.1")
        untagged = asana_adapter.poll(tagged.bookmark, asana_world.web, now())
        assert (by_id(tagged)[task.gid].labels, by_id(untagged)[task.gid].labels) == (("kr:ENG-1.1",), ())

    def test_completed_then_reopened(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """done, then open again."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        bookmark = backfill(asana_adapter, asana_world.web).bookmark
        asana_sim.complete_task(task.gid)
        completed = asana_adapter.poll(bookmark, asana_world.web, now())
        asana_sim.complete_task(task.gid, completed=False)
        reopened = asana_adapter.poll(completed.bookmark, asana_world.web, now())
        assert (by_id(completed)[task.gid].state, by_id(reopened)[task.gid].state) == (TaskState.DONE, TaskState.OPEN)

    def test_moves_between_sections_change_the_state(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """To do -> Doing -> Won't do: open, in progress, dropped."""
        web = asana_world.web
        task = asana_sim.create_task("Ship", project=web)
        bookmark = backfill(asana_adapter, web).bookmark
        states = []
        for section in ("Doing", "Won't do"):
            asana_sim.move_to_section(task.gid, asana_world.section(web, section))
            result = asana_adapter.poll(bookmark, web, now())
            bookmark = result.bookmark
            states.append(by_id(result)[task.gid].state)
        assert states == [TaskState.IN_PROGRESS, TaskState.DROPPED]

    def test_a_deleted_task_and_a_task_removed_from_the_project_leave(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Both come back as deleted snapshots of the project."""
        doomed = asana_sim.create_task("Doomed", project=asana_world.web)
        moved = asana_sim.create_task("Moved away", project=asana_world.web)
        bookmark = backfill(asana_adapter, asana_world.web).bookmark
        asana_sim.delete_task(doomed.gid)
        asana_sim.remove_from_project(moved.gid, asana_world.web)
        snaps = by_id(asana_adapter.poll(bookmark, asana_world.web, now()))
        assert {gid: (s.deleted, s.container) for gid, s in snaps.items()} == {
            doomed.gid: (True, asana_world.web),
            moved.gid: (True, asana_world.web),
        }

    def test_our_own_comments_cause_no_fetch(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A comment story changes no state, so it is not worth a request."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        bookmark = backfill(asana_adapter, asana_world.web).bookmark
        asana_sim.add_comment(task.gid, "Progress: 10%")
        result = asana_adapter.poll(bookmark, asana_world.web, now())
        assert (result.snapshots, result.requests) == ((), 1)


class TestResync:
    """An expired token or a reshaped project means a full listing."""

    def test_an_expired_token_answers_412_and_the_project_is_listed_again(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """The poll returns every task, complete, with the fresh token as the new bookmark."""
        tasks = [asana_sim.create_task(f"Task {n}", project=asana_world.web) for n in range(3)]
        first = backfill(asana_adapter, asana_world.web)
        asana_sim.expire_sync_tokens()
        resynced = asana_adapter.poll(first.bookmark, asana_world.web, now())
        assert resynced.complete
        assert set(by_id(resynced)) == {t.gid for t in tasks}
        assert resynced.bookmark.cursor not in {None, first.bookmark.cursor}
        assert resynced.requests == 2  # the 412 (with the fresh token) and one page
        assert asana_adapter.poll(resynced.bookmark, asana_world.web, now()).requests == 1

    def test_a_renamed_section_relists_the_project(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Renaming "Doing" to "Parked" takes its tasks out of in progress."""
        doing = asana_world.section(asana_world.web, "Doing")
        task = asana_sim.create_task("Ship", project=asana_world.web, section=doing)
        bookmark = backfill(asana_adapter, asana_world.web).bookmark
        asana_sim.rename_section(doing, "Parked")
        result = asana_adapter.poll(bookmark, asana_world.web, now())
        assert result.complete
        assert by_id(result)[task.gid].state == TaskState.OPEN

    def test_a_bookmark_without_a_cursor_is_a_first_poll(
        self, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A bookmark saved before any token (or cleared by an admin) lists the project."""
        assert asana_adapter.poll(Bookmark(asana_world.web), asana_world.web, now()).complete


class TestFetch:
    """Fetches are batched, ten tasks per request."""

    def test_25_tasks_take_three_requests_and_unknown_ones_are_missing(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """404s inside the batch are reported as missing, not raised."""
        gids = [asana_sim.create_task(f"Task {n}", project=asana_world.api).gid for n in range(24)]
        result = asana_adapter.fetch([*gids, "404404"])
        assert len(result.snapshots) == 24
        assert result.missing == ("404404",)
        assert asana_sim.log.count("POST", "^/batch$") == 3

    def test_links_points_and_numbers_come_from_custom_fields_and_projects(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """The KR enum field and project_krs link; Points weigh; number fields are kept by name."""
        adapter = make_asana_adapter(
            match={"enum_field": "Key result", "project_krs": {asana_world.api: ["API-2.1"]}}, points_field="Points"
        )
        values = {"Key result": "ENG-1.2", "Points": 3, "Progress %": 40}
        task = asana_sim.create_task("Ship", project=asana_world.api, custom_fields=values)
        snap = adapter.fetch([task.gid]).snapshots[0]
        assert snap.linked_krs == ("ENG-1.2", "API-2.1")
        assert snap.points == 3
        assert snap.number("Progress %") == 40


class TestSubtasks:
    """Subtasks count only when configured, in the container of their parent."""

    def test_subtasks_are_left_out_by_default(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Listing shows the parent only; fetching a subtask says it is out of scope (deleted)."""
        parent = asana_sim.create_task("Epic", project=asana_world.web)
        child = asana_sim.create_task("Part", parent=parent.gid)
        assert set(by_id(backfill(asana_adapter, asana_world.web))) == {parent.gid}
        assert asana_adapter.fetch([child.gid]).snapshots[0].deleted

    def test_included_subtasks_are_listed_and_fetched_with_their_ancestor_project(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """Nested subtasks belong to the configured project of their top ancestor."""
        adapter = make_asana_adapter(include_subtasks=True)
        parent = asana_sim.create_task("Epic", project=asana_world.web)
        child = asana_sim.create_task("Part", parent=parent.gid, completed=True)
        grandchild = asana_sim.create_task("Detail", parent=child.gid)
        listed = by_id(backfill(adapter, asana_world.web))
        fetched = adapter.fetch([grandchild.gid]).snapshots[0]
        assert set(listed) == {parent.gid, child.gid, grandchild.gid}
        assert (listed[child.gid].kind, listed[child.gid].state, listed[child.gid].container) == (
            "subtask",
            TaskState.DONE,
            asana_world.web,
        )
        assert (fetched.kind, fetched.container, fetched.deleted) == ("subtask", asana_world.web, False)
