"""Pure parts of the GitHub adapter: state mapping, failure mapping, Link parsing, config rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.github.adapter import GitHubAdapter
from adapters.github.client import failure_from, next_link
from adapters.github.config import GitHubSourceConfig
from adapters.github.normalize import snapshot_from_issue, snapshot_from_pull_request, split_external_id, task_state
from syncd.core.errors import MalformedPayload, NotFound, Permanent, RateLimited, Retriable
from syncd.core.model import TaskState
from syncd.core.render import MARKDOWN


def config(**overrides: Any) -> GitHubSourceConfig:
    """A valid token-authenticated source, with overrides."""
    base: dict[str, Any] = {"name": "gh", "kind": "github", "token": "t", "repos": ["acme/web"]}
    return GitHubSourceConfig.model_validate({**base, **overrides})


def state(**facts: Any) -> TaskState:
    """task_state with sensible defaults for the facts not given."""
    defaults: dict[str, Any] = {
        "open_": True, "state_reason": None, "pull": False, "merged": False, "draft": False, "labels": (),
        "assignee": None,
    }  # fmt: skip
    return task_state(config(), **{**defaults, **facts})


class TestStateMapping:
    """Issue 4, item 2, as a table."""

    @pytest.mark.parametrize(
        ("facts", "expected"),
        [
            ({}, TaskState.OPEN),
            ({"labels": ("In-Progress",)}, TaskState.IN_PROGRESS),
            ({"assignee": "mona"}, TaskState.OPEN),
            ({"pull": True, "draft": True}, TaskState.IN_PROGRESS),
            ({"open_": False, "state_reason": "completed"}, TaskState.DONE),
            ({"open_": False, "state_reason": None}, TaskState.DONE),
            ({"open_": False, "state_reason": "not_planned"}, TaskState.DROPPED),
            ({"open_": False, "state_reason": "duplicate"}, TaskState.DROPPED),
            ({"open_": False, "pull": True, "merged": True}, TaskState.DONE),
            ({"open_": False, "pull": True, "merged": False}, TaskState.DROPPED),
            ({"open_": False, "labels": ("in progress",), "state_reason": "completed"}, TaskState.DONE),
        ],
    )
    def test_default_rules(self, facts: dict[str, Any], expected: TaskState) -> None:
        """Each combination maps as the issue says."""
        assert state(**facts) is expected

    def test_rules_follow_the_config(self) -> None:
        """Custom in-progress labels, the assignee rule, no draft rule, custom dropped reasons."""
        custom = config(
            in_progress_labels=["doing"], in_progress_when_assigned=True, draft_prs_in_progress=False,
            dropped_state_reasons=["not_planned"],
        )  # fmt: skip
        facts: dict[str, Any] = {"state_reason": None, "merged": False, "draft": False, "labels": (), "assignee": None}
        assert task_state(custom, open_=True, pull=False, **{**facts, "labels": ("Doing",)}) is TaskState.IN_PROGRESS
        assert task_state(custom, open_=True, pull=False, **{**facts, "assignee": "x"}) is TaskState.IN_PROGRESS
        assert task_state(custom, open_=True, pull=True, **{**facts, "draft": True}) is TaskState.OPEN
        assert task_state(custom, open_=False, pull=False, **{**facts, "state_reason": "duplicate"}) is TaskState.DONE


class TestNormalize:
    """Payload -> TaskSnapshot, and clear errors on payloads that cannot be one."""

    ISSUE: dict[str, Any] = {
        "number": 7, "state": "open", "title": "T", "html_url": "https://ghe.example/acme/web/issues/7",
        "repository_url": "https://ghe.example/api/v3/repos/acme/web", "updated_at": "2026-10-02T03:04:05Z",
        "labels": [{"name": "kr:ENG-1.1"}], "assignees": [{"login": "mona"}],
    }  # fmt: skip

    def test_issue_fields(self) -> None:
        """Id, container from repository_url, url, labels, first assignee, aware updated_at."""
        snapshot = snapshot_from_issue(config(), self.ISSUE)
        assert (snapshot.external_id, snapshot.container, snapshot.kind) == ("acme/web#7", "acme/web", "issue")
        assert snapshot.assignee == "mona"
        assert snapshot.points is None
        assert snapshot.updated_at.isoformat() == "2026-10-02T03:04:05+00:00"

    def test_pull_request_object(self) -> None:
        """A webhook pull_request object: merged means done."""
        pull = {**self.ISSUE, "state": "closed", "merged": True, "html_url": "https://ghe.example/acme/web/pull/7"}
        snapshot = snapshot_from_pull_request(config(), pull, "acme/web")
        assert (snapshot.kind, snapshot.state) == ("pull_request", TaskState.DONE)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"number": "7"}, "`number`"),
            ({"state": None}, "`state`"),
            ({"updated_at": "yesterday"}, "not an ISO 8601"),
            ({"repository_url": "https://x/elsewhere"}, "repository_url"),
        ],
    )
    def test_unusable_payloads_are_malformed(self, change: dict[str, Any], message: str) -> None:
        """Wrong types or missing fields raise MalformedPayload naming the field."""
        with pytest.raises(MalformedPayload, match=message):
            snapshot_from_issue(config(), {**self.ISSUE, **change})

    def test_task_ids(self) -> None:
        """owner/repo#n splits; anything else is refused."""
        assert split_external_id("acme/web#12") == ("acme/web", 12)
        for bad in ("acme/web", "acme#1", "a/b/c#1", "acme/web#x"):
            with pytest.raises(ValueError, match="not a GitHub task id"):
                split_external_id(bad)


