"""Progress formulas for `tasks`, `count` and `metric` KRs, exactly as DESIGN.md defines them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.core.model import Aggregate, Measure, Status, TaskSnapshot, TaskState, TaskWeight
from syncd.core.progress import kr_progress
from tests.support.core_builders import MIDWAY, QUARTER, UPDATED, checkin, kr, task

OPEN, PROG, DONE, DROP = TaskState.OPEN, TaskState.IN_PROGRESS, TaskState.DONE, TaskState.DROPPED


def tasks_of(*states: TaskState) -> list[TaskSnapshot]:
    """One task per state, numbered from 1."""
    return [task(index, state) for index, state in enumerate(states, start=1)]


class TestTasksMeasure:
    """`tasks`: sum(weight x credit) / sum(weight) over linked, non-dropped tasks."""

    @pytest.mark.parametrize(
        ("states", "credit", "progress", "done", "total"),
        [
            ((DONE, DONE, OPEN), 0.0, 2 / 3, 2, 3),
            ((DONE,), 0.0, 1.0, 1, 1),
            ((OPEN, OPEN), 0.0, 0.0, 0, 2),
            ((DONE, PROG, OPEN, OPEN), 0.0, 0.25, 1, 4),
            ((DONE, PROG, OPEN, OPEN), 0.5, 0.375, 1, 4),
            ((PROG, PROG), 1.0, 1.0, 0, 2),
            ((DONE, DROP), 0.0, 1.0, 1, 1),
            ((DONE, OPEN, DROP, DROP), 0.0, 0.5, 1, 2),
        ],
    )
    def test_formula(
        self, states: tuple[TaskState, ...], credit: float, progress: float, done: float, total: float
    ) -> None:
        """Done earns 1, in progress earns the KR's credit, open 0; dropped leaves both sides."""
        result = kr_progress(kr(in_progress_credit=credit), tasks_of(*states), [], QUARTER, MIDWAY)
        assert result.progress == pytest.approx(progress)
        assert (result.done, result.total) == (done, total)

    @pytest.mark.parametrize(
        ("tasks", "default_points", "progress", "done", "total"),
        [
            ([task(1, DONE, "points:3"), task(2, OPEN, "points:1")], 1.0, 0.75, 3, 4),
            ([task(1, DONE, points=5.0), task(2, OPEN, points=5.0)], 1.0, 0.5, 5, 10),
            ([task(1, DONE, "points:2", points=8.0), task(2, OPEN, points=2.0)], 1.0, 0.5, 2, 4),
            ([task(1, DONE, points=3.0), task(2, OPEN)], 1.0, 0.75, 3, 4),
            ([task(1, DONE, points=3.0), task(2, OPEN)], 3.0, 0.5, 3, 6),
            ([task(1, DONE), task(2, OPEN)], 2.0, 0.5, 2, 4),
            ([task(1, DONE, "points:0"), task(2, OPEN, "points:0")], 1.0, 0.0, 0, 0),
        ],
    )
    def test_points_weights(
        self, tasks: list[TaskSnapshot], default_points: float, progress: float, done: float, total: float
    ) -> None:
        """`points:N` label, then the tracker's points, then `default_points` (points missing on some tasks)."""
        view = kr(task_weight=TaskWeight.POINTS, default_points=default_points)
        result = kr_progress(view, tasks, [], QUARTER, MIDWAY)
        assert result.progress == pytest.approx(progress)
        assert (result.done, result.total) == (done, total)

    def test_points_are_ignored_when_each_task_weighs_one(self) -> None:
        """With `task_weight: one` a 13-point task counts like any other."""
        result = kr_progress(kr(), [task(1, DONE, "points:13"), task(2, OPEN)], [], QUARTER, MIDWAY)
        assert result.progress == 0.5

    def test_custom_points_prefix(self) -> None:
        """The points label prefix comes from the config."""
        view = kr(task_weight=TaskWeight.POINTS)
        tasks = [task(1, DONE, "sp=3"), task(2, OPEN, "sp=1")]
        assert kr_progress(view, tasks, [], QUARTER, MIDWAY, points_prefix="sp=").progress == 0.75

    def test_task_count_excludes_dropped_and_deleted(self) -> None:
        """Only tasks that count are counted."""
        tasks = [*tasks_of(DONE, OPEN, DROP), task(9, DONE, deleted=True)]
        assert kr_progress(kr(), tasks, [], QUARTER, MIDWAY).task_count == 2

    def test_result_carries_kr_identity_weight_and_expected(self) -> None:
        """The result names its KR, copies its weight and the expected progress at `now`."""
        result = kr_progress(kr("OPS-2.1", weight=3.0), tasks_of(DONE), [], QUARTER, MIDWAY)
        assert (result.kr_id, result.weight, result.expected) == ("OPS-2.1", 3.0, 0.5)
        assert (result.current, result.target) == (None, None)


