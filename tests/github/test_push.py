"""Writes through the real PyGithub client: one comment per task, edited in place, found again by the marker the
adapter knows (the Markdown rendering's; the runtime hands over none)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.github.adapter import GitHubAdapter
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef, TaskSnapshot, TaskState
from syncd.core.render import MARKDOWN
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.github import GitHubSimulator
from tests.support.github_sim import GITHUB_LOGIN, GITHUB_SOURCE, github_source_config


def marker(number: int) -> str:
    """The hidden marker the Markdown rendering of acme/web#number's comment carries (the adapter's own)."""
    return MARKDOWN.marker(TaskRef(GITHUB_SOURCE, f"acme/web#{number}"))


def comment(number: int, text: str, remote_id: str | None = None) -> PushWrite:
    """A comment write for acme/web#number as the pusher makes it: the rendered text, marker included."""
    return PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text=f"{text}\n{marker(number)}", remote_id=remote_id)


def linked_task(number: int) -> TaskSnapshot:
    """A minimal linked task of acme/web, for `targets`."""
    return TaskSnapshot("acme-github", f"acme/web#{number}", "", "task", TaskState.OPEN, datetime.now(UTC))


def writes(sim: GitHubSimulator) -> list[tuple[str, str]]:
    """Method and path of every write request the simulator saw."""
    return [(r.method, r.path) for r in sim.requests if r.method != "GET"]


