"""Scope changes: which counted tasks joined or left a KR since its last check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncd.runtime.recompute.scope import ScopeChange, scope_change


@dataclass(frozen=True)
class Row:
    """The two columns of a KR row the count reads."""

    scope_tasks: Any
    computed_at: datetime | None


class TestScopeChange:
    """The present set is compared with the one kept at the last check-in."""

    def test_joined_and_left_are_counted_against_the_last_check_in(self) -> None:
        change = scope_change(Row([1, 2, 3], datetime(2026, 1, 1, tzinfo=UTC)), frozenset({2, 3, 4, 5}))
        assert change == ScopeChange(added=2, removed=1, present=(2, 3, 4, 5))
        assert change.changed

    def test_the_same_tasks_are_no_change(self) -> None:
        assert not scope_change(Row([1, 2], datetime(2026, 1, 1, tzinfo=UTC)), frozenset({1, 2})).changed

    def test_a_kr_never_computed_starts_from_no_tasks(self) -> None:
        assert scope_change(Row(None, None), frozenset({7, 8})) == ScopeChange(2, 0, (7, 8))

    def test_a_kr_computed_before_scopes_were_kept_has_unknown_counts(self) -> None:
        change = scope_change(Row(None, datetime(2026, 1, 1, tzinfo=UTC)), frozenset({7}))
        assert change == ScopeChange(None, None, (7,))
        assert not change.changed
