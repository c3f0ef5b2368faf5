"""Polling through the real PyGithub client against the simulator: backfill, incremental, 304, reconcile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.github.adapter import GitHubAdapter
from syncd.core.model import TaskState
from syncd.ports import Bookmark
from syncd.simulators.github import GitHubSimulator
from tests.support.github_sim import github_source_config


def now() -> datetime:
    """A poll's start time a little in the future, so same-second changes are never past the signpost."""
    return datetime.now(UTC) + timedelta(seconds=2)


class TestBackfill:
    """A first poll (no bookmark) lists every issue and pull request of the repository."""

    def test_backfill_reads_every_issue_across_pages(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """250 issues arrive over 3 pages of 100, each normalized with its repo, url and labels."""
        github_sim.seed_issues("acme/web", 250, labels=["kr:ENG-1.1"])
        result = github_adapter.poll(None, "acme/web", now())
        assert len(result.snapshots) == 250
        assert result.requests == 3
        first = result.snapshots[0]
        assert first.external_id == "acme/web#1"
        assert first.container == "acme/web"
        assert first.url == f"{github_sim.url}/acme/web/issues/1"
        assert first.labels == ("kr:ENG-1.1",)
        assert first.source == "acme-github"
        listing = [r for r in github_sim.requests if r.path == "/repos/acme/web/issues"]
        assert [r.param("page") for r in listing] == [None, "2", "3"]
        assert listing[0].param("state") == "all"
        assert listing[0].param("sort") == "updated"
        assert listing[0].param("direction") == "asc"
        assert listing[0].param("per_page") == "100"
        assert listing[0].param("since") is None

    def test_states_follow_the_mapping(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """Completed -> done, not_planned/duplicate -> dropped, in-progress label -> in_progress, merged PR -> done."""
        repo = "acme/web"
        done = github_sim.create_issue(repo, "done")
        github_sim.close_issue(repo, done, "completed")
        wont = github_sim.create_issue(repo, "won't")
        github_sim.close_issue(repo, wont, "not_planned")
        dup = github_sim.create_issue(repo, "dup")
        github_sim.close_issue(repo, dup, "duplicate")
        github_sim.create_issue(repo, "busy", labels=["In Progress"])
        merged = github_sim.create_pull_request(repo, "merged")
        github_sim.merge_pull_request(repo, merged)
        abandoned = github_sim.create_pull_request(repo, "abandoned")
        github_sim.close_issue(repo, abandoned)
        github_sim.create_pull_request(repo, "draft", draft=True)
        github_sim.create_issue(repo, "idle", assignees=["mona"])
        states = {s.title: (s.state, s.kind) for s in github_adapter.poll(None, repo, now()).snapshots}
        assert states == {
            "done": (TaskState.DONE, "issue"),
            "won't": (TaskState.DROPPED, "issue"),
            "dup": (TaskState.DROPPED, "issue"),
            "busy": (TaskState.IN_PROGRESS, "issue"),
            "merged": (TaskState.DONE, "pull_request"),
            "abandoned": (TaskState.DROPPED, "pull_request"),
            "draft": (TaskState.IN_PROGRESS, "pull_request"),
            "idle": (TaskState.OPEN, "issue"),
        }

    def test_assignee_rule_and_excluded_pull_requests(self, github_sim: GitHubSimulator) -> None:
        """With in_progress_when_assigned an assigned issue is in progress; with PRs excluded none is listed."""
        github_sim.create_issue("acme/web", "assigned", assignees=["mona"])
        github_sim.create_pull_request("acme/web", "a pull request")
        config = github_source_config(github_sim, in_progress_when_assigned=True, include_pull_requests=False)
        adapter = GitHubAdapter(config)
        try:
            snapshots = adapter.poll(None, "acme/web", now()).snapshots
        finally:
            adapter.close()
        assert [(s.title, s.state, s.assignee) for s in snapshots] == [("assigned", TaskState.IN_PROGRESS, "mona")]


class TestIncrementalPoll:
    """Later polls ask only for what changed since the bookmark (less the overlap)."""

    def test_second_poll_asks_since_the_bookmark_minus_overlap(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """The bookmark is the newest updated_at seen; the next request's `since` is that minus 60 s."""
        github_sim.seed_issues("acme/web", 3)
        first = github_adapter.poll(None, "acme/web", now())
        newest = max(s.updated_at for s in first.snapshots)
        assert first.bookmark.cursor == newest.isoformat()
        number = github_sim.create_issue("acme/web", "new one")
        github_sim.clear_requests()
        second = github_adapter.poll(first.bookmark, "acme/web", now())
        assert f"acme/web#{number}" in {s.external_id for s in second.snapshots}
        (request,) = github_sim.requests
        assert request.param("since") == (newest - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def test_bookmark_never_passes_the_poll_start(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """Issues updated after the poll began do not move the bookmark past the poll's start (signpost)."""
        github_sim.seed_issues("acme/web", 2)
        started = datetime.now(UTC) - timedelta(hours=1)
        result = github_adapter.poll(None, "acme/web", started)
        assert result.bookmark.cursor == started.isoformat()

    def test_unchanged_repository_costs_one_304(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """Once the bookmark settles, an idle poll is exactly one request, answered 304, free of rate limit."""
        github_sim.seed_issues("acme/web", 120, spread=timedelta(days=30))
        bookmark = github_adapter.poll(None, "acme/web", now()).bookmark
        bookmark = github_adapter.poll(bookmark, "acme/web", now()).bookmark
        remaining_before = github_sim.rate_limit.headers()["x-ratelimit-remaining"]
        github_sim.clear_requests()
        idle = github_adapter.poll(bookmark, "acme/web", now())
        assert idle.not_modified
        assert idle.requests == 1
        assert idle.snapshots == ()
        assert idle.bookmark == bookmark
        assert [(r.method, r.status) for r in github_sim.requests] == [("GET", 304)]
        assert github_sim.requests[0].headers["if-none-match"] == bookmark.etag
        assert github_sim.rate_limit.headers()["x-ratelimit-remaining"] == remaining_before

    def test_change_beyond_the_first_page_is_never_hidden_by_a_304(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """With more than a page updated inside the overlap, an unchanged first page proves nothing.

        Oldest first, a changed issue moves to the end of the listing; page 1 stays byte-identical. The
        ETag is therefore kept only for a listing that fit in one page with room to spare."""
        github_sim.seed_issues("acme/web", 150)
        bookmark = github_adapter.poll(None, "acme/web", now()).bookmark
        bookmark = github_adapter.poll(bookmark, "acme/web", now()).bookmark
        assert bookmark.etag is None
        github_sim.add_label("acme/web", 140, "kr:ENG-1.2")
        changed = github_adapter.poll(bookmark, "acme/web", now())
        assert not changed.not_modified
        assert {s.external_id: s.labels for s in changed.snapshots}["acme/web#140"] == ("kr:ENG-1.2",)

    def test_a_change_breaks_the_304(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """After an idle 304, a label added to an issue shows up on the next poll."""
        number = github_sim.create_issue("acme/web", "task")
        bookmark = github_adapter.poll(None, "acme/web", now()).bookmark
        bookmark = github_adapter.poll(bookmark, "acme/web", now()).bookmark
        assert github_adapter.poll(bookmark, "acme/web", now()).not_modified
        github_sim.add_label("acme/web", number, "kr:ENG-1.2")
        changed = github_adapter.poll(bookmark, "acme/web", now())
        assert not changed.not_modified
        assert [s.labels for s in changed.snapshots] == [("kr:ENG-1.2",)]

    def test_unreadable_bookmark_means_a_fresh_backfill(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A cursor that is not a timestamp is treated as no bookmark (everything is listed again)."""
        github_sim.seed_issues("acme/web", 2)
        result = github_adapter.poll(Bookmark("acme/web", cursor="yesterday"), "acme/web", now())
        assert len(result.snapshots) == 2
        assert github_sim.requests[-1].param("since") is None


class TestReconcileAndFetch:
    """Full listings and fetches by id, including issues that left the repository."""

    def test_reconcile_lists_everything_and_is_complete(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A reconcile ignores the bookmark, lists open and closed issues, and says it is complete."""
        github_sim.seed_issues("acme/api", 5)
        github_sim.close_issue("acme/api", 2)
        result = github_adapter.reconcile("acme/api", now())
        assert result.complete
        assert len(result.snapshots) == 5
        assert github_sim.requests[-1].param("since") is None

    def test_fetch_reports_deleted_and_transferred_issues_missing(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A deleted issue (410) and one moved away (301) are missing; the moved one reappears under its new repo."""
        keep = github_sim.create_issue("acme/web", "keep")
        gone = github_sim.create_issue("acme/web", "gone")
        moved = github_sim.create_issue("acme/web", "moved", labels=["kr:ENG-1.1"])
        github_sim.delete_issue("acme/web", gone)
        new_number = github_sim.transfer_issue("acme/web", moved, "acme/api")
        ids = [f"acme/web#{keep}", f"acme/web#{gone}", f"acme/web#{moved}", "acme/web#999"]
        result = github_adapter.fetch(ids)
        assert sorted(result.missing) == sorted(ids[1:])
        assert [s.external_id for s in result.snapshots] == [f"acme/web#{keep}", f"acme/api#{new_number}"]
        assert result.snapshots[1].labels == ("kr:ENG-1.1",)


class TestOrgPartitions:
    """With `org`, the partitions are the org's repositories that match `repo_filter`."""

    def test_org_repositories_are_listed_and_filtered(self, github_sim: GitHubSimulator) -> None:
        """acme/web and acme/svc-billing match the filter; acme/api does not; the list is reused."""
        github_sim.create_repo("acme/svc-billing")
        github_sim.create_repo("other/svc-x")
        config = github_source_config(github_sim, repos=(), org="acme", repo_filter="^(web|svc-.*)$")
        adapter = GitHubAdapter(config)
        try:
            first = adapter.partitions()
            second = adapter.partitions()
        finally:
            adapter.close()
        assert first == second == ["acme/web", "acme/svc-billing"]
        assert [r.path for r in github_sim.requests] == ["/orgs/acme/repos"]
