"""Writing progress back to Jira: one comment per issue (ADF on Cloud, wiki markup on Data Center), edited in place
without notifying watchers, found again through the issue property `syncd.progress` when its id is lost, never a
second one; the progress field. Every test runs on both flavours."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.jira.render import dump_document
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.jira import JiraSimulator
from syncd.simulators.jira.render import body_text
from tests.jira.support import FLAVOURS

pytestmark = pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)


def document(text: str) -> str:
    """An ADF comment saying `text`, as the renderer writes it."""
    return dump_document(
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}
    )


def comment_write(text: str, remote_id: str | None = None, *, unknown: bool = False) -> PushWrite:
    """The progress comment write for ENG-1."""
    return PushWrite(WriteKind.COMMENT, "ENG-1", text=document(text), remote_id=remote_id, unknown=unknown)


def texts(sim: JiraSimulator) -> list[str]:
    """ENG-1's comments as text."""
    return [body_text(c.body).strip() for c in sim.comments("ENG-1")]


def person_body(sim: JiraSimulator, text: str) -> dict[str, Any] | str:
    """A comment body as someone writes it on the site's flavour (ADF on Cloud, wiki markup on Data Center)."""
    if not sim.site.cloud:
        return text
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


TASK = TaskRef("acme-jira", "ENG-1")


class TestProgressComment:
    """Created once, then edited in place."""

    def test_created_once_then_edited_in_place_without_notifications(
        self, jira_sim: JiraSimulator, make_adapter: Any
    ) -> None:
        """The second write edits the first comment with notifyUsers=false."""
        jira_sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        adapter = make_adapter()
        created = adapter.apply(TASK, comment_write("50%"))
        assert created.created
        edited = adapter.apply(TASK, comment_write("100%", created.remote_id))
        assert (edited.remote_id, edited.created) == (created.remote_id, False)
        assert texts(jira_sim) == ["100%"]
        (edit,) = [r for r in jira_sim.requests if r.method == "PUT" and "/comment/" in r.path]
        assert edit.param("notifyUsers") == "false"

    def test_an_edit_by_its_stored_id_is_one_request(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """With the comment's id at hand nothing is looked up: one PUT, under the flavour's REST version."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        created = adapter.apply(TASK, comment_write("50%"))
        mark = len(jira_sim.requests)
        adapter.apply(TASK, comment_write("67%", created.remote_id))
        asked = [(r.method, r.path) for r in jira_sim.requests[mark:]]
        assert asked == [("PUT", f"{jira_sim.site.api}/issue/ENG-1/comment/{created.remote_id}")]

    def test_the_body_is_the_flavours_markup(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Cloud stores the ADF document as rendered; Data Center stores the same words as wiki markup."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        rendered = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "OKR progress", "marks": [{"type": "strong"}]}, {"type": "text", "text": " 67%"}]}]}  # fmt: skip
        adapter.apply(TASK, PushWrite(WriteKind.COMMENT, "ENG-1", text=dump_document(rendered)))
        (comment,) = jira_sim.comments("ENG-1")
        assert comment.body == (rendered if jira_sim.site.cloud else "*OKR progress* 67%")

    def test_found_again_through_the_issue_property_after_the_id_is_lost(
        self, jira_sim: JiraSimulator, make_adapter: Any
    ) -> None:
        """No stored id (a restored store): the property names the comment, which is edited without reading the
        issue's comments (an issue may have hundreds); no second comment."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        first = adapter.apply(TASK, comment_write("50%"))
        mark = len(jira_sim.requests)
        again = adapter.apply(TASK, comment_write("67%"))
        assert (again.remote_id, again.created) == (first.remote_id, False)
        assert texts(jira_sim) == ["67%"]
        asked = [(r.method, r.path) for r in jira_sim.requests[mark:]]
        api = jira_sim.site.api
        assert asked == [
            ("GET", f"{api}/issue/ENG-1/properties/syncd.progress"),
            ("PUT", f"{api}/issue/ENG-1/comment/{first.remote_id}"),
            ("PUT", f"{api}/issue/ENG-1/properties/syncd.progress"),
        ]
        assert jira_sim.issue("ENG-1").properties["syncd.progress"] == {
            "source": "acme-jira",
            "commentId": first.remote_id,
        }

    def test_found_again_by_its_own_property_when_the_issue_property_is_gone_too(
        self, jira_sim: JiraSimulator, make_adapter: Any
    ) -> None:
        """An unknown outcome and no issue property (a crash between the two writes): the comments are read,
        ours is recognised by its comment property, edited, and the issue property is set again."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        first = adapter.apply(TASK, comment_write("50%"))
        jira_sim.issue("ENG-1").properties.clear()
        again = adapter.apply(TASK, comment_write("67%", unknown=True))
        assert (again.remote_id, again.created) == (first.remote_id, False)
        assert texts(jira_sim) == ["67%"]
        assert jira_sim.issue("ENG-1").properties["syncd.progress"]["commentId"] == first.remote_id

    def test_a_duplicate_left_by_a_lost_answer_is_removed(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Two comments of ours (a create that landed unseen): the stored one stays, the other goes."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        first = adapter.apply(TASK, comment_write("50%"))
        second = adapter.apply(TASK, comment_write("50%", unknown=True))
        assert second.remote_id == first.remote_id
        adapter.client.create_comment(
            "ENG-1", person_body(jira_sim, "stale"), {"syncd.progress": {"source": "acme-jira"}}
        )
        kept = adapter.apply(TASK, comment_write("67%", first.remote_id, unknown=True))
        assert kept.remote_id == first.remote_id
        assert texts(jira_sim) == ["67%"]

    def test_peoples_comments_are_left_alone(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """A comment without our property is never edited or taken for ours."""
        key = jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        adapter.client.create_comment(key, person_body(jira_sim, "LGTM"), {})
        adapter.apply(TASK, comment_write("50%", unknown=True))
        assert texts(jira_sim) == ["LGTM", "50%"]


class TestProgressField:
    """`progress_field` gets the KR's progress as 0-100."""

    def test_the_field_is_written_as_a_percentage_without_notifications(
        self, jira_sim: JiraSimulator, make_adapter: Any
    ) -> None:
        """2/3 -> 67 on customfield_10050, `PUT /issue/ENG-1?notifyUsers=false`."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter(progress_field="customfield_10050")
        adapter.apply(TASK, PushWrite(WriteKind.FIELD, "ENG-1", number=2 / 3))
        assert jira_sim.issue("ENG-1").fields["customfield_10050"] == 67.0
        (put,) = [r for r in jira_sim.requests if r.method == "PUT" and r.path == f"{jira_sim.site.api}/issue/ENG-1"]
        assert put.param("notifyUsers") == "false"
