"""The progress custom field (`progress_field`, GitLab Premium): found by name in the top-level group once,
written 0-100 on issues through GraphQL `workItemUpdate`, never on merge requests, never the issue's `weight`;
unknown names, GraphQL errors, rate limits and server errors become the target's error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.gitlab.adapter import GitLabAdapter
from adapters.gitlab.client import GitLabClient
from adapters.inline_retry import InlineRetry
from syncd.core.errors import Permanent, RateLimited, Retriable
from syncd.core.model import TaskSnapshot, TaskState
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.gitlab import GitLabSimulator
from tests.gitlab.support import gitlab_config

FIELD = "OKR progress"


def field_write(task: str, progress: float, remote_id: str | None = None) -> PushWrite:
    """The field write of `task` at `progress` (a fraction, as the runtime sends it)."""
    return PushWrite(WriteKind.FIELD, task, number=progress, remote_id=remote_id)


def snapshot(task: str) -> TaskSnapshot:
    """A linked open task of the source, as the runtime asks `targets` about it."""
    url = "https://gitlab.example.com/acme/web/-/issues/1"
    return TaskSnapshot("acme-gitlab", task, url, "Ship it", TaskState.OPEN, datetime.now(UTC), ("kr:ENG-1.1",))


def lookups(sim: GitLabSimulator) -> int:
    """GraphQL requests that listed custom fields."""
    return sum(1 for r in sim.graphql_requests if "customFields" in r.query)


@pytest.fixture
def premium(gitlab_sim: GitLabSimulator) -> GitLabSimulator:
    """Group acme with the number field "OKR progress" and a select field beside it."""
    gitlab_sim.create_custom_field("acme", FIELD)
    gitlab_sim.create_custom_field("acme", "Team", "SINGLE_SELECT")
    return gitlab_sim


class TestWrite:
    """The KR's progress lands in the issue's number field as 0-100."""

    def test_written_as_a_percentage_and_the_field_is_looked_up_once(
        self, premium: GitLabSimulator, make_adapter: Any
    ) -> None:
        """0.5 -> 50.0, then 0.67 -> 67.0 with the work item id kept: one field lookup, one issue read."""
        task = premium.create_issue("acme/web", "Ship it")
        adapter = make_adapter(progress_field=FIELD)
        first = adapter.apply(None, field_write(task, 0.5))
        assert (premium.field_value(task, FIELD), first.remote_id) == (
            50.0,
            f"gid://gitlab/WorkItem/{premium.item(task).id}",
        )
        adapter.apply(None, field_write(task, 2 / 3, remote_id=first.remote_id))
        assert premium.field_value(task, FIELD) == 67.0
        issue_reads = [r for r in premium.requests if r.method == "GET" and r.path.endswith("/issues/1")]
        assert (lookups(premium), len(issue_reads)) == (1, 1)

    def test_the_name_is_matched_without_case_in_a_subgroup_project(
        self, premium: GitLabSimulator, make_adapter: Any
    ) -> None:
        """`okr progress` finds "OKR progress" of top-level group acme for acme/platform/api."""
        task = premium.create_issue("acme/platform/api", "Ship it")
        make_adapter(projects=["acme/platform/api"], progress_field="okr progress").apply(None, field_write(task, 1.0))
        assert premium.field_value(task, FIELD) == 100.0

    def test_weight_is_never_touched(self, premium: GitLabSimulator, make_adapter: Any) -> None:
        """The team's weight stays; the mutation sets the custom field and nothing else; no REST write at all."""
        task = premium.create_issue("acme/web", "Ship it")
        premium.set_weight(task, 3)
        make_adapter(progress_field=FIELD).apply(None, field_write(task, 0.25))
        assert (premium.item(task).weight, premium.field_value(task, FIELD)) == (3, 25.0)
        (mutation,) = [r for r in premium.graphql_requests if "workItemUpdate" in r.query]
        assert set(mutation.variables["input"]) == {"id", "customFieldsWidget"}
        assert "weight" not in mutation.query
        assert [r for r in premium.requests if r.method != "GET"] == []


class TestMergeRequests:
    """Merge requests are not work items: they get a note, never a field."""

    def test_targets_offer_the_field_on_issues_only(self, make_adapter: Any) -> None:
        """Issue: note and field; merge request: note; without progress_field: note only."""
        adapter = make_adapter(progress_field=FIELD)
        assert adapter.targets(snapshot("acme/web#1")) == [WriteKind.COMMENT, WriteKind.FIELD]
        assert adapter.targets(snapshot("acme/web!1")) == [WriteKind.COMMENT]
        assert make_adapter().targets(snapshot("acme/web#1")) == [WriteKind.COMMENT]

    def test_a_field_write_to_a_merge_request_is_refused_without_a_request(
        self, premium: GitLabSimulator, make_adapter: Any
    ) -> None:
        """A stale field target on a merge request is a Permanent error saying why, sent nowhere."""
        task = premium.create_merge_request("acme/web", "Ship it")
        with pytest.raises(Permanent, match="merge requests are not work items"):
            make_adapter(progress_field=FIELD).apply(None, field_write(task, 0.5))
        assert premium.graphql_requests == []


