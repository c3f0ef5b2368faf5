"""Writing progress back to GitLab: one Markdown note per issue or merge request, created once, edited in place,
found again by its hidden marker when its id is lost, late duplicates deleted after an unknown write, people's
notes left alone, `weight` never touched; writes paced to gitlab.com's 60 note creations a minute."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.gitlab.adapter import NOTES_PER_MINUTE
from syncd.core.errors import Permanent
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.gitlab import GitLabSimulator

SOURCE = "acme-gitlab"


def write(task: str, text: str, remote_id: str | None = None, *, unknown: bool = False) -> tuple[TaskRef, PushWrite]:
    """The note write for `task`."""
    return TaskRef(SOURCE, task), PushWrite(WriteKind.COMMENT, task, text=text, remote_id=remote_id, unknown=unknown)


def marker(task: str) -> str:
    """The hidden marker syncd's note on `task` carries."""
    return f"<!-- syncd:task={SOURCE}:{task} -->"


@pytest.mark.parametrize("kind", ["issue", "merge_request"])
class TestProgressNote:
    """One note per task, on issues and merge requests alike."""

    def _task(self, sim: GitLabSimulator, kind: str) -> str:
        if kind == "issue":
            return sim.create_issue("acme/web", "Ship it", labels=["kr:ENG-1.1"])
        return sim.create_merge_request("acme/web", "Ship it", labels=["kr:ENG-1.1"])

    def test_created_once_then_edited_in_place(self, gitlab_sim: GitLabSimulator, make_adapter: Any, kind: str) -> None:
        """The second write edits the first note: same id, new text, the marker kept."""
        task = self._task(gitlab_sim, kind)
        adapter = make_adapter()
        first = adapter.apply(*write(task, "33%"))
        second = adapter.apply(*write(task, "50%", first.remote_id))
        notes = gitlab_sim.notes(task)
        assert (first.created, second.created, second.remote_id) == (True, False, first.remote_id)
        assert [(str(n.id), n.body) for n in notes] == [(first.remote_id, f"50%\n\n{marker(task)}")]

    def test_found_again_by_its_marker_after_its_id_is_lost(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any, kind: str
    ) -> None:
        """No stored id (a restored store): the marked note is edited, no second note; people's stay."""
        task = self._task(gitlab_sim, kind)
        gitlab_sim.comment(task, "Looks good to me")
        adapter = make_adapter()
        first = adapter.apply(*write(task, "33%"))
        again = adapter.apply(*write(task, "50%"))
        assert (again.remote_id, again.created) == (first.remote_id, False)
        assert [n.body for n in gitlab_sim.notes(task)] == ["Looks good to me", f"50%\n\n{marker(task)}"]

    def test_a_late_duplicate_is_deleted_after_an_unknown_write(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any, kind: str
    ) -> None:
        """A create whose answer was lost landed after all: the stored note is kept, the other deleted."""
        task = self._task(gitlab_sim, kind)
        adapter = make_adapter()
        first = adapter.apply(*write(task, "33%"))
        gitlab_sim.state.add_note(gitlab_sim.item(task), f"33%\n\n{marker(task)}", "syncd-bot")
        kept = adapter.apply(*write(task, "50%", first.remote_id, unknown=True))
        assert kept.remote_id == first.remote_id
        assert [(str(n.id), n.body) for n in gitlab_sim.notes(task)] == [(first.remote_id, f"50%\n\n{marker(task)}")]

    def test_a_deleted_note_is_created_again(self, gitlab_sim: GitLabSimulator, make_adapter: Any, kind: str) -> None:
        """Someone deleted syncd's note: the stored id answers 404, no marker is found, a new one is made."""
        task = self._task(gitlab_sim, kind)
        adapter = make_adapter()
        first = adapter.apply(*write(task, "33%"))
        gitlab_sim.state.delete_note(gitlab_sim.item(task), int(str(first.remote_id)))
        again = adapter.apply(*write(task, "50%", first.remote_id))
        assert (again.created, len(gitlab_sim.notes(task))) == (True, 1)


def test_weight_is_never_written(gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
    """The issue's weight is the team's planning data: no request writes the issue itself."""
    task = gitlab_sim.create_issue("acme/web", "Ship it")
    gitlab_sim.item(task).weight = 5
    make_adapter().apply(*write(task, "50%"))
    assert gitlab_sim.item(task).weight == 5
    assert [r for r in gitlab_sim.requests if r.method == "PUT" and not r.path.endswith("/notes")] == []


def test_other_writes_are_refused_and_pacing_is_gitlab_coms(make_adapter: Any) -> None:
    """Notes, and fields only with progress_field; writes paced to 60 a minute, one at a time (or `writes_per_minute`)."""
    adapter = make_adapter()
    with pytest.raises(Permanent, match="no goal targets"):
        adapter.apply(None, PushWrite(WriteKind.GOAL, "ENG-1.1", number=0.5))
    with pytest.raises(Permanent, match="no progress_field is configured"):
        adapter.apply(None, PushWrite(WriteKind.FIELD, "acme/web#1", number=0.5))
    (limit,) = adapter.write_limits
    assert (limit.count, limit.period.total_seconds(), adapter.max_concurrent_writes) == (NOTES_PER_MINUTE, 60.0, 1)
    (slower,) = make_adapter(writes_per_minute=20).write_limits
    assert slower.count == 20
