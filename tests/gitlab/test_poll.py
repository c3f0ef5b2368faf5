"""Polling a GitLab project through python-gitlab: the documented listing parameters, the bookmark with its
overlap and seen-set, group mode following new projects, reconciliation dropping deleted and moved issues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.gitlab import adapter as adapter_module
from syncd.simulators.gitlab import GitLabSimulator

ISSUES = "/projects/acme%2Fweb/issues"


def now() -> datetime:
    """The poll's start."""
    return datetime.now(UTC) + timedelta(seconds=1)


class TestIncrementalPoll:
    """One listing request per kind and page, since the bookmark less the overlap."""

    def test_the_listing_asks_as_the_issue_says(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """`updated_after`, `order_by=updated_at`, `sort=asc`, `state=all`, `per_page=100`."""
        gitlab_sim.create_issue("acme/web", "Ship it", labels=["kr:ENG-1.1"])
        adapter = make_adapter()
        first = adapter.reconcile("acme/web", now())
        adapter.poll(first.bookmark, "acme/web", now())
        listing = [r for r in gitlab_sim.requests if r.path == ISSUES][-1]
        assert {k: listing.param(k) for k in ("order_by", "sort", "state", "per_page")} == {
            "order_by": "updated_at", "sort": "asc", "state": "all", "per_page": "100",
        }  # fmt: skip
        cursor = adapter_module.PollCursor.load(first.bookmark)
        assert cursor.at is not None
        since = datetime.fromisoformat(str(listing.param("updated_after")).replace("Z", "+00:00"))
        assert since == cursor.at - adapter.config.poll_overlap

    def test_the_overlap_reads_again_but_delivers_once(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """What the overlap lists again is dropped by the seen-set; a change since is delivered."""
        first_ref = gitlab_sim.create_issue("acme/web", "One")
        adapter = make_adapter(include_merge_requests=False)
        bookmark = adapter.reconcile("acme/web", now()).bookmark
        again = adapter.poll(bookmark, "acme/web", now())
        assert (again.snapshots, again.requests) == ((), 1)
        gitlab_sim.close(first_ref)
        changed = adapter.poll(again.bookmark, "acme/web", now())
        assert [(s.external_id, s.state.value) for s in changed.snapshots] == [("acme/web#1", "done")]

    def test_a_long_listing_follows_the_pages(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """201 issues: three pages of 100 (the Link header's next), all delivered."""
        for i in range(201):
            gitlab_sim.create_issue("acme/web", f"T{i}", emit=False)
        result = make_adapter(include_merge_requests=False).reconcile("acme/web", now())
        assert (len(result.snapshots), result.requests) == (201, 3)
        assert [r.param("page") for r in gitlab_sim.requests if r.path == ISSUES] == [None, "2", "3"]


class TestReconciliation:
    """A full listing is how deleted and moved-away issues leave (GitLab sends no hook for a deletion)."""

    def test_deleted_and_moved_issues_are_missing_from_the_full_listing(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any
    ) -> None:
        """`complete=True` without them; the moved issue's new home is listed under its own project."""
        kept = gitlab_sim.create_issue("acme/web", "Kept")
        deleted = gitlab_sim.create_issue("acme/web", "Deleted")
        moved = gitlab_sim.create_issue("acme/web", "Moved")
        gitlab_sim.delete_issue(deleted)
        new_home = gitlab_sim.move_issue(moved, "acme/platform/api")
        adapter = make_adapter(projects=["acme/web", "acme/platform/api"])
        result = adapter.reconcile("acme/web", now())
        assert result.complete
        assert [s.external_id for s in result.snapshots] == [kept]
        assert [s.external_id for s in adapter.reconcile("acme/platform/api", now()).snapshots] == [new_home]
        fetched = adapter.fetch([kept, deleted, moved])
        assert ([s.external_id for s in fetched.snapshots], fetched.missing) == ([kept], (deleted, moved))


class TestGroupMode:
    """`group:` follows every project of the group and its subgroups, and new ones after a while."""

    def test_the_group_projects_are_partitions_and_new_ones_join(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any, monkeypatch: Any
    ) -> None:
        """acme/web and acme/platform/api (a subgroup), not other/else; a project made later joins after the TTL."""
        adapter = make_adapter(projects=[], group="acme")
        assert list(adapter.partitions()) == ["acme/web", "acme/platform/api"]
        gitlab_sim.create_project("acme/mobile")
        assert "acme/mobile" not in adapter.partitions()
        monkeypatch.setattr(adapter_module, "GROUP_PROJECTS_TTL", -1.0)
        assert "acme/mobile" in adapter.partitions()
        listing = [r for r in gitlab_sim.requests if r.path == "/groups/acme/projects"][-1]
        assert listing.param("include_subgroups") in ("True", "true")
