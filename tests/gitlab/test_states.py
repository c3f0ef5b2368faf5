"""Issue 19's state mapping and links, read from REST and hook objects alike."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.gitlab.normalize import MERGE_REQUEST, snapshot_from_item, split_external_id
from tests.gitlab.support import gitlab_config

CONFIG = gitlab_config(in_progress_labels=["doing"], dropped_labels=["wontfix"])


def state(kind: str = "issue", **item: Any) -> str:
    """The state of an item with `item`'s attributes."""
    base = {"iid": 1, "state": "opened", "updated_at": "2026-12-03T10:00:00.000Z", "labels": []}
    return snapshot_from_item(CONFIG, base | item, kind, "acme/web").state.value


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({}, "open"),
        ({"labels": ["Doing"]}, "in_progress"),
        ({"state": "closed"}, "done"),
        ({"state": "closed", "labels": ["wontfix"]}, "dropped"),
        ({"state": "closed", "duplicated_to_id": 12}, "dropped"),
        ({"state": "closed", "_links": {"closed_as_duplicate_of": "https://x/api/v4/projects/1/issues/7"}}, "dropped"),
        ({"state": "closed", "moved_to_id": 99}, "dropped"),
    ],
)
def test_issue_states(item: dict[str, Any], expected: str) -> None:
    """opened -> open (in progress by label), closed -> done, duplicate/moved/dropped label -> dropped."""
    assert state(**item) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({}, "open"),
        ({"draft": True}, "in_progress"),
        ({"work_in_progress": True}, "in_progress"),
        ({"state": "merged"}, "done"),
        ({"state": "closed"}, "dropped"),
    ],
)
def test_merge_request_states(item: dict[str, Any], expected: str) -> None:
    """merged -> done, closed unmerged -> dropped, draft -> in progress."""
    assert state(MERGE_REQUEST, **item) == expected


def test_assignee_rule_when_configured() -> None:
    """An assigned open issue is in progress only with in_progress_when_assigned."""
    item = {"iid": 1, "state": "opened", "updated_at": "2026-12-03T10:00:00Z", "assignees": [{"username": "ana"}]}
    assigned = gitlab_config(in_progress_when_assigned=True)
    assert snapshot_from_item(assigned, item, "issue", "acme/web").state.value == "in_progress"
    assert snapshot_from_item(CONFIG, item, "issue", "acme/web").state.value == "open"


def test_scoped_kr_labels_read_as_kr_labels_and_hook_label_objects_count() -> None:
    """`kr::ENG-1.2` links like `kr:ENG-1.2`; hook label objects give their titles; hook times parse."""
    item = {"iid": 3, "state": "opened", "updated_at": "2015-05-17 17:06:40 UTC",
            "labels": [{"title": "kr::ENG-1.2"}, {"title": "KR:eng-1.1"}]}  # fmt: skip
    snapshot = snapshot_from_item(CONFIG, item, MERGE_REQUEST, "acme/platform/api")
    assert (snapshot.external_id, snapshot.labels) == ("acme/platform/api!3", ("kr:ENG-1.2", "KR:eng-1.1"))
    assert snapshot.updated_at.isoformat() == "2015-05-17T17:06:40+00:00"


def test_references_split_back() -> None:
    """`group/sub/project#12` and `!3` are GitLab's own references; anything else is refused."""
    assert split_external_id("acme/platform/api#12").project == "acme/platform/api"
    assert split_external_id("acme/web!3").kind == MERGE_REQUEST
    with pytest.raises(ValueError, match="not a GitLab task id"):
        split_external_id("ENG-12")
