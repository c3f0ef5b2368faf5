"""Explain: why a task links where it does, what it weighs, earns and contributes, and near misses."""

from __future__ import annotations

import pytest

from syncd.core.explain import NearMiss, TaskExplanation, explain_task, near_misses, one_edit_apart
from syncd.core.matching import Rule
from syncd.core.model import Aggregate, KeyResultView, Measure, TaskSnapshot, TaskState, TaskWeight
from tests.support.core_builders import kr, rules, task

OPEN, PROG, DONE, DROP = TaskState.OPEN, TaskState.IN_PROGRESS, TaskState.DONE, TaskState.DROPPED
KRS = {kr_id: kr(kr_id) for kr_id in ("ENG-1.2", "ENG-1.3", "OPS-2.1")}


def explain(
    subject: TaskSnapshot,
    krs: dict[str, KeyResultView] | None = None,
    linked: dict[str, list[TaskSnapshot]] | None = None,
) -> TaskExplanation:
    """Explain `subject` against the default rules, KRs and each KR's linked tasks."""
    return explain_task(subject, rules(), krs or KRS, linked or {})


class TestLinks:
    """Each link's rule, weight, credit and share."""

    def test_share_of_a_tasks_kr(self) -> None:
        """A done task among three of weight 1 holds a third of the KR."""
        subject = task(1, DONE, "kr:ENG-1.2")
        result = explain(subject, linked={"ENG-1.2": [task(1, OPEN, "kr:ENG-1.2"), task(2, OPEN), task(3, DONE)]})
        (link,) = result.links
        assert (link.kr_id, link.rule, link.weight, link.credit, link.counted) == (
            "ENG-1.2",
            "label kr:ENG-1.2",
            1.0,
            1.0,
            True,
        )
        assert link.share == pytest.approx(1 / 3)
        assert result.fired_rules == ("label kr:ENG-1.2",)

    def test_task_not_yet_in_the_kr_is_added_for_the_share(self) -> None:
        """Explaining a newly labelled task counts it among the KR's tasks."""
        link = explain(task(9, DONE, "kr:ENG-1.2"), linked={"ENG-1.2": [task(2, OPEN)]}).links[0]
        assert link.share == 0.5

    def test_points_and_in_progress_credit(self) -> None:
        """A 3-point task in progress at credit 0.5 among 6 points holds a quarter."""
        krs = {"ENG-1.2": kr(task_weight=TaskWeight.POINTS, in_progress_credit=0.5)}
        subject = task(1, PROG, "kr:ENG-1.2", "points:3")
        link = explain(subject, krs, linked={"ENG-1.2": [task(2, DONE, points=3.0)]}).links[0]
        assert (link.weight, link.credit, link.share) == (3.0, 0.5, 0.25)
        assert link.note == "weight 3 of 6 in total, credit 0.5"

    def test_dropped_task_counts_nowhere(self) -> None:
        """A task closed as not planned links but does not count."""
        link = explain(task(1, DROP, "kr:ENG-1.2"), linked={"ENG-1.2": [task(2, DONE)]}).links[0]
        assert (link.counted, link.share, link.credit) == (False, 0.0, 0.0)
        assert "neither numerator nor denominator" in link.note

    def test_one_task_in_two_krs(self) -> None:
        """A task labelled for two KRs is explained in both."""
        result = explain(task(1, DONE, "kr:ENG-1.2", "kr:OPS-2.1"))
        assert [(link.kr_id, link.share) for link in result.links] == [("ENG-1.2", 1.0), ("OPS-2.1", 1.0)]

    def test_count_kr_share_is_against_the_target(self) -> None:
        """A done task is one fifth of a count KR with target 5."""
        link = explain(task(1, DONE, "kr:ENG-1.2"), {"ENG-1.2": kr(measure=Measure.COUNT, target=5.0)}).links[0]
        assert link.share == 0.2

    @pytest.mark.parametrize(
        ("view", "numbers", "share", "note"),
        [
            (kr(measure=Measure.METRIC, target=10.0), (), None, "progress comes from check-ins, not from tasks"),
            (
                kr(measure=Measure.METRIC, target=10.0, aggregate=Aggregate.SUM, field="n"),
                (("n", 2.0),),
                0.2,
                "n = 2 adds to the sum",
            ),
            (
                kr(measure=Measure.METRIC, target=10.0, aggregate=Aggregate.AVG, field="n"),
                (("n", 2.0),),
                None,
                "n = 2 joins the average of the linked tasks",
            ),
            (
                kr(measure=Measure.METRIC, target=10.0, aggregate=Aggregate.SUM, field="n"),
                (),
                None,
                "has no 'n' value, so it does not move this metric",
            ),
        ],
    )
    def test_metric_kr(
        self, view: KeyResultView, numbers: tuple[tuple[str, float], ...], share: float | None, note: str
    ) -> None:
        """Metric KRs say where their progress comes from."""
        link = explain(task(1, DONE, "kr:ENG-1.2", numbers=numbers), {"ENG-1.2": view}).links[0]
        assert (link.share, link.note) == (share, note)

    def test_explicit_rule_is_named(self) -> None:
        """The fired rule's text is shown."""
        rule = Rule(("ENG-1.3",), label="frontend")
        result = explain_task(task(1, OPEN, "frontend"), rules(explicit=(rule,)), KRS, {})
        assert result.fired_rules == ("rule label 'frontend'",)

    def test_deleted_task_links_nothing(self) -> None:
        """A deleted task is explained as deleted, with no links and no near misses."""
        result = explain(task(1, DONE, "kr:ENG-1.2", "ENG-1.3", deleted=True))
        assert (result.deleted, result.links, result.near_misses) == (True, (), ())