class TestFailureMapping:
    """Status and headers decide, once, what kind of failure a response is."""

    @pytest.mark.parametrize(
        ("status", "headers", "message", "kind", "delay"),
        [
            (429, {"Retry-After": "12"}, "", RateLimited, 12.0),
            (403, {"retry-after": "3"}, "You have exceeded a secondary rate limit", RateLimited, 3.0),
            (
                403,
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100"},
                "API rate limit exceeded",
                RateLimited,
                100.0,
            ),
            (403, {}, "You have exceeded a secondary rate limit. Please wait", RateLimited, 60.0),
            (429, {}, "", RateLimited, 60.0),
            (403, {"x-ratelimit-remaining": "10"}, "Resource not accessible by integration", Permanent, None),
            (404, {}, "Not Found", NotFound, None),
            (410, {}, "This issue was deleted", NotFound, None),
            (502, {}, "Bad Gateway", Retriable, 0.0),  # no server-named delay: the caller's backoff decides
            (401, {}, "Bad credentials", Permanent, None),
            (422, {}, "Validation Failed", Permanent, None),
        ],
    )
    def test_mapping(self, status: int, headers: dict[str, str], message: str, kind: type, delay: float | None) -> None:
        """Retry-After wins, then an exhausted budget's reset, then 60 s for secondary limits; 5xx name no delay."""
        error = failure_from(status, headers, message, where="GET /x", now=1000.0)
        assert type(error) is kind
        assert error.status == status
        if delay is not None:
            assert isinstance(error, Retriable)
            assert error.delay == delay
        assert "GET /x" in str(error)

    def test_next_link(self) -> None:
        """The next URL of a Link header, or None on the last page."""
        header = '<https://h/api/v3/repos/a/b/issues?page=2>; rel="next", <https://h/api/v3/repos/a/b/issues?page=9>; rel="last"'
        assert next_link(header) == "https://h/api/v3/repos/a/b/issues?page=2"
        assert next_link('<https://h/x?page=1>; rel="first"') is None
        assert next_link(None) is None


class TestConfig:
    """Config rules an admin meets in `syncd check`."""

    def test_graphql_endpoint_is_derived(self) -> None:
        """github.com -> /graphql; GHES /api/v3 -> /api/graphql; an explicit one wins."""
        assert config().graphql_endpoint == "https://api.github.com/graphql"
        assert config(base_url="https://ghe.acme.io/api/v3/").graphql_endpoint == "https://ghe.acme.io/api/graphql"
        assert config(graphql_url="https://g/q").graphql_endpoint == "https://g/q"

    def test_follows_listed_repos_and_the_org_filter(self) -> None:
        """Listed repos (any case) and org repos matching repo_filter are followed."""
        org = config(repos=[], org="acme", repo_filter="^svc-")
        assert config().follows("ACME/Web")
        assert org.follows("acme/svc-billing")
        assert not org.follows("acme/web")
        assert not org.follows("other/svc-x")

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"token": None}, "exactly one of token or app"),
            ({"repos": []}, "needs repos or org"),
            ({"repos": ["acme"]}, "is not owner/name"),
            ({"org": "acme", "repo_filter": "("}, "repo_filter is not a regex"),
            ({"extra": 1}, "Extra inputs are not permitted"),
        ],
    )
    def test_invalid_configs_say_what_is_wrong(self, overrides: dict[str, Any], message: str) -> None:
        """Each mistake is rejected with a message naming it."""
        with pytest.raises(ValidationError, match=message):
            config(**overrides)

    def test_write_limits_and_targets(self) -> None:
        """80/min (or writes_per_minute) and writes_per_hour; one write at a time; comment target only."""
        adapter = GitHubAdapter(config(writes_per_minute=30, writes_per_hour=400))
        assert [(limit.count, limit.period) for limit in adapter.write_limits] == [
            (30, timedelta(minutes=1)),
            (400, timedelta(hours=1)),
        ]
        assert adapter.max_concurrent_writes == 1
        assert adapter.goal_ids() == {}
        assert [limit.count for limit in GitHubAdapter(config()).write_limits] == [80, 500]


class TestRegistry:
    """The registry builds this adapter for `kind: github`, and it satisfies the port."""

    def test_registry_builds_a_source_adapter(self) -> None:
        """build_adapter(config) returns a GitHubAdapter that is a SourceAdapter, without any I/O."""
        from adapters.registry import build_adapter
        from syncd.ports import SourceAdapter

        adapter = build_adapter(config())
        assert isinstance(adapter, GitHubAdapter)
        assert isinstance(adapter, SourceAdapter)
        assert (adapter.name, adapter.kind, adapter.comment_renderer) == ("gh", "github", MARKDOWN)
        assert adapter.budget().remaining is None
        adapter.close()
