"""Writing back through the real adapter: one comment per issue under an id syncd derives (so a retry after a lost
answer, or a lost stored id, finds the same comment), never a second one; the progress attachment upserted by url."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.linear.push import GENERATIONS, attachment_url, comment_id
from syncd.core.errors import Permanent
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.linear import LinearSimulator

TEXT = "**OKR progress** for this task\n\n- **ENG-1.1** Ship it: **50%** (1 of 2 tasks done), on track\n"


def comment(key: str, text: str = TEXT, **options: Any) -> PushWrite:
    return PushWrite(WriteKind.COMMENT, key, text=text, **options)


class TestProgressComment:
    """Created once under the derived id, then edited in place."""

    def test_created_with_the_derived_id_then_edited(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """The first write creates (one request), the next edits the same comment."""
        key = linear_sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        adapter = make_adapter()
        task = TaskRef("acme-linear", key)
        first = adapter.apply(task, comment(key))
        assert first.created
        assert first.remote_id == comment_id("acme-linear", linear_sim.issue(key).id)
        again = adapter.apply(task, comment(key, TEXT.replace("50%", "100%"), remote_id=first.remote_id))
        assert (again.remote_id, again.created) == (first.remote_id, False)
        (only,) = linear_sim.comments(key)
        assert (only.id, "100%" in only.body, "<!--" in only.body) == (first.remote_id, True, False)

    def test_a_retry_after_a_lost_answer_finds_the_same_comment(
        self, linear_sim: LinearSimulator, make_adapter: Any
    ) -> None:
        """The create landed but its answer was lost: the unknown retry is refused as a duplicate, then edits."""
        key = linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        task = TaskRef("acme-linear", key)
        adapter.apply(task, comment(key))
        retried = adapter.apply(task, comment(key, TEXT.replace("50%", "67%"), unknown=True))
        assert not retried.created
        (only,) = linear_sim.comments(key)
        assert "67%" in only.body

    def test_a_lost_stored_id_is_found_again(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """A restored store without the remote id: the derived id names the comment; no second one."""
        key = linear_sim.create_issue("ENG", "Ship it")
        first = make_adapter().apply(TaskRef("acme-linear", key), comment(key))
        again = make_adapter().apply(TaskRef("acme-linear", key), comment(key, TEXT.replace("50%", "75%")))
        assert (again.remote_id, len(linear_sim.comments(key))) == (first.remote_id, 1)

    def test_a_comment_deleted_by_a_person_is_made_again_under_the_next_id(
        self, linear_sim: LinearSimulator, make_adapter: Any
    ) -> None:
        """Linear keeps a deleted comment's id taken: the next generation's id makes the new one."""
        key = linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        first = adapter.apply(TaskRef("acme-linear", key), comment(key))
        assert first.remote_id is not None
        linear_sim.delete_comment(first.remote_id)
        second = adapter.apply(TaskRef("acme-linear", key), comment(key, remote_id=first.remote_id))
        assert second.created
        assert second.remote_id == comment_id("acme-linear", linear_sim.issue(key).id, 1)
        assert [c.id for c in linear_sim.comments(key)] == [second.remote_id]

    def test_too_many_deletions_stop_with_a_reason(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """After GENERATIONS deleted comments syncd refuses to go on (Permanent, saying what to do)."""
        key = linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        for _ in range(GENERATIONS):
            made = adapter.apply(TaskRef("acme-linear", key), comment(key))
            assert made.remote_id is not None
            linear_sim.delete_comment(made.remote_id)
        with pytest.raises(Permanent, match="deleted"):
            adapter.apply(TaskRef("acme-linear", key), comment(key))

    def test_sources_get_their_own_comments(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Two sources on one workspace derive different ids: two comments, one each."""
        key = linear_sim.create_issue("ENG", "Ship it")
        make_adapter().apply(TaskRef("acme-linear", key), comment(key))
        make_adapter(name="other-linear").apply(TaskRef("other-linear", key), comment(key))
        assert len(linear_sim.comments(key)) == 2


class TestProgressAttachment:
    """With `attachment: true`, one attachment per issue, updated by its stable url."""

    def test_one_attachment_with_the_progress(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Written twice: one attachment, titled with the percentage, its whole-percent fraction in the metadata."""
        key = linear_sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        adapter = make_adapter(attachment=True)
        task = TaskRef("acme-linear", key)
        (snapshot,) = adapter.reconcile("ENG", datetime.now(UTC)).snapshots
        assert adapter.targets(snapshot) == [WriteKind.COMMENT, WriteKind.FIELD]
        adapter.apply(task, PushWrite(WriteKind.FIELD, key, number=1 / 3))
        adapter.apply(task, PushWrite(WriteKind.FIELD, key, number=0.504))
        (only,) = linear_sim.attachments(key)
        assert (only.title, only.metadata["progress"], only.metadata["percent"]) == ("OKR progress 50%", 0.5, 50)
        assert only.url == attachment_url("acme-linear", linear_sim.issue(key).id)
        assert "50%" in (only.subtitle or "")

    def test_without_attachment_only_a_comment_is_a_target(
        self, linear_sim: LinearSimulator, make_adapter: Any
    ) -> None:
        """The default writes no attachment."""
        linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        (snapshot,) = adapter.reconcile("ENG", datetime.now(UTC)).snapshots
        assert adapter.targets(snapshot) == [WriteKind.COMMENT]
