"""The seeded company: one quarter, three objectives, eight KRs of every measure, ~60 tasks, misspellings."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.sandbox.company import API, SALES, WEB, current_quarter
from syncd.sandbox.expected import ground_truth
from syncd.sandbox.story import acme_story
from tests.sandbox.conftest import NOW, SeededCompany


class TestCurrentQuarter:
    """The cycle is the calendar quarter containing today, so status words mean something."""

    @pytest.mark.parametrize(
        ("today", "cycle_id", "start", "end"),
        [
            (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
            (date(2026, 3, 31), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
            (date(2026, 5, 17), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
            (date(2026, 11, 22), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
            (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ],
    )
    def test_the_quarter_holds_today(self, today: date, cycle_id: str, start: date, end: date) -> None:
        """Any day of the year falls in its own quarter, first and last days included."""
        cycle = current_quarter(today)
        assert (cycle.id, cycle.start, cycle.end) == (cycle_id, start, end)
        assert cycle.start <= today <= cycle.end


class TestOkrs:
    """Three objectives and eight KRs that, together, use every way syncd measures progress."""

    def test_three_objectives_hold_eight_key_results(self, seeded: SeededCompany) -> None:
        """The config has one cycle, three objectives and eight KRs with unique ids."""
        okr = build_okr(seeded.config)
        assert len(okr.cycles) == 1
        assert len(okr.objectives) == 3
        assert len(okr.key_results) == 8 == len(set(seeded.company.key_result_ids))

    def test_every_measure_type_is_present(self, seeded: SeededCompany) -> None:
        """tasks, tasks by points, count, metric from check-ins (rising and falling), metric sum and avg."""
        kinds = set()
        for kr in build_okr(seeded.config).key_results.values():
            direction = (
                "falling" if kr.target is not None and kr.start is not None and kr.target < kr.start else "rising"
            )
            source = kr.aggregate.value if kr.measure.value == "metric" else kr.task_weight.value
            kinds.add((kr.measure.value, source, direction))
        assert kinds >= {
            ("tasks", "one", "rising"),
            ("tasks", "points", "rising"),
            ("count", "one", "rising"),
            ("metric", "checkins", "rising"),
            ("metric", "checkins", "falling"),
            ("metric", "sum", "rising"),
            ("metric", "avg", "falling"),
        }

    def test_every_task_driven_kr_has_tasks_linked(self, seeded: SeededCompany) -> None:
        """Each KR measured from tasks starts with linked tasks, so its comments appear at the first sync."""
        truth = ground_truth(seeded.config, seeded.sources, seeded.seeded_checkins(), NOW)
        linked = {kr_id for task in truth.tasks for kr_id in task.kr_ids}
        from_checkins = {
            kr.id
            for kr in build_okr(seeded.config).key_results.values()
            if kr.aggregate.value == "checkins" and kr.measure.value == "metric"
        }
        assert linked | from_checkins == set(seeded.company.key_result_ids)
        assert {item.kr_id for item in seeded.company.checkins} == from_checkins


class TestTasks:
    """About sixty tasks of three teams, in every state, code changes among them."""

    def test_about_sixty_tasks_of_three_teams(self, seeded: SeededCompany) -> None:
        """Web and API hold tasks and code changes; sales holds the rest, its deals with number fields."""
        kinds = Counter((item.team, item.change) for item in seeded.company.items)
        assert set(kinds) == {(WEB, False), (WEB, True), (API, False), (API, True), (SALES, False)}
        assert 55 <= len(seeded.company.items) <= 65
        assert sum(1 for item in seeded.company.items if item.numbers) == 8

    def test_tasks_end_in_every_state(self, seeded: SeededCompany) -> None:
        """Open, in progress, done and dropped all occur, code changes done and not."""
        assert {item.state for item in seeded.company.items} == {"open", "in_progress", "done", "dropped"}
        assert {item.state for item in seeded.company.items if item.change} == {"open", "done"}

    def test_misspelled_labels_warn_and_suggest_the_intended_kr(self, seeded: SeededCompany) -> None:
        """`kr:ENG-12` (for ENG-1.2) and `kr:GMT-1.1` (for GTM-1.1) are on tasks, link nothing, and suggest the KR meant."""
        rules = build_okr(seeded.config).rules
        truth = ground_truth(seeded.config, seeded.sources, seeded.seeded_checkins(), NOW)
        intended = {"kr:ENG-12": "ENG-1.2", "kr:GMT-1.1": "GTM-1.1"}
        assert set(seeded.company.misspelled_labels) == set(intended)
        for label, meant in intended.items():
            carriers = [task for task in truth.tasks if label in task.snapshot.labels]
            assert len(carriers) == 1, label
            result = match_task(carriers[0].snapshot, rules)
            assert result.links == ()
            assert [item.label for item in result.unknown] == [label]
            assert result.unknown[0].suggestions[0] == meant

    def test_the_story_finds_every_item_it_changes(self, seeded: SeededCompany) -> None:
        """Each step's page names a seeded issue or task (or none, for check-ins)."""
        keys = {key for source in seeded.sources for key in source.tracker.story_keys()}
        pages = {step.page for step in acme_story()}
        assert pages - {None} <= keys
        assert len(acme_story()) >= 10
