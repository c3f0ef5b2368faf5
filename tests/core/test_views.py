"""Config views: the admin config as the core's frozen views, with progress defaults merged in."""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.matching import Rule
from syncd.core.model import Aggregate, CycleView, Measure, TaskWeight, Thresholds


def config(**extra: Any) -> SyncdConfig:
    """A config with one cycle, two objectives (one child) and three KRs."""
    data: dict[str, Any] = {
        "cycles": [{"id": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31", "title": "Q1"}],
        "objectives": [
            {
                "id": "ENG-1",
                "title": "Faster onboarding",
                "cycle": "2025-Q1",
                "rollup": True,
                "key_results": [
                    {"id": "ENG-1.2", "title": "Ship it"},
                    {
                        "id": "ENG-1.1",
                        "title": "Points",
                        "task_weight": "points",
                        "default_points": 5,
                        "in_progress_credit": 0.25,
                        "weight": 2,
                    },
                ],
            },
            {
                "id": "ENG-2",
                "title": "Latency",
                "cycle": "2025-Q1",
                "parent": "ENG-1",
                "weight": 3,
                "key_results": [
                    {
                        "id": "ENG-2.1",
                        "title": "p99",
                        "measure": "metric",
                        "start": 500,
                        "target": 200,
                        "unit": "ms",
                        "aggregate": "avg",
                        "field": "p99",
                    }
                ],
            },
        ],
    }
    data.update(extra)
    return config_model().model_validate(data)


class TestBuildOkr:
    """`build_okr` maps every config object to its view."""

    def test_cycles(self) -> None:
        """Cycles keep id, dates and title."""
        okr = build_okr(config())
        assert okr.cycles == {"2025-Q1": CycleView("2025-Q1", date(2025, 1, 1), date(2025, 3, 31), "Q1")}

    def test_objectives_keep_config_order_and_alignment(self) -> None:
        """Objectives list their KRs in config order, with parent, weight and roll-up."""
        okr = build_okr(config())
        assert list(okr.objectives) == ["ENG-1", "ENG-2"]
        assert okr.objectives["ENG-1"].key_result_ids == ("ENG-1.2", "ENG-1.1")
        assert okr.objectives["ENG-1"].rollup is True
        child = okr.objectives["ENG-2"]
        assert (child.parent_id, child.weight, child.cycle_id) == ("ENG-1", 3.0, "2025-Q1")

    def test_key_results_keep_config_order(self) -> None:
        """KRs come in the order the admin wrote them."""
        assert list(build_okr(config()).key_results) == ["ENG-1.2", "ENG-1.1", "ENG-2.1"]

    def test_progress_defaults_fill_unset_kr_options(self) -> None:
        """Unset task weight, points, credit and thresholds come from `progress:`."""
        progress = {
            "task_weight": "points",
            "default_points": 3,
            "in_progress_credit": 0.5,
            "tolerance": 0.05,
            "at_risk": 0.2,
        }
        view = build_okr(config(progress=progress)).key_results["ENG-1.2"]
        assert (view.task_weight, view.default_points, view.in_progress_credit) == (TaskWeight.POINTS, 3.0, 0.5)
        assert view.thresholds == Thresholds(tolerance=0.05, at_risk=0.2)
        assert (view.objective_id, view.cycle_id, view.measure) == ("ENG-1", "2025-Q1", Measure.TASKS)

    def test_kr_options_win_over_defaults(self) -> None:
        """A KR's own settings are kept even when defaults differ."""
        view = build_okr(config(progress={"in_progress_credit": 0.9})).key_results["ENG-1.1"]
        assert (view.task_weight, view.default_points, view.in_progress_credit, view.weight) == (
            TaskWeight.POINTS,
            5.0,
            0.25,
            2.0,
        )

    def test_default_thresholds(self) -> None:
        """With no `progress:` section the design's thresholds apply."""
        assert build_okr(config()).key_results["ENG-1.2"].thresholds == Thresholds(0.10, 0.25)

    def test_metric_kr(self) -> None:
        """Metric options carry over."""
        view = build_okr(config()).key_results["ENG-2.1"]
        assert (view.measure, view.start, view.target, view.unit) == (Measure.METRIC, 500.0, 200.0, "ms")
        assert (view.aggregate, view.field) == (Aggregate.AVG, "p99")


class TestRules:
    """Matching settings become `MatchRules`."""

    def test_prefixes_and_known_ids(self) -> None:
        """Prefixes come from `matching:`; every configured KR is known."""
        rules = build_okr(config(matching={"label_prefix": "okr/", "points_prefix": "sp:"})).rules
        assert (rules.label_prefix, rules.points_prefix) == ("okr/", "sp:")
        assert rules.known_krs == frozenset({"ENG-1.1", "ENG-1.2", "ENG-2.1"})

    def test_explicit_rules_use_configured_id_spelling(self) -> None:
        """A rule naming `eng-1.2` links the configured `ENG-1.2`; unknown ids stay as written."""
        matching = {
            "rules": [
                {"label": "frontend", "key_results": ["eng-1.2", "NOPE"], "container": "acme/web"},
                {"regex": "^perf", "key_results": ["ENG-2.1"], "source": "gh"},
            ]
        }
        rules = build_okr(config(matching=matching)).rules
        assert rules.rules == (
            Rule(("ENG-1.2", "NOPE"), label="frontend", container="acme/web"),
            Rule(("ENG-2.1",), regex="^perf", source="gh"),
        )

    def test_model_carries_the_thresholds_for_objectives(self) -> None:
        """Objectives are judged with the same `progress:` thresholds as KRs."""
        okr = build_okr(config(progress={"tolerance": 0.05, "at_risk": 0.3}))
        assert okr.thresholds == Thresholds(tolerance=0.05, at_risk=0.3)
