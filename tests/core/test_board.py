"""The link index and progress board: incremental updates recompute only what a change reaches."""

from __future__ import annotations

from datetime import timedelta

from syncd.core.board import ProgressBoard
from syncd.core.index import LinkIndex
from syncd.core.model import Measure, Status, TaskState, Thresholds
from tests.support.core_builders import MIDWAY, QUARTER, UPDATED, checkin, kr, objective, rules, task

OPEN, DONE, DROP = TaskState.OPEN, TaskState.DONE, TaskState.DROPPED


def board() -> ProgressBoard:
    """ENG-1 (rolls up) owns ENG-1.2 and ENG-1.3; ENG-2 under it owns OPS-2.1 (a metric); ENG-3 stands alone."""
    krs = {
        "ENG-1.2": kr("ENG-1.2"),
        "ENG-1.3": kr("ENG-1.3"),
        "OPS-2.1": kr("OPS-2.1", objective_id="ENG-2", measure=Measure.METRIC, target=10.0),
        "ENG-3.1": kr("ENG-3.1", objective_id="ENG-3"),
    }
    objectives = {
        "ENG-1": objective("ENG-1", "ENG-1.2", "ENG-1.3", rollup=True),
        "ENG-2": objective("ENG-2", "OPS-2.1", parent_id="ENG-1"),
        "ENG-3": objective("ENG-3", "ENG-3.1"),
    }
    return ProgressBoard({QUARTER.id: QUARTER}, objectives, krs, rules(*krs))


class TestLinkIndex:
    """Tasks by KR, kept current per task."""

    def test_upsert_returns_old_and_new_links(self) -> None:
        """Moving a label from one KR to another touches both."""
        index = LinkIndex(rules())
        assert index.upsert(task(1, OPEN, "kr:ENG-1.2")) == {"ENG-1.2"}
        assert index.upsert(task(1, OPEN, "kr:ENG-1.3")) == {"ENG-1.2", "ENG-1.3"}
        assert index.tasks_of("ENG-1.2") == []
        assert [t.external_id for t in index.tasks_of("ENG-1.3")] == ["acme/web#1"]

    def test_newest_snapshot_replaces_the_old_one(self) -> None:
        """A KR sees each task once, in its latest state."""
        index = LinkIndex(rules())
        index.upsert(task(1, OPEN, "kr:ENG-1.2"))
        index.upsert(task(1, DONE, "kr:ENG-1.2"))
        assert [t.state for t in index.tasks_of("ENG-1.2")] == [DONE]

    def test_remove_returns_the_krs_it_linked(self) -> None:
        """A task that left its source stops counting."""
        index = LinkIndex(rules())
        index.upsert(task(1, OPEN, "kr:ENG-1.2", "kr:OPS-2.1"))
        assert index.remove(task(1).ref) == {"ENG-1.2", "OPS-2.1"}
        assert index.tasks_of("OPS-2.1") == []
        assert index.remove(task(1).ref) == frozenset()

    def test_unknown_labels_are_listed_for_status(self) -> None:
        """Tasks naming unknown KRs can be listed; fixing the label clears them."""
        index = LinkIndex(rules())
        index.upsert(task(1, OPEN, "kr:ENG-1.4"))
        assert list(index.unknown()) == [task(1).ref]
        index.upsert(task(1, OPEN, "kr:ENG-1.2"))
        assert dict(index.unknown()) == {}
        assert index.match_of(task(1).ref).kr_ids == ("ENG-1.2",)

    def test_unknown_kr_id_has_no_tasks(self) -> None:
        """Asking for a KR the config lacks gives no tasks rather than failing."""
        assert LinkIndex(rules()).tasks_of("NOPE") == []


