"""The bridge from the admin config (pydantic) to the core's frozen views (`syncd.core.model`).

`build_okr` merges the `progress:` defaults (task weight, default points, in-progress credit, thresholds)
into every `KeyResultView`, so the engine never needs the config. Mappings keep the config's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from syncd.config.models import KeyResultConfig, MatchRule, ObjectiveConfig, ProgressConfig, SyncdConfig
from syncd.core.matching import MatchRules, Rule
from syncd.core.model import (
    Aggregate,
    CycleView,
    KeyResultView,
    Measure,
    ObjectiveView,
    TaskWeight,
    Thresholds,
)


@dataclass(frozen=True)
class OkrModel:
    """Cycles, objectives and KRs as core views (in config order), and the matching rules."""

    cycles: Mapping[str, CycleView]
    objectives: Mapping[str, ObjectiveView]
    key_results: Mapping[str, KeyResultView]
    rules: MatchRules
    #: The `progress:` thresholds, for judging objectives (each KR view carries its own copy).
    thresholds: Thresholds = field(default_factory=Thresholds)


def build_okr(config: SyncdConfig) -> OkrModel:
    """The OKR views the engine reads, with the config's progress defaults merged into each KR."""
    cycles = {c.id: CycleView(id=c.id, start=c.start, end=c.end, title=c.title) for c in config.cycles}
    objectives: dict[str, ObjectiveView] = {}
    key_results: dict[str, KeyResultView] = {}
    for objective in config.objectives:
        objectives[objective.id] = objective_view(objective)
        for kr in objective.key_results:
            key_results[kr.id] = key_result_view(kr, objective, config.progress)
    known = frozenset(key_results)
    rules = MatchRules(
        label_prefix=config.matching.label_prefix,
        known_krs=known,
        rules=tuple(rule_view(rule, known) for rule in config.matching.rules),
        points_prefix=config.matching.points_prefix,
    )
    thresholds = Thresholds(tolerance=config.progress.tolerance, at_risk=config.progress.at_risk)
    return OkrModel(cycles=cycles, objectives=objectives, key_results=key_results, rules=rules, thresholds=thresholds)


def objective_view(objective: ObjectiveConfig) -> ObjectiveView:
    """One objective as the engine sees it."""
    return ObjectiveView(
        id=objective.id,
        title=objective.title,
        cycle_id=objective.cycle,
        parent_id=objective.parent,
        weight=objective.weight,
        rollup=objective.rollup,
        key_result_ids=tuple(kr.id for kr in objective.key_results),
    )


def key_result_view(kr: KeyResultConfig, objective: ObjectiveConfig, defaults: ProgressConfig) -> KeyResultView:
    """One KR with every unset option taken from `progress:` defaults."""
    return KeyResultView(
        id=kr.id,
        title=kr.title,
        objective_id=objective.id,
        cycle_id=objective.cycle,
        measure=Measure(kr.measure),
        weight=kr.weight,
        task_weight=TaskWeight(kr.task_weight or defaults.task_weight),
        default_points=defaults.default_points if kr.default_points is None else kr.default_points,
        in_progress_credit=defaults.in_progress_credit if kr.in_progress_credit is None else kr.in_progress_credit,
        start=kr.start,
        target=kr.target,
        unit=kr.unit,
        aggregate=Aggregate(kr.aggregate),
        field=kr.field,
        thresholds=Thresholds(tolerance=defaults.tolerance, at_risk=defaults.at_risk),
    )


def rule_view(rule: MatchRule, known: frozenset[str]) -> Rule:
    """One explicit matching rule; KR ids are spelled as configured (case-insensitive lookup)."""
    spelled = {kr_id.casefold(): kr_id for kr_id in known}
    return Rule(
        kr_ids=tuple(spelled.get(kr_id.casefold(), kr_id) for kr_id in rule.key_results),
        label=rule.label,
        regex=rule.regex,
        source=rule.source,
        container=rule.container,
    )
