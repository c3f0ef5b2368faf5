"""Builders of core views and task snapshots with sensible defaults, for tests of the engine and beyond."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from syncd.core.matching import MatchRules, Rule
from syncd.core.model import (
    CheckIn,
    CycleView,
    KeyResultView,
    ObjectiveView,
    TaskSnapshot,
    TaskState,
)

#: A 90-day quarter: 2025-01-01 00:00 UTC to 2025-04-01 00:00 UTC.
QUARTER = CycleView(id="2025-Q1", start=date(2025, 1, 1), end=date(2025, 3, 31), title="Q1 2025")
#: Halfway through QUARTER (45 of 90 days): expected progress 0.5.
MIDWAY = datetime(2025, 2, 15, tzinfo=UTC)
UPDATED = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)


def task(number: int | str = 1, state: TaskState | str = TaskState.OPEN, *labels: str, **fields: Any) -> TaskSnapshot:
    """A GitHub-like task `acme/web#<number>` in `state` with `labels`; `fields` override the rest."""
    values: dict[str, Any] = {
        "source": "acme-github",
        "external_id": f"acme/web#{number}",
        "url": f"https://github.com/acme/web/issues/{number}",
        "title": f"Task {number}",
        "state": TaskState(state),
        "updated_at": UPDATED,
        "labels": labels,
        "container": "acme/web",
    }
    values.update(fields)
    return TaskSnapshot(**values)


def kr(kr_id: str = "ENG-1.2", **fields: Any) -> KeyResultView:
    """A KR of objective ENG-1 in QUARTER; `fields` override measure, weights, targets..."""
    values: dict[str, Any] = {
        "id": kr_id,
        "title": f"Key result {kr_id}",
        "objective_id": "ENG-1",
        "cycle_id": QUARTER.id,
    }
    values.update(fields)
    return KeyResultView(**values)


def objective(objective_id: str = "ENG-1", *kr_ids: str, **fields: Any) -> ObjectiveView:
    """An objective in QUARTER listing `kr_ids`."""
    values: dict[str, Any] = {
        "id": objective_id,
        "title": f"Objective {objective_id}",
        "cycle_id": QUARTER.id,
        "key_result_ids": kr_ids,
    }
    values.update(fields)
    return ObjectiveView(**values)


def checkin(value: float, at: datetime = UPDATED, kr_id: str = "ENG-1.2") -> CheckIn:
    """A check-in of `value` for `kr_id` at `at`."""
    return CheckIn(kr_id=kr_id, at=at, value=value)


def rules(*known: str, prefix: str = "kr:", explicit: tuple[Rule, ...] = ()) -> MatchRules:
    """Matching rules knowing `known` KR ids (default ENG-1.2, ENG-1.3, OPS-2.1)."""
    ids = known or ("ENG-1.2", "ENG-1.3", "OPS-2.1")
    return MatchRules(label_prefix=prefix, known_krs=frozenset(ids), rules=explicit)