class TestProgressBoard:
    """Full and incremental paths agree; the incremental one touches only what it must."""

    def test_load_computes_everything(self) -> None:
        """After loading, every KR and objective has a result."""
        b = board()
        b.load([task(1, DONE, "kr:ENG-1.2"), task(2, OPEN, "kr:ENG-1.2")], [checkin(5.0, kr_id="OPS-2.1")], MIDWAY)
        assert b.key_results["ENG-1.2"].progress == 0.5
        assert b.key_results["OPS-2.1"].progress == 0.5
        assert b.objectives["ENG-2"].progress == 0.5
        assert set(b.objectives) == {"ENG-1", "ENG-2", "ENG-3"}

    def test_a_task_change_recomputes_its_kr_and_rolling_up_objectives_children_first(self) -> None:
        """Closing a task of ENG-1.2 recomputes ENG-1.2 and ENG-1 only."""
        b = board()
        b.load([task(1, OPEN, "kr:ENG-1.2"), task(2, DONE, "kr:ENG-1.2")], [], MIDWAY)
        change = b.apply(task(1, DONE, "kr:ENG-1.2"), MIDWAY)
        assert (change.key_results, change.objectives) == (("ENG-1.2",), ("ENG-1",))
        assert b.key_results["ENG-1.2"].progress == 1.0

    def test_child_change_reaches_the_rolling_up_parent(self) -> None:
        """A check-in on ENG-2's KR recomputes ENG-2, then ENG-1 which rolls it up."""
        b = board()
        b.load([], [], MIDWAY)
        change = b.record_checkin(checkin(10.0, kr_id="OPS-2.1"), MIDWAY)
        assert change.objectives == ("ENG-2", "ENG-1")
        assert b.objectives["ENG-2"].progress == 1.0
        assert b.objectives["ENG-1"].progress == b.objectives["ENG-2"].progress / 3

    def test_unrelated_objectives_are_untouched(self) -> None:
        """ENG-3 is not recomputed by a change in ENG-1."""
        b = board()
        b.load([], [], MIDWAY)
        before = b.objectives["ENG-3"]
        change = b.apply(task(1, DONE, "kr:ENG-1.3"), MIDWAY + timedelta(days=10))
        assert "ENG-3" not in change.objectives
        assert b.objectives["ENG-3"] is before

    def test_removing_a_task_recomputes(self) -> None:
        """A removed open task no longer holds progress down."""
        b = board()
        b.load([task(1, OPEN, "kr:ENG-3.1"), task(2, DONE, "kr:ENG-3.1")], [], MIDWAY)
        b.remove(task(1).ref, MIDWAY)
        assert b.key_results["ENG-3.1"].progress == 1.0

    def test_checkin_for_an_unknown_kr_changes_nothing(self) -> None:
        """A check-in naming no configured KR recomputes nothing."""
        b = board()
        b.load([], [], MIDWAY)
        assert b.record_checkin(checkin(1.0, at=UPDATED, kr_id="NOPE"), MIDWAY).key_results == ()

    def test_incremental_equals_full_after_many_changes(self) -> None:
        """A series of updates leaves the same results as recomputing everything."""
        b = board()
        b.load([task(n, OPEN, "kr:ENG-1.2") for n in range(5)], [], MIDWAY)
        b.apply(task(1, DONE, "kr:ENG-1.2", "kr:ENG-1.3"), MIDWAY)
        b.apply(task(2, DROP, "kr:ENG-1.3"), MIDWAY)
        b.apply(task(9, DONE, "kr:ENG-3.1"), MIDWAY)
        b.record_checkin(checkin(4.0, kr_id="OPS-2.1"), MIDWAY)
        b.remove(task(3).ref, MIDWAY)
        incremental = (dict(b.key_results), dict(b.objectives))
        b.recompute_all(MIDWAY)
        assert incremental == (dict(b.key_results), dict(b.objectives))

    def test_objectives_use_the_boards_thresholds(self) -> None:
        """A strict board (tolerance 0) calls an objective at 40% of expected 50% off track, on both paths."""
        strict = Thresholds(tolerance=0.0, at_risk=0.05)
        krs = {"ENG-3.1": kr("ENG-3.1", objective_id="ENG-3")}
        b = ProgressBoard(
            {QUARTER.id: QUARTER}, {"ENG-3": objective("ENG-3", "ENG-3.1")}, krs, rules(*krs), thresholds=strict
        )
        b.load([task(n, DONE if n < 2 else OPEN, "kr:ENG-3.1") for n in range(5)], [], MIDWAY)
        assert b.objectives["ENG-3"].status is Status.OFF_TRACK
        b.apply(task(4, OPEN, "kr:ENG-3.1"), MIDWAY)
        assert b.objectives["ENG-3"].status is Status.OFF_TRACK
