"""Normalization is pure: Asana task JSON (shaped by our opt_fields) -> TaskSnapshot, state per config."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.asana.config import AsanaSourceConfig
from adapters.asana.normalize import TaskRules, snapshot, tombstone
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskState

WEB, API = "100", "200"


def rules(**overrides: Any) -> TaskRules:
    """Rules of a config: Doing/in progress, Won't do/dropped, and a Status field saying Cancelled/Working."""
    raw: dict[str, Any] = {
        "name": "acme-asana",
        "kind": "asana",
        "token": "t",
        "workspace": "1",
        "projects": [WEB, API],
        "in_progress": {"sections": ["doing"], "custom_field": {"field": "Status", "values": ["Working"]}},
        "dropped": {"sections": ["Won't do"], "custom_field": {"field": "Status", "values": ["cancelled"]}},
    }
    config = AsanaSourceConfig.model_validate(raw | overrides)
    return TaskRules.from_config(config, config.projects)


def task(**fields: Any) -> dict[str, Any]:
    """A task as `GET /tasks/{gid}` answers with our opt_fields."""
    base: dict[str, Any] = {
        "gid": "1",
        "name": "Ship onboarding",
        "completed": False,
        "modified_at": "2026-01-05T10:00:00.123Z",
        "permalink_url": "https://app.asana.com/0/100/1",
        "parent": None,
        "projects": [{"gid": WEB}],
        "memberships": [{"project": {"gid": WEB}, "section": {"gid": "11", "name": "To do"}}],
        "tags": [{"gid": "7", "name": "kr:ENG-1.1"}],
        "assignee": {"gid": "9", "name": "Ada"},
        "num_subtasks": 0,
        "custom_fields": [],
    }
    return base | fields


def in_section(name: str, project: str = WEB) -> list[dict[str, Any]]:
    """A membership list placing the task in one section."""
    return [{"project": {"gid": project}, "section": {"gid": "12", "name": name}}]


def status(value: str | None) -> list[dict[str, Any]]:
    """The Status enum field holding `value`."""
    return [
        {"gid": "50", "name": "Status", "type": "enum", "enum_value": {"gid": "51", "name": value} if value else None}
    ]


class TestState:
    """dropped > done > in progress > open, by section (case-insensitive) or field value."""

    @pytest.mark.parametrize(
        ("fields", "state"),
        [
            ({}, TaskState.OPEN),
            ({"completed": True}, TaskState.DONE),
            ({"memberships": in_section("Doing")}, TaskState.IN_PROGRESS),
            ({"custom_fields": status("Working")}, TaskState.IN_PROGRESS),
            ({"memberships": in_section("Won't do")}, TaskState.DROPPED),
            ({"memberships": in_section("won't DO"), "completed": True}, TaskState.DROPPED),
            ({"custom_fields": status("Cancelled"), "completed": True}, TaskState.DROPPED),
            ({"memberships": in_section("Doing"), "completed": True}, TaskState.DONE),
            ({"memberships": in_section("Doing", project="999")}, TaskState.OPEN),
            ({"custom_fields": status(None)}, TaskState.OPEN),
        ],
        ids=[
            "open",
            "completed-is-done",
            "doing-section",
            "working-field-value",
            "wont-do-section",
            "completed-in-wont-do-is-dropped",
            "completed-but-cancelled-is-dropped",
            "completed-in-doing-is-done",
            "section-of-an-unfollowed-project-is-ignored",
            "empty-field",
        ],
    )
    def test_state_follows_the_config(self, fields: dict[str, Any], state: TaskState) -> None:
        """See the case ids."""
        assert snapshot(task(**fields), rules()).state == state


class TestSnapshot:
    """Everything else the engine reads."""

    def test_identity_labels_and_times(self) -> None:
        """gid, permalink, tag names, assignee, modified_at as aware UTC, container = followed project."""
        snap = snapshot(task(), rules())
        assert (snap.source, snap.external_id, snap.url, snap.title) == (
            "acme-asana",
            "1",
            "https://app.asana.com/0/100/1",
            "Ship onboarding",
        )
        assert (snap.labels, snap.assignee, snap.container, snap.kind, snap.deleted) == (
            ("kr:ENG-1.1",),
            "Ada",
            WEB,
            "task",
            False,
        )
        assert snap.updated_at == datetime(2026, 1, 5, 10, 0, 0, 123000, tzinfo=UTC)

    def test_the_container_is_the_first_followed_project_in_config_order(self) -> None:
        """A task in both projects belongs to the one configured first."""
        snap = snapshot(task(projects=[{"gid": API}, {"gid": WEB}]), rules())
        assert snap.container == WEB

    def test_a_task_outside_every_followed_project_leaves(self) -> None:
        """Deleted snapshot: it leaves its KRs."""
        snap = snapshot(task(projects=[{"gid": "999"}], memberships=[]), rules())
        assert (snap.deleted, snap.container) == (True, "")

    def test_subtasks_count_only_when_configured(self) -> None:
        """Same subtask: deleted without include_subtasks, live with it (in the ancestor's project)."""
        child = task(parent={"gid": "0"}, projects=[], memberships=[])
        excluded = snapshot(child, rules(), inherited_container=WEB)
        included = snapshot(child, rules(include_subtasks=True), inherited_container=WEB)
        assert (excluded.deleted, included.deleted, included.container, included.kind) == (True, False, WEB, "subtask")

    def test_kr_links_points_and_numbers_come_from_fields_and_projects(self) -> None:
        """Enum field value -> KR; project_krs add theirs; points from the points field; numbers by name."""
        fields = [
            {"gid": "60", "name": "Key result", "type": "enum", "enum_value": {"name": " ENG-1.2 "}},
            {"gid": "61", "name": "Points", "type": "number", "number_value": 5},
            {"gid": "62", "name": "KR progress", "type": "number", "number_value": 0.25},
            {"gid": "63", "name": "Notes", "type": "text", "text_value": "x"},
        ]
        custom = rules(
            match={"enum_field": "key result", "project_krs": {WEB: ["WEB-1", "ENG-1.2"]}}, points_field="61"
        )
        snap = snapshot(task(custom_fields=fields), custom)
        assert snap.linked_krs == ("ENG-1.2", "WEB-1")
        assert snap.points == 5
        assert snap.numbers == (("Points", 5.0), ("KR progress", 0.25))

    def test_a_task_without_modified_at_is_malformed(self) -> None:
        """The opt_fields always ask for it; its absence is an error that says so."""
        with pytest.raises(MalformedPayload, match="has no modified_at"):
            snapshot(task(modified_at=None), rules())

    def test_a_tombstone_is_a_deleted_snapshot_of_the_project(self) -> None:
        """What a poll returns for a task deleted or removed from the project."""
        moment = datetime(2026, 1, 5, tzinfo=UTC)
        stone = tombstone("acme-asana", "1", moment, WEB)
        assert (stone.deleted, stone.container, stone.updated_at) == (True, WEB, moment)


class TestTagMatching:
    """`match.tags` decides whether tags link tasks (an admin may link by a field or a project only)."""

    def test_tags_are_labels_by_default(self) -> None:
        """A `kr:` tag is a label the matching rules read."""
        assert snapshot(task(), rules()).labels == ("kr:ENG-1.1",)

    def test_tags_off_link_nothing(self) -> None:
        """With `match: {tags: false}` the same task carries no labels, so its tags link no KR."""
        assert snapshot(task(), rules(match={"tags": False})).labels == ()