class TestUserComplaints:
    """The cases users complain about in other tools."""

    def test_closed_as_not_planned_does_not_hold_progress_below_full(self) -> None:
        """Two done and one closed as not planned (dropped) is 100%, done."""
        result = kr_progress(kr(), tasks_of(DONE, DONE, DROP), [], QUARTER, MIDWAY)
        assert result.progress == 1.0
        assert result.status is Status.DONE

    @pytest.mark.parametrize("closed_as", [DONE, DROP])
    def test_closing_a_task_never_lowers_progress(self, closed_as: TaskState) -> None:
        """Closing an open or in-progress task (done or not planned) never lowers progress."""
        for before_state in (OPEN, PROG):
            before = [*tasks_of(DONE, OPEN, PROG), task(9, before_state)]
            after = [*before[:-1], task(9, closed_as)]
            view = kr(in_progress_credit=0.5)
            assert kr_progress(view, after, [], QUARTER, MIDWAY).progress >= (
                kr_progress(view, before, [], QUARTER, MIDWAY).progress
            )

    def test_kr_with_no_tasks_says_no_tasks(self) -> None:
        """No linked task: progress 0 and status `no_tasks`, not off track."""
        result = kr_progress(kr(), [], [], QUARTER, MIDWAY)
        assert (result.progress, result.status, result.task_count) == (0.0, Status.NO_TASKS, 0)

    def test_kr_with_only_dropped_tasks_says_no_tasks(self) -> None:
        """Dropped tasks do not count as tasks."""
        assert kr_progress(kr(), tasks_of(DROP, DROP), [], QUARTER, MIDWAY).status is Status.NO_TASKS

    def test_decreasing_metric_past_its_target_is_done_not_over_100(self) -> None:
        """Latency 500 -> 200 ms measured at 150 ms is 100% and done."""
        view = kr(measure=Measure.METRIC, start=500.0, target=200.0, unit="ms")
        result = kr_progress(view, [], [checkin(150.0)], QUARTER, MIDWAY)
        assert (result.progress, result.status, result.current) == (1.0, Status.DONE, 150.0)


class TestCountMeasure:
    """`count`: current = done tasks (or points); progress = min(1, current / target)."""

    @pytest.mark.parametrize(
        ("states", "target", "progress", "current"),
        [
            ((DONE, DONE, OPEN), 4.0, 0.5, 2),
            ((DONE, DONE, DONE), 2.0, 1.0, 3),
            ((OPEN, PROG), 5.0, 0.0, 0),
            ((DONE, DROP), 2.0, 0.5, 1),
        ],
    )
    def test_formula(self, states: tuple[TaskState, ...], target: float, progress: float, current: float) -> None:
        """Only done tasks count; more than the target is still 100%."""
        result = kr_progress(kr(measure=Measure.COUNT, target=target), tasks_of(*states), [], QUARTER, MIDWAY)
        assert (result.progress, result.current, result.target) == (progress, current, target)
        assert (result.done, result.total) == (current, target)

    def test_points_count(self) -> None:
        """With point weights, the done tasks' points count."""
        view = kr(measure=Measure.COUNT, target=10.0, task_weight=TaskWeight.POINTS)
        tasks = [task(1, DONE, "points:3"), task(2, DONE, points=2.0), task(3, OPEN, "points:8")]
        assert kr_progress(view, tasks, [], QUARTER, MIDWAY).progress == 0.5

    def test_no_tasks(self) -> None:
        """A count KR without tasks says `no_tasks`."""
        assert kr_progress(kr(measure=Measure.COUNT, target=3.0), [], [], QUARTER, MIDWAY).status is Status.NO_TASKS

    def test_missing_target_is_a_clear_error(self) -> None:
        """The config forbids it; the engine still names the KR and the fix."""
        with pytest.raises(ValueError, match=r"count key result 'ENG-1.2' needs a positive target"):
            kr_progress(kr(measure=Measure.COUNT), [], [], QUARTER, MIDWAY)


