"""The link index: which tasks link to which KRs, kept current one task change at a time.

It is the lookup of the incremental path: a changed task re-matches, and only the KRs it linked
before or links now need a recompute. In-memory only (no I/O); the store remains the truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from syncd.core.matching import NO_MATCH, MatchResult, MatchRules, match_task
from syncd.core.model import TaskRef, TaskSnapshot


class LinkIndex:
    """Tasks by KR and match results by task, for the rules it was built with."""

    def __init__(self, rules: MatchRules) -> None:
        self._rules = rules
        self._tasks_by_kr: dict[str, dict[TaskRef, TaskSnapshot]] = {kr_id: {} for kr_id in sorted(rules.known_krs)}
        self._matches: dict[TaskRef, MatchResult] = {}

    @property
    def rules(self) -> MatchRules:
        """The matching rules the links were derived with."""
        return self._rules

    def upsert(self, task: TaskSnapshot) -> frozenset[str]:
        """Store the task's newest snapshot; return every KR it linked before or links now."""
        ref = task.ref
        before = self._matches.get(ref, NO_MATCH).kr_ids
        after = match_task(task, self._rules)
        for kr_id in before:
            self._tasks_by_kr[kr_id].pop(ref, None)
        for link in after.links:
            self._tasks_by_kr[link.kr_id][ref] = task
        if after.links or after.unknown:
            self._matches[ref] = after
        else:
            self._matches.pop(ref, None)
        return frozenset(before).union(link.kr_id for link in after.links)

    def upsert_all(self, tasks: Iterable[TaskSnapshot]) -> frozenset[str]:
        """Store many snapshots; return every KR any of them touched."""
        touched: set[str] = set()
        for task in tasks:
            touched |= self.upsert(task)
        return frozenset(touched)

    def remove(self, ref: TaskRef) -> frozenset[str]:
        """Forget a task (it left its source); return the KRs it linked."""
        before = self._matches.pop(ref, NO_MATCH)
        for kr_id in before.kr_ids:
            self._tasks_by_kr[kr_id].pop(ref, None)
        return frozenset(before.kr_ids)

    def tasks_of(self, kr_id: str) -> list[TaskSnapshot]:
        """The tasks linked to one KR (empty for an unknown id)."""
        linked = self._tasks_by_kr.get(kr_id)
        return [] if linked is None else list(linked.values())

    def match_of(self, ref: TaskRef) -> MatchResult:
        """A task's links and unknown KR labels (nothing for a task that links nothing)."""
        return self._matches.get(ref, NO_MATCH)

    def unknown(self) -> Mapping[TaskRef, MatchResult]:
        """Tasks whose labels name unknown KRs (for `syncd status`), read-only."""
        return MappingProxyType({ref: match for ref, match in self._matches.items() if match.unknown})
