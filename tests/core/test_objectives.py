"""Objective progress: the weighted mean of its KRs, with optional roll-up of child objectives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncd.core.model import CycleView, Status
from syncd.core.progress import KrProgress, objective_progress
from tests.support.core_builders import MIDWAY, QUARTER, objective

CYCLES = {QUARTER.id: QUARTER}


def done(kr_id: str, progress: float, weight: float = 1.0, status: Status = Status.ON_TRACK) -> KrProgress:
    """A KR result with just what objectives read."""
    return KrProgress(kr_id, progress, status, 0.5, 0.0, 0.0, 1, weight=weight)


class TestWeightedMean:
    """An objective's progress is the KR-weighted mean of its KRs."""

    @pytest.mark.parametrize(
        ("krs", "progress"),
        [
            ([done("A", 1.0), done("B", 0.0)], 0.5),
            ([done("A", 1.0, 3.0), done("B", 0.0, 1.0)], 0.75),
            ([done("A", 0.2), done("B", 0.4), done("C", 0.9)], 0.5),
            ([done("A", 0.6, 0.5)], 0.6),
        ],
    )
    def test_weighted_mean(self, krs: list[KrProgress], progress: float) -> None:
        """KR weight decides how much each KR moves the objective."""
        views = [objective("O", *(item.kr_id for item in krs))]
        result = objective_progress(views, {item.kr_id: item for item in krs}, CYCLES, MIDWAY)
        assert result["O"].progress == pytest.approx(progress)
        assert result["O"].expected == 0.5

    def test_objective_with_nothing_is_zero_with_no_tasks(self) -> None:
        """No KR and no child: progress 0, status `no_tasks`."""
        result = objective_progress([objective("O")], {}, CYCLES, MIDWAY)
        assert (result["O"].progress, result["O"].status) == (0.0, Status.NO_TASKS)

    def test_status_is_judged_like_a_kr(self) -> None:
        """60% at expected 50% is on track; all KRs done makes the objective done."""
        krs = {"A": done("A", 0.6)}
        assert objective_progress([objective("O", "A")], krs, CYCLES, MIDWAY)["O"].status is Status.ON_TRACK
        full = {"A": done("A", 1.0), "B": done("B", 1.0)}
        assert objective_progress([objective("O", "A", "B")], full, CYCLES, MIDWAY)["O"].status is Status.DONE

    def test_objective_whose_krs_have_no_tasks_says_no_tasks(self) -> None:
        """If none of its KRs has tasks, neither does the objective."""
        krs = {"A": done("A", 0.0, status=Status.NO_TASKS)}
        assert objective_progress([objective("O", "A")], krs, CYCLES, MIDWAY)["O"].status is Status.NO_TASKS

    def test_objective_uses_its_own_cycle(self) -> None:
        """Expected progress comes from the objective's cycle."""
        h2 = CycleView(id="2025-H2", start=date(2025, 7, 1), end=date(2025, 12, 31))
        result = objective_progress(
            [objective("O", "A", cycle_id="2025-H2")], {"A": done("A", 0.0)}, {**CYCLES, h2.id: h2}, MIDWAY
        )
        assert result["O"].status is Status.NOT_STARTED

    def test_missing_kr_progress_is_a_clear_error(self) -> None:
        """An objective listing a KR without a result names both."""
        with pytest.raises(ValueError, match=r"objective 'O' lists key result 'A' but no progress was given"):
            objective_progress([objective("O", "A")], {}, CYCLES, MIDWAY)

    def test_unknown_cycle_is_a_clear_error(self) -> None:
        """An objective naming an unconfigured cycle names it."""
        with pytest.raises(ValueError, match=r"names cycle 'nope'"):
            objective_progress([objective("O", cycle_id="nope")], {}, CYCLES, MIDWAY)


class TestRollup:
    """A parent with `rollup` includes its children (weighted by objective weight), recursively."""

    def test_parent_rolls_up_children(self) -> None:
        """Parent KR 1.0 (weight 1) and child at 0.0 (weight 1) give 0.5."""
        views = [objective("P", "A", rollup=True), objective("C", "B", parent_id="P")]
        result = objective_progress(views, {"A": done("A", 1.0), "B": done("B", 0.0)}, CYCLES, MIDWAY)
        assert result["P"].progress == 0.5
        assert result["C"].progress == 0.0

    def test_child_weight_counts(self) -> None:
        """A child of weight 3 against a KR of weight 1."""
        views = [objective("P", "A", rollup=True), objective("C", "B", parent_id="P", weight=3.0)]
        result = objective_progress(views, {"A": done("A", 0.0), "B": done("B", 1.0)}, CYCLES, MIDWAY)
        assert result["P"].progress == 0.75

    def test_without_rollup_children_do_not_count(self) -> None:
        """Alignment alone does not change the parent's progress."""
        views = [objective("P", "A"), objective("C", "B", parent_id="P")]
        result = objective_progress(views, {"A": done("A", 1.0), "B": done("B", 0.0)}, CYCLES, MIDWAY)
        assert result["P"].progress == 1.0

    def test_rollup_is_recursive_and_order_independent(self) -> None:
        """Grandchildren reach the grandparent, whichever order the objectives come in."""
        views = [
            objective("G", rollup=True),
            objective("P", "A", parent_id="G", rollup=True),
            objective("C", "B", parent_id="P"),
        ]
        krs = {"A": done("A", 1.0), "B": done("B", 0.0)}
        forward = objective_progress(views, krs, CYCLES, MIDWAY)
        backward = objective_progress(views[::-1], krs, CYCLES, MIDWAY)
        assert forward["G"].progress == backward["G"].progress == 0.5

    def test_parent_with_only_children_rolls_them_up(self) -> None:
        """A parent with no KRs of its own is the mean of its children."""
        views = [objective("P", rollup=True), objective("C1", "A", parent_id="P"), objective("C2", "B", parent_id="P")]
        result = objective_progress(views, {"A": done("A", 0.2), "B": done("B", 0.6)}, CYCLES, MIDWAY)
        assert result["P"].progress == pytest.approx(0.4)

    def test_parent_child_loop_terminates(self) -> None:
        """A config loop (A under B under A) is cut where it closes instead of recursing forever."""
        views = [
            objective("A", "KA", parent_id="B", rollup=True),
            objective("B", "KB", parent_id="A", rollup=True),
        ]
        result = objective_progress(views, {"KA": done("KA", 1.0), "KB": done("KB", 0.0)}, CYCLES, MIDWAY)
        assert set(result) == {"A", "B"}
        assert all(0.0 <= item.progress <= 1.0 for item in result.values())

    def test_self_parent_does_not_count_itself(self) -> None:
        """An objective naming itself as parent is its own KRs only."""
        views = [objective("A", "KA", parent_id="A", rollup=True)]
        result = objective_progress(views, {"KA": done("KA", 0.3)}, CYCLES, MIDWAY)
        assert result["A"].progress == 0.3


def test_results_follow_config_order() -> None:
    """The mapping lists objectives in the order given."""
    views = [objective("Z"), objective("A"), objective("M")]
    assert list(objective_progress(views, {}, CYCLES, datetime(2025, 2, 1, tzinfo=UTC))) == ["Z", "A", "M"]