class TestUnknownField:
    """A name the group does not have is the target's error, naming the field and the fields there are."""

    def test_unknown_name_names_the_fields_and_is_asked_again_later(
        self, premium: GitLabSimulator, make_adapter: Any
    ) -> None:
        """ "Progress %" is missing: Permanent listing "OKR progress" and "Team"; once created, the next write works."""
        task = premium.create_issue("acme/web", "Ship it")
        adapter = make_adapter(progress_field="Progress %")
        with pytest.raises(Permanent) as refused:
            adapter.apply(None, field_write(task, 0.5))
        message = str(refused.value)
        assert "no active custom field named 'Progress %'" in message
        assert "'OKR progress' (NUMBER)" in message
        assert "'Team' (SINGLE_SELECT)" in message
        premium.create_custom_field("acme", "Progress %")
        adapter.apply(None, field_write(task, 0.5))
        assert premium.field_value(task, "Progress %") == 50.0

    def test_a_field_that_is_not_a_number_is_refused(self, premium: GitLabSimulator, make_adapter: Any) -> None:
        """ "Team" is a select field: progress needs a number field."""
        task = premium.create_issue("acme/web", "Ship it")
        with pytest.raises(Permanent, match="'Team' of group acme is a SINGLE_SELECT field"):
            make_adapter(progress_field="Team").apply(None, field_write(task, 0.5))

    def test_an_inactive_field_is_not_found(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """An archived field is not offered: the name is unknown."""
        gitlab_sim.create_custom_field("acme", FIELD, active=False)
        task = gitlab_sim.create_issue("acme/web", "Ship it")
        with pytest.raises(Permanent, match="its fields: none"):
            make_adapter(progress_field=FIELD).apply(None, field_write(task, 0.5))

    def test_check_online_names_the_field_and_the_fields_there_are(
        self, premium: GitLabSimulator, make_adapter: Any
    ) -> None:
        """The progress field line fails with the names, and passes for a field that exists."""
        failed = {c.check: c for c in make_adapter(progress_field="Progress %").check_online(None)}
        line = failed["progress field acme"]
        assert not line.ok
        assert "'Progress %'" in line.detail
        assert "'OKR progress' (NUMBER)" in line.detail
        assert line.fix is not None
        assert "progress_field" in line.fix
        passed = {c.check: c for c in make_adapter(progress_field=FIELD).check_online(None)}
        assert passed["progress field acme"].ok
        assert "merge requests are not work items" in passed["progress field acme"].detail

    def test_an_empty_name_is_a_config_error(self) -> None:
        """`progress_field: ""` is refused when the config is read."""
        with pytest.raises(ValidationError, match="progress_field"):
            gitlab_config(progress_field=" ")


class TestFailures:
    """GraphQL errors, rate limits and server errors become the write's failure, as REST ones do."""

    @staticmethod
    def _adapter(sim: GitLabSimulator) -> GitLabAdapter:
        config = gitlab_config(sim.url, progress_field=FIELD)
        return GitLabAdapter(config, client=GitLabClient(config, retry=InlineRetry(1)))

    def test_a_mutation_error_is_permanent_with_gitlabs_message(self, premium: GitLabSimulator) -> None:
        """The field was archived after syncd found it: workItemUpdate's own errors are the target's error."""
        task = premium.create_issue("acme/web", "Ship it")
        adapter = self._adapter(premium)
        adapter.apply(None, field_write(task, 0.5))
        next(f for f in premium.state.custom_fields.values() if f.name == FIELD).active = False
        with pytest.raises(Permanent, match="GitLab GraphQL workItemUpdate of acme/web#1 failed: Custom field"):
            adapter.apply(None, field_write(task, 1.0))
        adapter.close()

    def test_a_top_level_error_is_permanent(self, premium: GitLabSimulator) -> None:
        """A work item GitLab cannot resolve (the issue was deleted): its message, Permanent."""
        task = premium.create_issue("acme/web", "Ship it")
        adapter = self._adapter(premium)
        done = adapter.apply(None, field_write(task, 0.5))
        premium.delete_issue(task)
        with pytest.raises(Permanent, match="does not exist or you don't have permission"):
            adapter.apply(None, field_write(task, 1.0, remote_id=done.remote_id))
        adapter.close()

    def test_429_is_rate_limited_with_its_wait_and_5xx_retriable(self, premium: GitLabSimulator) -> None:
        """Retry-After 120 on /graphql -> RateLimited(120); a 502 -> Retriable; neither leaves a value."""
        task = premium.create_issue("acme/web", "Ship it")
        adapter = self._adapter(premium)
        premium.faults.rate_limit(1, retry_after=120, path="/graphql")
        with pytest.raises(RateLimited) as limited:
            adapter.apply(None, field_write(task, 0.5))
        assert limited.value.delay == 120
        premium.faults.server_error(1, path="/graphql")
        with pytest.raises(Retriable) as failed:
            adapter.apply(None, field_write(task, 0.5))
        assert (failed.value.status, isinstance(failed.value, Permanent)) == (502, False)
        assert premium.field_value(task, FIELD) is None
        adapter.apply(None, field_write(task, 0.5))
        assert premium.field_value(task, FIELD) == 50.0
        adapter.close()

    def test_a_refused_token_is_permanent_and_never_quoted(self, premium: GitLabSimulator) -> None:
        """401 from /api/graphql: Permanent saying the token is wrong, without the token."""
        task = premium.create_issue("acme/web", "Ship it")
        config = gitlab_config(premium.url, progress_field=FIELD, token="glpat-wrong-token-0123456789")
        adapter = GitLabAdapter(config, client=GitLabClient(config, retry=InlineRetry(1)))
        with pytest.raises(Permanent) as refused:
            adapter.apply(None, field_write(task, 0.5, remote_id=f"gid://gitlab/WorkItem/{premium.item(task).id}"))
        assert "401" in str(refused.value)
        assert "glpat-wrong-token" not in str(refused.value)
        adapter.close()