class TestMetricMeasure:
    """`metric`: clamp((current - start) / (target - start), 0, 1), current from check-ins or tasks."""

    @pytest.mark.parametrize(
        ("start", "target", "value", "progress"),
        [
            (None, 100.0, 25.0, 0.25),
            (None, 100.0, 150.0, 1.0),
            (None, 100.0, -5.0, 0.0),
            (50.0, 100.0, 75.0, 0.5),
            (500.0, 200.0, 350.0, 0.5),
            (500.0, 200.0, 600.0, 0.0),
            (500.0, 200.0, 200.0, 1.0),
            (10.0, 0.0, 2.5, 0.75),
        ],
    )
    def test_formula(self, start: float | None, target: float, value: float, progress: float) -> None:
        """Increasing and decreasing KRs, clamped at both ends; start defaults to 0."""
        view = kr(measure=Measure.METRIC, start=start, target=target)
        result = kr_progress(view, [], [checkin(value)], QUARTER, MIDWAY)
        assert result.progress == pytest.approx(progress)
        assert (result.current, result.target, result.done, result.total) == (value, target, value, target)

    def test_latest_checkin_by_time_wins_whatever_the_order(self) -> None:
        """Check-ins are ordered by `at`, not by position."""
        view = kr(measure=Measure.METRIC, target=100.0)
        later = checkin(80.0, at=UPDATED + timedelta(days=1))
        assert kr_progress(view, [], [later, checkin(10.0)], QUARTER, MIDWAY).current == 80.0

    def test_equal_times_take_the_later_checkin(self) -> None:
        """Two check-ins at the same instant: the one given last (stored last) wins."""
        view = kr(measure=Measure.METRIC, target=100.0)
        assert kr_progress(view, [], [checkin(10.0), checkin(30.0)], QUARTER, MIDWAY).current == 30.0

    def test_checkins_of_other_krs_are_ignored(self) -> None:
        """Only this KR's check-ins count."""
        view = kr(measure=Measure.METRIC, target=100.0)
        result = kr_progress(view, [], [checkin(90.0, kr_id="OPS-2.1")], QUARTER, MIDWAY)
        assert (result.current, result.progress) == (0.0, 0.0)

    def test_no_value_means_current_is_start(self) -> None:
        """No check-in yet: current = start, progress 0, and the status judges it (no `no_tasks`)."""
        view = kr(measure=Measure.METRIC, start=40.0, target=90.0)
        result = kr_progress(view, [], [], QUARTER, MIDWAY)
        assert (result.current, result.progress, result.status) == (40.0, 0.0, Status.OFF_TRACK)

    def test_no_value_is_marked_unknown_and_a_value_known(self) -> None:
        """`value_known` tells a computed current from a start value standing in for none (push nothing)."""
        view = kr(measure=Measure.METRIC, start=40.0, target=90.0)
        assert kr_progress(view, [], [], QUARTER, MIDWAY).value_known is False
        assert kr_progress(view, [], [checkin(40.0)], QUARTER, MIDWAY).value_known is True
        by_field = kr(measure=Measure.METRIC, target=60.0, aggregate=Aggregate.SUM, field="revenue")
        assert kr_progress(by_field, [task(1, OPEN)], [], QUARTER, MIDWAY).value_known is False
        with_field = [task(1, OPEN, numbers=(("revenue", 0.0),))]
        assert kr_progress(by_field, with_field, [], QUARTER, MIDWAY).value_known is True

    @pytest.mark.parametrize("measure", [Measure.TASKS, Measure.COUNT])
    def test_task_measures_always_know_their_value(self, measure: Measure) -> None:
        """Counting tasks always yields a value, even with no task (0 of 0)."""
        view = kr(measure=measure, target=5.0 if measure is Measure.COUNT else None)
        assert kr_progress(view, [], [], QUARTER, MIDWAY).value_known is True

    @pytest.mark.parametrize(("aggregate", "current"), [(Aggregate.SUM, 30.0), (Aggregate.AVG, 15.0)])
    def test_task_field_aggregates(self, aggregate: Aggregate, current: float) -> None:
        """sum/avg of a number field over linked, non-dropped tasks that have it."""
        view = kr(measure=Measure.METRIC, target=60.0, aggregate=aggregate, field="revenue")
        tasks = [
            task(1, DONE, numbers=(("revenue", 10.0),)),
            task(2, OPEN, numbers=(("revenue", 20.0), ("cost", 99.0))),
            task(3, OPEN),
            task(4, DROP, numbers=(("revenue", 1000.0),)),
        ]
        result = kr_progress(view, tasks, [checkin(59.0)], QUARTER, MIDWAY)
        assert result.current == current
        assert result.progress == pytest.approx(current / 60.0)

    def test_target_equal_to_start_is_a_clear_error(self) -> None:
        """The config forbids it; the engine still names the KR."""
        with pytest.raises(ValueError, match=r"metric key result 'ENG-1.2' needs a target different from its start"):
            kr_progress(kr(measure=Measure.METRIC, start=5.0, target=5.0), [], [], QUARTER, MIDWAY)