class TestTaskComment:
    """A task's progress comment is created once and then edited in place; never a second one."""

    def test_created_once_then_edited_in_place(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """First write creates (POST), later writes with the returned id PATCH the same comment."""
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        task = TaskRef("acme-github", f"acme/web#{number}")
        first = github_adapter.apply(task, comment(number, "ENG-1.1: 25%"))
        second = github_adapter.apply(task, comment(number, "ENG-1.1: 50%", remote_id=first.remote_id))
        third = github_adapter.apply(task, comment(number, "ENG-1.1: 75%", remote_id=second.remote_id))
        assert first.remote_id == second.remote_id == third.remote_id
        (only,) = github_sim.comments("acme/web", number)
        assert only.body.startswith("ENG-1.1: 75%")
        assert only.author == GITHUB_LOGIN
        assert str(only.id) == first.remote_id
        assert writes(github_sim) == [
            ("POST", f"/repos/acme/web/issues/{number}/comments"),
            ("PATCH", f"/repos/acme/web/issues/comments/{only.id}"),
            ("PATCH", f"/repos/acme/web/issues/comments/{only.id}"),
        ]

    def test_lost_id_is_recovered_by_marker(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """Without a remote id (a crash after the POST), the marker finds the comment: no second one."""
        number = github_sim.create_issue("acme/web", "task")
        github_sim.add_comment("acme/web", number, "a person's comment")
        first = github_adapter.apply(None, comment(number, "25%"))
        github_sim.add_comment("acme/web", number, "another person's comment")
        again = github_adapter.apply(None, comment(number, "50%"))
        assert again.remote_id == first.remote_id
        bodies = [c.body for c in github_sim.comments("acme/web", number)]
        assert len(bodies) == 3
        assert sum(marker(number) in body for body in bodies) == 1
        assert bodies[1].startswith("50%")

    def test_unchanged_comment_found_by_marker_is_not_rewritten(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """Recovering a comment whose body is already right costs reads only."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_adapter.apply(None, comment(number, "25%"))
        github_sim.clear_requests()
        again = github_adapter.apply(None, comment(number, "25%"))
        assert again.remote_id == first.remote_id
        assert writes(github_sim) == []

    def test_deleted_comment_is_created_again(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """A stored id whose comment a person deleted answers 404; the write then creates a fresh comment."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_adapter.apply(None, comment(number, "25%"))
        assert first.remote_id is not None
        github_sim.delete_comment("acme/web", int(first.remote_id))
        again = github_adapter.apply(None, comment(number, "50%", remote_id=first.remote_id))
        assert again.remote_id != first.remote_id
        (only,) = github_sim.comments("acme/web", number)
        assert only.body.startswith("50%")

    def test_marker_is_added_when_the_text_lacks_it(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A write without a marker still leaves one, so a lost id can always be recovered."""
        number = github_sim.create_issue("acme/web", "task")
        write = PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="ENG-1.1 is at 40%")
        github_adapter.apply(None, write)
        github_adapter.apply(None, write)
        (only,) = github_sim.comments("acme/web", number)
        ref = TaskRef(github_adapter.name, f"acme/web#{number}")
        assert only.body.endswith(MARKDOWN.marker(ref))  # the marker the rendering carries

    def test_comment_on_a_deleted_issue_fails_permanently(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """An issue that is gone (410) cannot take a comment: NotFound, which the pusher records."""
        number = github_sim.create_issue("acme/web", "task")
        github_sim.delete_issue("acme/web", number)
        with pytest.raises(NotFound, match="410"):
            github_adapter.apply(None, comment(number, "25%"))


def unknown(number: int, text: str, remote_id: str | None = None) -> PushWrite:
    """The same write after one whose outcome is unknown (a crash, or an answer lost on the way)."""
    return replace(comment(number, text, remote_id), unknown=True)


class TestUnknownOutcome:
    """After a write of unknown outcome the issue is read again, and exactly one comment of ours is left."""

    def test_duplicates_are_deleted_and_the_stored_comment_kept(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A create that landed late left a second comment with our marker: it is deleted, ours is edited."""
        number = github_sim.create_issue("acme/web", "task")
        late = github_sim.add_comment("acme/web", number, f"25%\n{marker(number)}")
        github_sim.add_comment("acme/web", number, "a person's comment")
        stored = github_sim.add_comment("acme/web", number, f"25%\n{marker(number)}")
        result = github_adapter.apply(None, unknown(number, "50%", remote_id=str(stored)))
        assert (result.remote_id, result.created) == (str(stored), False)
        bodies = {c.id: c.body for c in github_sim.comments("acme/web", number)}
        assert late not in bodies
        assert bodies[stored] == f"50%\n{marker(number)}"
        assert len(bodies) == 2
        assert ("DELETE", f"/repos/acme/web/issues/comments/{late}") in writes(github_sim)

    def test_without_a_stored_id_the_oldest_is_kept(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """Two comments of ours and no id to tell them apart: the first one stays, the later one goes."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_sim.add_comment("acme/web", number, f"25%\n{marker(number)}")
        github_sim.add_comment("acme/web", number, f"25%\n{marker(number)}")
        result = github_adapter.apply(None, unknown(number, "25%"))
        assert [c.id for c in github_sim.comments("acme/web", number)] == [first]
        assert result.remote_id == str(first)

    def test_a_right_comment_costs_reads_only(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """The PATCH that was in flight landed with the text wanted now: nothing is written."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_adapter.apply(None, comment(number, "25%"))
        github_sim.clear_requests()
        again = github_adapter.apply(None, unknown(number, "25%", remote_id=first.remote_id))
        assert (again.remote_id, again.created) == (first.remote_id, False)
        assert writes(github_sim) == []

    def test_a_wrong_comment_is_rewritten_by_its_stored_id(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """The PATCH that landed says B, the store wants A again: A is written back."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_adapter.apply(None, comment(number, "A"))
        github_adapter.apply(None, comment(number, "B", remote_id=first.remote_id))
        github_adapter.apply(None, unknown(number, "A", remote_id=first.remote_id))
        assert [c.body for c in github_sim.comments("acme/web", number)] == [f"A\n{marker(number)}"]

    def test_a_create_says_it_created(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """The pusher learns which writes created a comment (after an unknown create it checks again later)."""
        number = github_sim.create_issue("acme/web", "task")
        first = github_adapter.apply(None, unknown(number, "25%"))
        again = github_adapter.apply(None, unknown(number, "50%", remote_id=first.remote_id))
        assert (first.created, again.created) == (True, False)


class TestProjectField:
    """The optional Projects v2 field, set through GraphQL `updateProjectV2ItemFieldValue` (httpx)."""

    def test_number_field_is_set_on_the_tasks_item(self, github_sim: GitHubSimulator) -> None:
        """The field id is looked up once; the item id comes back as the remote id and is reused."""
        project = github_sim.create_project("OKRs", {"KR progress": "NUMBER"})
        number = github_sim.create_issue("acme/web", "task")
        item = github_sim.add_to_project(project, "acme/web", number)
        config = github_source_config(github_sim, project_field={"project_id": project, "field": "KR progress"})
        adapter = GitHubAdapter(config)
        try:
            write = PushWrite(WriteKind.FIELD, f"acme/web#{number}", number=0.4)
            first = adapter.apply(None, write)
            second = adapter.apply(None, PushWrite(WriteKind.FIELD, write.key, number=0.6, remote_id=first.remote_id))
            targets = adapter.targets(linked_task(number))
        finally:
            adapter.close()
        assert first.remote_id == second.remote_id == item
        assert github_sim.project_value(project, "acme/web", number, "KR progress") == 0.6
        operations = [r.json["query"].split("(")[0] for r in github_sim.requests if r.api == "graphql"]
        assert operations == [
            "query SyncdProjectField",
            "query SyncdProjectItems",
            "mutation SyncdSetProjectField",
            "mutation SyncdSetProjectField",
        ]
        assert list(targets) == [WriteKind.COMMENT, WriteKind.FIELD]

    def test_text_field_gets_a_percentage(self, github_sim: GitHubSimulator) -> None:
        """A text field receives the write's text, or the number as a percentage."""
        project = github_sim.create_project("OKRs", {"Progress": "TEXT"})
        number = github_sim.create_issue("acme/web", "task")
        github_sim.add_to_project(project, "acme/web", number)
        config = github_source_config(github_sim, project_field={"project_id": project, "field": "Progress"})
        adapter = GitHubAdapter(config)
        try:
            adapter.apply(None, PushWrite(WriteKind.FIELD, f"acme/web#{number}", number=0.25))
        finally:
            adapter.close()
        assert github_sim.project_value(project, "acme/web", number, "Progress") == "25%"

    def test_missing_field_or_item_is_permanent(self, github_sim: GitHubSimulator) -> None:
        """A field name the project lacks, or an issue outside the project, fail with what to fix."""
        project = github_sim.create_project("OKRs", {"Progress": "NUMBER"})
        number = github_sim.create_issue("acme/web", "not in the project")
        wrong = github_source_config(github_sim, project_field={"project_id": project, "field": "Nope"})
        right = github_source_config(github_sim, project_field={"project_id": project, "field": "Progress"})
        write = PushWrite(WriteKind.FIELD, f"acme/web#{number}", number=0.5)
        for config, message in ((wrong, "no number or text field named 'Nope'"), (right, "is not an item of project")):
            adapter = GitHubAdapter(config)
            try:
                with pytest.raises(Permanent, match=message):
                    adapter.apply(None, write)
            finally:
                adapter.close()


class TestSummaryIssue:
    """The optional per-KR summary issue: opened once (labelled), then its body edited."""

    def test_summary_issue_is_opened_once_and_edited(self, github_sim: GitHubSimulator) -> None:
        """The first write opens it in the first repo; a later write without id finds it by marker."""
        adapter = GitHubAdapter(github_source_config(github_sim, summary_issues=True))
        try:
            first = adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="ENG-1.1: 1 of 4 done"))
            edited = adapter.apply(
                None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="ENG-1.1: 2 of 4", remote_id=first.remote_id)
            )
            found = adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="ENG-1.1: 3 of 4"))
        finally:
            adapter.close()
        assert first.remote_id == edited.remote_id == found.remote_id == "acme/web#1"
        issue = github_sim.issue("acme/web", 1)
        assert issue["title"] == "Key result ENG-1.1: progress"
        assert [label["name"] for label in issue["labels"]] == ["okr-summary"]
        assert issue["body"].startswith("ENG-1.1: 3 of 4")
        assert len(github_sim.state.list_issues("acme/web", state="all")) == 1

    def test_summary_is_refused_when_off(self, github_adapter: GitHubAdapter) -> None:
        """Without summary_issues the write fails permanently and says which key turns it on."""
        with pytest.raises(Permanent, match="summary_issues: true"):
            github_adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="x"))
