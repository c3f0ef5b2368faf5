"""Ground truth: each KR's progress from the simulators' state, worked out by hand for the seeded company."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.asana.render import ASANA_RICH_TEXT
from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.core.model import CheckIn, TaskRef
from syncd.core.progress import kr_progress
from syncd.core.render import MARKDOWN, CommentEntry, CommentRenderer, render_task_comment
from syncd.sandbox.company import CYCLE_DAYS_FIELD, PIPELINE_FIELD
from syncd.sandbox.expected import GroundTruth, ground_truth
from syncd.sandbox.observed import comment_percents
from tests.sandbox.conftest import NOW, SeededCompany

#: The seed, by hand (see syncd/sandbox/company.py), with the formulas of DESIGN.md.
SEEDED = {
    "ENG-1.1": 4 / 8,  # 9 linked, captcha not planned: 4 of 8 done
    "ENG-1.2": 11.5 / 31,  # points 5+3+2+5+3+3+8+2; done 5+3+2, half of the 3 in progress
    "ENG-1.3": (41 - 35) / (60 - 35),  # checked in 41, from 35 to 60
    "ENG-2.1": 5 / 12,  # 5 bugs done of a target of 12 (the duplicate does not count)
    "ENG-2.2": (780 - 900) / (300 - 900),  # checked in 780 ms, from 900 down to 300
    "GTM-1.1": (3 + 0.5 * 2) / 7,  # 8 tasks, one in Won't do; 3 done, 2 in Doing at half credit
    "GTM-1.2": (60 + 80 + 45 + 70 + 30) / 400,  # sum of the pipeline field
    "GTM-1.3": ((58 + 52 + 49) / 3 - 60) / (40 - 60),  # average sales cycle 53 days, from 60 down to 40
}


def _truth(seeded: SeededCompany, checkins: list[CheckIn] | None = None) -> GroundTruth:
    return ground_truth(seeded.config, seeded.sources, checkins or seeded.seeded_checkins(), NOW)


class TestSeededCompany:
    """The ground truth of the seed equals the formulas applied by hand."""

    def test_each_kr_matches_the_hand_worked_formulas(self, seeded: SeededCompany) -> None:
        """Every measure: tasks, points with in-progress credit, count, metrics up and down, sum, avg."""
        assert _truth(seeded).progress == pytest.approx(SEEDED)

    def test_misspelled_tasks_get_a_comment_but_count_nowhere(self, seeded: SeededCompany) -> None:
        """A task naming an unknown KR is labelled (it gets a warning) and links nothing."""
        truth = _truth(seeded)
        warned = {task.snapshot.external_id: task for task in truth.tasks if task.unknown}
        assert sorted(task.unknown for task in warned.values()) == [("ENG-12",), ("GMT-1.1",)]
        assert all(task.labelled and not task.kr_ids for task in warned.values())
        assert len(truth.labelled()) == 46

    def test_comments_and_fields_show_whole_percentages(self, seeded: SeededCompany) -> None:
        """A comment shows each linked KR's whole percentage; the Asana field the first KR's, as a fraction."""
        truth = _truth(seeded)
        northwind = next(task for task in truth.tasks if task.snapshot.external_id == seeded.external_id("northwind"))
        assert truth.comment_percents(northwind) == {"GTM-1.2": 71}  # 0.7125 rounds half up to 71
        assert truth.field_fraction(northwind) == 0.71
        unlabelled = next(task for task in truth.tasks if task.snapshot.title == "Dark mode toggle")
        assert not unlabelled.labelled
        assert truth.field_fraction(unlabelled) is None


class TestTrackerChanges:
    """The ground truth follows what people do in the trackers, wherever the spread put the task."""

    def test_a_task_dropped_as_not_planned_leaves_both_sides_of_its_kr(self, seeded: SeededCompany) -> None:
        """Dropping the 3-point migration takes 3 points out of ENG-1.2's total."""
        seeded.holder("setup-migration").tracker.set_state("setup-migration", "dropped")
        assert _truth(seeded).progress["ENG-1.2"] == pytest.approx(11.5 / 28)

    def test_a_dropped_change_leaves_its_kr_and_a_finished_one_counts_done(self, seeded: SeededCompany) -> None:
        """Dropping the signup change takes it out of ENG-1.1; reopened and finished instead, it is done."""
        tracker = seeded.holder("signup-validation").tracker
        tracker.set_state("signup-validation", "dropped")
        assert _truth(seeded).progress["ENG-1.1"] == pytest.approx(4 / 7)
        tracker.set_state("signup-validation", "open")
        tracker.set_state("signup-validation", "done")
        assert _truth(seeded).progress["ENG-1.1"] == pytest.approx(5 / 8)

    def test_the_latest_check_in_counts_and_lower_is_better_on_a_falling_metric(self, seeded: SeededCompany) -> None:
        """620 ms after 780 ms moves ENG-2.2 from 20% to 47%; an earlier report changes nothing."""
        later = [*seeded.seeded_checkins(), CheckIn("ENG-2.2", NOW + timedelta(hours=1), 620)]
        earlier = [*seeded.seeded_checkins(), CheckIn("ENG-2.2", NOW - timedelta(hours=1), 500)]
        assert _truth(seeded, later).progress["ENG-2.2"] == pytest.approx(280 / 600)
        assert _truth(seeded, earlier).progress["ENG-2.2"] == pytest.approx(0.2)

    def test_dropped_tasks_and_number_fields(self, seeded: SeededCompany) -> None:
        """A dropped task leaves its KR; a number field feeds the sum; a new label and value feed the average."""
        battlecards, northwind, contoso = (
            seeded.holder(key).tracker for key in ("battlecards", "northwind", "contoso")
        )
        battlecards.set_state("battlecards", "dropped")
        northwind.set_number("northwind", PIPELINE_FIELD, 120)
        contoso.add_label("contoso", "kr:GTM-1.3")
        contoso.set_number("contoso", CYCLE_DAYS_FIELD, 41)
        progress = _truth(seeded).progress
        assert progress["GTM-1.1"] == pytest.approx(4 / 6)
        assert progress["GTM-1.2"] == pytest.approx(345 / 400)
        assert progress["GTM-1.3"] == pytest.approx(0.5)  # (58 + 52 + 49 + 41) / 4 = 50 days


class TestCommentPercents:
    """The sandbox reads back exactly what syncd's renderer writes, in both markups."""

    @pytest.mark.parametrize("fmt", [MARKDOWN, ASANA_RICH_TEXT])
    def test_reads_each_kr_percentage_of_a_rendered_comment(self, seeded: SeededCompany, fmt: CommentRenderer) -> None:
        """Two KRs and a warning: the percentages come back by KR id, the warning adds none."""
        okr = build_okr(seeded.config)
        truth = _truth(seeded)
        task = next(task for task in truth.tasks if task.snapshot.title == "Setup wizard API")
        unknown = match_task(next(t for t in truth.tasks if t.unknown).snapshot, okr.rules).unknown
        entries = []
        for kr_id in ("ENG-1.2", "GTM-1.2"):
            kr = okr.key_results[kr_id]
            cycle = okr.cycles[kr.cycle_id]
            linked = [t.snapshot for t in truth.tasks if kr_id in t.kr_ids]
            progress = kr_progress(kr, linked, seeded.seeded_checkins(), cycle, NOW)
            entries.append(CommentEntry(kr, okr.objectives[kr.objective_id], cycle, progress, NOW))
        body = render_task_comment(TaskRef("acme-github", task.snapshot.external_id), entries, unknown, fmt)
        assert comment_percents(body) == {"ENG-1.2": 37, "GTM-1.2": 71}
