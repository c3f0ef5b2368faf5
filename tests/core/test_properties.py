"""Properties of the engine that must hold for any input (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.asana.render import ASANA_RICH_TEXT
from syncd.core.matching import UnknownKr
from syncd.core.model import (
    Aggregate,
    CheckIn,
    KeyResultView,
    Measure,
    Status,
    TaskSnapshot,
    TaskState,
    TaskWeight,
)
from syncd.core.progress import KrProgress, kr_progress, objective_progress
from syncd.core.render import MARKDOWN, CommentEntry, CommentRenderer, render_task_comment
from tests.support.core_builders import QUARTER, kr, objective, task

NOWS = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2025, 5, 1), timezones=st.just(UTC))
POINTS = st.one_of(st.none(), st.integers(0, 13).map(float))
KR_IDS = ("ENG-1.2", "ENG-1.3", "OPS-2.1")


@st.composite
def tasks(draw: st.DrawFn, max_size: int = 12) -> list[TaskSnapshot]:
    """Distinct tasks in any state, some with a `points:N` label, some with tracker points."""
    count = draw(st.integers(0, max_size))
    result = []
    for number in range(count):
        label = draw(st.one_of(st.just(()), st.integers(0, 8).map(lambda n: (f"points:{n}",))))
        state = draw(st.sampled_from(TaskState))
        result.append(
            task(number, state, *label, points=draw(POINTS), numbers=(("n", float(draw(st.integers(-50, 50)))),))
        )
    return result


@st.composite
def key_results(draw: st.DrawFn) -> KeyResultView:
    """Any KR: tasks or count (one or points, any credit) or metric (checkins, sum, avg; up or down)."""
    measure = draw(st.sampled_from(Measure))
    weight = draw(st.sampled_from(TaskWeight))
    credit = draw(st.sampled_from((0.0, 0.25, 0.5, 1.0)))
    common = {
        "task_weight": weight,
        "in_progress_credit": credit,
        "default_points": draw(st.sampled_from((1.0, 2.0, 5.0))),
    }
    if measure is Measure.TASKS:
        return kr(**common)
    if measure is Measure.COUNT:
        return kr(measure=measure, target=float(draw(st.integers(1, 20))), **common)
    start = float(draw(st.integers(-100, 100)))
    target = draw(st.integers(-100, 100).filter(lambda value: value != start))
    aggregate = draw(st.sampled_from(Aggregate))
    return kr(measure=measure, start=start, target=float(target), aggregate=aggregate, field="n", **common)


CHECKINS = st.lists(
    st.builds(CheckIn, kr_id=st.just("ENG-1.2"), at=NOWS, value=st.integers(-200, 200).map(float)), max_size=4
)


@settings(max_examples=300)
@given(view=key_results(), linked=tasks(), checkins=CHECKINS, now=NOWS)
def test_progress_is_always_between_zero_and_one(
    view: KeyResultView, linked: list[TaskSnapshot], checkins: list[CheckIn], now: datetime
) -> None:
    """Whatever the measure, tasks and check-ins, progress and expected stay in [0, 1]."""
    result = kr_progress(view, linked, checkins, QUARTER, now)
    assert 0.0 <= result.progress <= 1.0
    assert 0.0 <= result.expected <= 1.0


@settings(max_examples=200)
@given(view=key_results(), linked=tasks(), checkins=CHECKINS, now=NOWS, data=st.data())
def test_progress_does_not_depend_on_task_order(
    view: KeyResultView, linked: list[TaskSnapshot], checkins: list[CheckIn], now: datetime, data: st.DataObject
) -> None:
    """Shuffling the linked tasks gives exactly the same result (sums are exact)."""
    shuffled = data.draw(st.permutations(linked))
    assert kr_progress(view, shuffled, checkins, QUARTER, now) == kr_progress(view, linked, checkins, QUARTER, now)


@given(view=key_results().filter(lambda v: v.measure is Measure.TASKS), linked=tasks(), points=POINTS, now=NOWS)
def test_adding_a_done_task_never_lowers_tasks_progress(
    view: KeyResultView, linked: list[TaskSnapshot], points: float | None, now: datetime
) -> None:
    """One more done task can only help."""
    before = kr_progress(view, linked, [], QUARTER, now).progress
    after = kr_progress(view, [*linked, task(99, TaskState.DONE, points=points)], [], QUARTER, now).progress
    assert after >= before


@given(view=key_results().filter(lambda v: v.measure is Measure.TASKS), linked=tasks(), points=POINTS, now=NOWS)
def test_adding_an_open_task_never_raises_tasks_progress(
    view: KeyResultView, linked: list[TaskSnapshot], points: float | None, now: datetime
) -> None:
    """One more open task can only dilute."""
    before = kr_progress(view, linked, [], QUARTER, now).progress
    after = kr_progress(view, [*linked, task(99, TaskState.OPEN, points=points)], [], QUARTER, now).progress
    assert after <= before


@given(view=key_results().filter(lambda v: v.measure is not Measure.METRIC), linked=tasks(), data=st.data(), now=NOWS)
def test_closing_a_task_as_done_never_lowers_progress(
    view: KeyResultView, linked: list[TaskSnapshot], data: st.DataObject, now: datetime
) -> None:
    """Any task moving to done keeps or raises progress, for `tasks` and `count` KRs."""
    if not linked:
        return
    index = data.draw(st.integers(0, len(linked) - 1))
    closed = [*linked[:index], replace(linked[index], state=TaskState.DONE), *linked[index + 1 :]]
    assert kr_progress(view, closed, [], QUARTER, now).progress >= kr_progress(view, linked, [], QUARTER, now).progress


@given(view=key_results().filter(lambda v: v.measure is Measure.TASKS), linked=tasks(), now=NOWS)
def test_dropping_an_open_task_never_lowers_progress(
    view: KeyResultView, linked: list[TaskSnapshot], now: datetime
) -> None:
    """Closing an open task as not planned takes it out of the denominator: progress cannot fall."""
    before = kr_progress(view, linked, [], QUARTER, now).progress
    dropped = [replace(t, state=TaskState.DROPPED) if t.state is TaskState.OPEN else t for t in linked]
    assert kr_progress(view, dropped, [], QUARTER, now).progress >= before


@given(
    progresses=st.lists(st.floats(0, 1), min_size=1, max_size=6),
    weights=st.lists(st.sampled_from((0.5, 1.0, 2.0, 3.0)), min_size=6, max_size=6),
    now=NOWS,
    data=st.data(),
)
def test_objective_progress_is_bounded_and_order_independent(
    progresses: list[float], weights: list[float], now: datetime, data: st.DataObject
) -> None:
    """The weighted mean stays in [0, 1] and ignores the order of KRs."""
    krs = {
        f"K{i}": KrProgress(f"K{i}", p, Status.ON_TRACK, 0.5, 0, 0, 1, weight=weights[i])
        for i, p in enumerate(progresses)
    }
    ids = list(krs)
    shuffled = data.draw(st.permutations(ids))
    forward = objective_progress([objective("O", *ids)], krs, {QUARTER.id: QUARTER}, now)["O"]
    backward = objective_progress([objective("O", *shuffled)], krs, {QUARTER.id: QUARTER}, now)["O"]
    assert 0.0 <= forward.progress <= 1.0
    assert forward == backward


ENTRY_PROGRESS = st.builds(
    KrProgress,
    kr_id=st.just("K"),
    progress=st.floats(0, 1),
    status=st.sampled_from(Status),
    expected=st.floats(0, 1),
    done=st.floats(0, 1000, allow_nan=False),
    total=st.floats(0, 1000, allow_nan=False),
    task_count=st.integers(0, 100),
)
TEXT = st.text(max_size=30)


@settings(max_examples=100)
@given(
    kr_ids=st.lists(st.sampled_from(KR_IDS), unique=True, max_size=3),
    titles=st.lists(TEXT, min_size=3, max_size=3),
    result=ENTRY_PROGRESS,
    unknown=st.lists(st.builds(UnknownKr, label=TEXT, kr_id=TEXT, suggestions=st.tuples(TEXT)), max_size=3),
    changed=st.one_of(st.none(), NOWS),
    fmt=st.sampled_from([MARKDOWN, ASANA_RICH_TEXT]),
    data=st.data(),
)
def test_rendering_is_deterministic(
    *,
    kr_ids: list[str],
    titles: list[str],
    result: KrProgress,
    unknown: list[UnknownKr],
    changed: datetime | None,
    fmt: CommentRenderer,
    data: st.DataObject,
) -> None:
    """Equal inputs in any order render byte-identical text."""
    entries = [
        CommentEntry(kr(kr_id, title=title), objective("ENG-1", title=title), QUARTER, result, changed)
        for kr_id, title in zip(kr_ids, titles, strict=False)
    ]
    first = render_task_comment(task(1).ref, entries, unknown, fmt)
    again = render_task_comment(
        task(1).ref, data.draw(st.permutations(entries)), data.draw(st.permutations(unknown)), fmt
    )
    assert first == again