class TestNearMisses:
    """Labels that almost linked."""

    @pytest.mark.parametrize(
        ("label", "misses"),
        [
            ("kr:ENG-1.4", [("ENG-1.2", "one edit away from ENG-1.2"), ("ENG-1.3", "one edit away from ENG-1.3")]),
            ("kr:eng1.2", [("ENG-1.2", "one edit away from ENG-1.2")]),
            ("kr:ENG-1.22", [("ENG-1.2", "one edit away from ENG-1.2")]),
            ("ENG-1.2", [("ENG-1.2", "names ENG-1.2 but lacks the prefix 'kr:'")]),
            ("ops-2.1", [("OPS-2.1", "names OPS-2.1 but lacks the prefix 'kr:'")]),
            ("kr-ENG-1.2", [("ENG-1.2", "prefix 'kr-' is one edit away from 'kr:'")]),
            ("kr ENG-1.2", [("ENG-1.2", "prefix 'kr ' is one edit away from 'kr:'")]),
            ("kr:ENG-1.2", []),
            ("kr:ENG-7.7", []),
            ("bug", []),
        ],
    )
    def test_near_misses(self, label: str, misses: list[tuple[str, str]]) -> None:
        """Typos one edit from an id or from the prefix, and missing prefixes, are pointed out."""
        found = near_misses(task(1, OPEN, label), rules())
        assert found == tuple(NearMiss(label, kr_id, reason) for kr_id, reason in misses)

    def test_label_used_by_a_rule_is_no_near_miss(self) -> None:
        """A bare KR id that an explicit rule maps is intended, not a miss."""
        rule = Rule(("ENG-1.2",), label="ENG-1.2")
        assert near_misses(task(1, OPEN, "ENG-1.2"), rules(explicit=(rule,))) == ()


@pytest.mark.parametrize(
    ("first", "second", "apart"),
    [
        ("abc", "abd", True),
        ("abc", "ab", True),
        ("abc", "xabc", True),
        ("abc", "abc", False),
        ("abc", "acb", False),
        ("abc", "a", False),
        ("", "a", True),
        ("", "", False),
    ],
)
def test_one_edit_apart(first: str, second: str, apart: bool) -> None:
    """Exactly one insertion, deletion or substitution (a swap is two)."""
    assert one_edit_apart(first, second) is apart
    assert one_edit_apart(second, first) is apart
