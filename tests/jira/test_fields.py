"""Number fields by id or display name: `points_field`/`progress_field` resolve through `GET /field` (once), the
story-points field is found by its usual names when not given, and a name that matches no field or several is
refused with what to write instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.jira.fields import FieldIds, needs_lookup, points_field_of, resolve_field, resolve_fields
from syncd.core.errors import Permanent
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.jira import JiraSimulator

FIELDS = [
    {"id": "summary", "name": "Summary", "schema": {"type": "string"}},
    {"id": "customfield_10016", "name": "Story point estimate", "schema": {"type": "number"}},
    {"id": "customfield_10026", "name": "Story Points", "schema": {"type": "number"}},
    {"id": "customfield_10050", "name": "KR progress", "schema": {"type": "number"}},
    {"id": "customfield_10060", "name": "Effort", "schema": {"type": "number"}},
    {"id": "customfield_10061", "name": "effort", "schema": {"type": "number"}},
]


class TestResolution:
    """Pure over the `/field` answer."""

    def test_an_id_is_kept_as_written(self) -> None:
        """No lookup is needed for ids (even one the site lacks: `check --online` says so)."""
        assert resolve_field(FIELDS, "customfield_99999", "progress_field") == "customfield_99999"
        assert not needs_lookup("customfield_10016", "customfield_10050")

    def test_a_name_is_its_fields_id_case_insensitively(self) -> None:
        """`kr PROGRESS` is customfield_10050."""
        assert resolve_field(FIELDS, "kr PROGRESS", "progress_field") == "customfield_10050"
        assert needs_lookup("customfield_10016", "KR progress")

    def test_a_name_no_field_has_is_refused_naming_the_number_fields(self) -> None:
        """The message lists what there is."""
        with pytest.raises(
            Permanent, match=r"progress_field 'Progress': no Jira field has that name \(number fields: "
        ):
            resolve_field(FIELDS, "Progress", "progress_field")

    def test_a_name_two_fields_share_is_refused(self) -> None:
        """Effort and effort: the id must say which."""
        with pytest.raises(Permanent, match=r"names 2 Jira fields \(customfield_10060, customfield_10061\)"):
            resolve_field(FIELDS, "Effort", "points_field")

    def test_the_default_story_points_field_prefers_story_points(self) -> None:
        """Company-managed "Story Points" first, then team-managed "Story point estimate", then none."""
        assert points_field_of(FIELDS) == "customfield_10026"
        assert points_field_of(FIELDS[:2]) == "customfield_10016"
        assert points_field_of(FIELDS[:1]) is None
        assert resolve_fields(FIELDS, None, "KR progress") == FieldIds("customfield_10026", "customfield_10050")


class TestOnTheSite:
    """The adapter reads and writes the fields a name stands for."""

    def test_points_by_name_are_read_and_progress_by_name_is_written(
        self, jira_sim: JiraSimulator, make_adapter: Any
    ) -> None:
        """`Story point estimate` -> customfield_10016 read as points; `KR progress` -> customfield_10050 written;
        `GET /field` asked once for both."""
        jira_sim.create_issue("ENG", "Ship it", fields={"customfield_10016": 5})
        adapter = make_adapter(points_field="Story point estimate", progress_field="KR progress")
        (snapshot,) = adapter.reconcile("ENG", datetime.now(UTC)).snapshots
        adapter.apply(TaskRef("acme-jira", "ENG-1"), PushWrite(WriteKind.FIELD, "ENG-1", number=0.5))
        assert snapshot.points == 5.0
        assert jira_sim.issue("ENG-1").fields["customfield_10050"] == 50
        assert sum(1 for r in jira_sim.requests if r.path.endswith("/field")) == 1

    def test_a_name_no_field_has_fails_the_write_with_the_fix(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """A typo in `progress_field` is a Permanent failure (recorded on the target), not a write elsewhere."""
        jira_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter(progress_field="KR progres")
        with pytest.raises(Permanent, match="progress_field 'KR progres': no Jira field has that name"):
            adapter.apply(TaskRef("acme-jira", "ENG-1"), PushWrite(WriteKind.FIELD, "ENG-1", number=0.5))
        assert "customfield_10050" not in jira_sim.issue("ENG-1").fields
