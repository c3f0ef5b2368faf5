"""Reading a team through the real adapter and the simulated workspace: listings, the incremental poll's
bookmark (overlap, seen-set, signpost), labels and label groups, estimates, archived and trashed issues, fetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.linear.adapter import PAGE_SIZE, PollCursor
from syncd.core.model import TaskState
from syncd.simulators.linear import LinearSimulator


def later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


class TestListing:
    """A reconciliation lists the whole team, archived issues included, page by page."""

    def test_every_issue_of_the_team_and_only_it(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """ENG's issues (one archived), not DES's; `complete` says the listing is whole."""
        first = linear_sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"], state_type="completed")
        archived = linear_sim.create_issue("ENG", "Old work", labels=["kr:ENG-1.1"], state_type="completed")
        linear_sim.archive_issue(archived)
        linear_sim.create_issue("DES", "Draw it")
        result = make_adapter().reconcile("ENG", later())
        assert result.complete
        assert {s.external_id for s in result.snapshots} == {first, archived}
        assert all(s.state is TaskState.DONE and not s.deleted for s in result.snapshots)

    def test_pages_of_the_page_size_are_followed(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """PAGE_SIZE + 1 issues: two requests, each asking for PAGE_SIZE with small nested label pages."""
        for number in range(PAGE_SIZE + 1):
            linear_sim.create_issue("ENG", f"Task {number}", emit=False)
        result = make_adapter().reconcile("ENG", later())
        assert (len(result.snapshots), result.requests) == (PAGE_SIZE + 1, 2)
        firsts = [r.variables["first"] for r in linear_sim.requests if r.operation == "Issues"]
        assert firsts == [PAGE_SIZE, PAGE_SIZE]
        assert all(0 < r.complexity <= 10_000 for r in linear_sim.requests)

    def test_labels_groups_estimates_and_the_trash(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """`KR:eng-1.1` kept as written (matching is case-insensitive), the `kr` group's child read as
        `kr:ENG-1.2`, estimate 5 as points, a trashed issue deleted."""
        labelled = linear_sim.create_issue("ENG", "A", labels=["KR:eng-1.1"], estimate=5)
        grouped = linear_sim.create_issue("ENG", "B")
        linear_sim.add_grouped_label(grouped, "kr", "ENG-1.2")
        trashed = linear_sim.create_issue("ENG", "C", labels=["kr:ENG-1.1"])
        linear_sim.trash_issue(trashed)
        by_id = {s.external_id: s for s in make_adapter().reconcile("ENG", later()).snapshots}
        assert (by_id[labelled].labels, by_id[labelled].points) == (("KR:eng-1.1",), 5.0)
        assert by_id[grouped].labels == ("ENG-1.2", "kr:ENG-1.2")
        assert by_id[trashed].deleted


class TestIncrementalPoll:
    """Since the bookmark less the overlap; what the overlap reads again is dropped by the seen-set."""

    def test_an_idle_poll_is_one_request_and_delivers_nothing(
        self, linear_sim: LinearSimulator, make_adapter: Any
    ) -> None:
        """After a listing, nothing changed: one request, no snapshot (the overlap re-read is in the seen-set)."""
        linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        listing = adapter.reconcile("ENG", later())
        idle = adapter.poll(listing.bookmark, "ENG", later())
        assert (idle.snapshots, idle.requests) == ((), 1)
        (asked,) = [r for r in linear_sim.requests if r.operation == "Issues"][1:]
        at = PollCursor.load(listing.bookmark).at
        assert at is not None
        assert asked.variables["filter"]["updatedAt"]["gte"] == (at - timedelta(seconds=60)).isoformat().replace(
            "+00:00", "Z"
        )

    def test_a_change_arrives_once(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Completed after the listing: in the next poll, not in the one after."""
        key = linear_sim.create_issue("ENG", "Ship it")
        adapter = make_adapter()
        bookmark = adapter.reconcile("ENG", later()).bookmark
        linear_sim.set_state(key, "completed")
        changed = adapter.poll(bookmark, "ENG", later())
        assert [(s.external_id, s.state) for s in changed.snapshots] == [(key, TaskState.DONE)]
        assert adapter.poll(changed.bookmark, "ENG", later()).snapshots == ()

    def test_the_bookmark_never_passes_the_polls_start(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Changes stamped after `started_at` leave the bookmark at `started_at` (the signpost)."""
        linear_sim.create_issue("ENG", "Ship it")
        started = datetime.now(UTC) - timedelta(hours=1)
        result = make_adapter().reconcile("ENG", started)
        assert PollCursor.load(result.bookmark).at == started

    def test_an_unreadable_bookmark_starts_over(self, make_adapter: Any) -> None:
        """A damaged cursor is a fresh listing, not a crash."""
        from syncd.ports import Bookmark

        assert PollCursor.load(Bookmark("ENG", "{not json")) == PollCursor()


class TestFetch:
    """Fetching by identifier: moved-away and deleted issues come back missing."""

    def test_fetch_reads_groups_and_reports_the_gone(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """A grouped label read by name; a moved issue and an unknown one missing."""
        grouped = linear_sim.create_issue("ENG", "B")
        linear_sim.add_grouped_label(grouped, "kr", "ENG-1.2")
        moved = linear_sim.create_issue("ENG", "M")
        linear_sim.move_issue(moved, "OPS")
        result = make_adapter().fetch([grouped, moved, "ENG-404"])
        assert [s.labels for s in result.snapshots] == [("ENG-1.2", "kr:ENG-1.2")]
        assert set(result.missing) == {moved, "ENG-404"}
