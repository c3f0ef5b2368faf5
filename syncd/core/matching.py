"""Matching: which key results a task links to, derived from its labels by the configured rules.

The default rule links a label `<label_prefix><KR id>` (case-insensitive on both parts, so `KR:eng-1.2`
links `ENG-1.2`). Explicit rules map an exact label (case-insensitive) or a regex searched in each label
to one or more KRs, optionally only for one source and/or one container (repo `owner/name`, project gid).
A tracker may also link a task itself (`TaskSnapshot.linked_krs`). A prefixed label naming no known KR is
reported as an `UnknownKr` with up to three close ids, never silently ignored. Deleted tasks match nothing.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from syncd.core.model import TaskSnapshot

#: How many close KR ids an unknown label suggests.
MAX_SUGGESTIONS = 3
#: How similar (difflib ratio, 0-1) an id must be to be suggested; difflib's own default.
SUGGESTION_CUTOFF = 0.6
#: How many unknown ids' suggestions are remembered before the memo starts over.
SUGGESTION_MEMO = 4096


@dataclass(frozen=True, slots=True)
class Rule:
    """An explicit rule: a label (exact, case-insensitive) or a regex (searched, case-insensitive) -> KRs."""

    kr_ids: tuple[str, ...]
    label: str | None = None
    regex: str | None = None
    source: str | None = None
    container: str | None = None

    def applies_to(self, task: TaskSnapshot) -> bool:
        """True when the rule's source/container scope includes the task."""
        if self.source is not None and self.source != task.source:
            return False
        return self.container is None or self.container.lower() == task.container.lower()

    def fires_on(self, label: str) -> bool:
        """True when this rule's label or regex matches one label of a task."""
        if self.label is not None:
            return label.casefold() == self.label.casefold()
        return self.regex is not None and _compiled(self.regex).search(label) is not None

    def describe(self, label: str) -> str:
        """Human text saying why this rule linked, e.g. `rule label 'frontend'` or `rule regex '^perf'`."""
        what = f"rule label {self.label!r}" if self.label is not None else f"rule regex {self.regex!r} on {label!r}"
        scope = "".join(
            (f" in source {self.source}" if self.source else "", f" in {self.container}" if self.container else "")
        )
        return what + scope


@dataclass(frozen=True, slots=True)
class MatchRules:
    """Everything matching needs: the label prefix, the known KR ids (canonical case), explicit rules."""

    label_prefix: str
    known_krs: frozenset[str]
    rules: tuple[Rule, ...] = ()
    points_prefix: str = "points:"
    _canonical: Mapping[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _prefix: str = field(init=False, repr=False, compare=False, hash=False)
    _suggested: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Derived lookups, computed once: matching runs for every task of every poll.
        object.__setattr__(self, "_canonical", {kr_id.casefold(): kr_id for kr_id in sorted(self.known_krs)})
        object.__setattr__(self, "_prefix", self.label_prefix.casefold())
        # A memo, not state: suggestions depend only on the (frozen) known ids.
        object.__setattr__(self, "_suggested", {})

    def canonical(self, kr_id: str) -> str | None:
        """The configured spelling of a KR id given in any case, or None when no such KR exists."""
        return self._canonical.get(kr_id.strip().casefold())

    def prefixed_id(self, label: str) -> str | None:
        """The id part of a `<label_prefix><id>` label (stripped), or None when the label lacks the prefix."""
        if not label.casefold().startswith(self._prefix):
            return None
        return label[len(self.label_prefix) :].strip()

    def suggestions(self, kr_id: str) -> tuple[str, ...]:
        """Up to three known KR ids close to `kr_id` (difflib ratio, case-insensitive), closest first."""
        wanted = kr_id.strip().casefold()
        if wanted not in self._suggested:
            if len(self._suggested) >= SUGGESTION_MEMO:
                self._suggested.clear()
            self._suggested[wanted] = _closest(wanted, self._canonical)
        return self._suggested[wanted]


def _closest(wanted: str, canonical: Mapping[str, str]) -> tuple[str, ...]:
    """The closest ids by difflib ratio; ties go to the smaller id (difflib's own would take the larger).

    The ratio is scored as `get_close_matches` scores it, candidate first and `wanted` second: difflib's
    ratio depends on the argument order, so tests comparing with difflib must use the same order.

    Exact but quick: candidates are tried in order of difflib's cheap upper bound (`quick_ratio`),
    stopping once that bound falls below the third-best ratio already found."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(wanted)  # difflib caches what it learns about seq2 across candidates
    bounded: list[tuple[float, str, str]] = []
    for key, spelled in canonical.items():
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= SUGGESTION_CUTOFF and (bound := matcher.quick_ratio()) >= SUGGESTION_CUTOFF:
            bounded.append((-bound, spelled, key))
    scored: list[tuple[float, str]] = []
    for negative_bound, spelled, key in sorted(bounded):
        if len(scored) >= MAX_SUGGESTIONS and -negative_bound < -scored[MAX_SUGGESTIONS - 1][0]:
            break
        matcher.set_seq1(key)
        if (ratio := matcher.ratio()) >= SUGGESTION_CUTOFF:
            scored = sorted([*scored, (-ratio, spelled)])
    return tuple(spelled for _, spelled in scored[:MAX_SUGGESTIONS])


@dataclass(frozen=True, slots=True)
class Link:
    """A task counts towards `kr_id`; `rule` says why in words (`label kr:ENG-1.2`)."""

    kr_id: str
    rule: str


@dataclass(frozen=True, slots=True)
class UnknownKr:
    """A label (or a rule) naming a KR id that the config does not have, with close ids to suggest."""

    label: str
    kr_id: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A task's links (one per KR, ordered by KR id) and the unknown KR ids its labels name."""

    links: tuple[Link, ...]
    unknown: tuple[UnknownKr, ...]

    @property
    def kr_ids(self) -> tuple[str, ...]:
        """The ids of the linked KRs, ordered."""
        return tuple(link.kr_id for link in self.links)


NO_MATCH = MatchResult(links=(), unknown=())


def match_task(task: TaskSnapshot, rules: MatchRules) -> MatchResult:
    """The KRs a task links to and the unknown KR labels it carries; a deleted task matches nothing."""
    if task.deleted:
        return NO_MATCH
    found = _Found(rules)
    consumed = _apply_rules(task, rules, found)
    for label in task.labels:
        kr_id = rules.prefixed_id(label)
        if kr_id is not None and label not in consumed:
            found.add(kr_id, label, f"label {label}")
    for kr_id in task.linked_krs:
        found.add(kr_id, kr_id, f"set in the tracker ({task.source})")
    return found.result()


def task_points(task: TaskSnapshot, points_prefix: str) -> float | None:
    """A task's points: the first valid `points:N` label (N finite, >= 0), else `task.points`, else None."""
    for label in task.labels:
        value = label_points(label, points_prefix)
        if value is not None:
            return value
    return task.points


@lru_cache(maxsize=8192)
def label_points(label: str, points_prefix: str) -> float | None:
    """The N of a `points:N` label (prefix case-insensitive; N finite, >= 0), else None.

    Memoized: a tracker's label vocabulary is small and every recompute asks about the same labels."""
    if not label.casefold().startswith(points_prefix.casefold()):
        return None
    return _parse_points(label[len(points_prefix) :])


def _apply_rules(task: TaskSnapshot, rules: MatchRules, found: _Found) -> set[str]:
    """Fire the explicit rules; return the labels they consumed (so the default rule skips them)."""
    consumed: set[str] = set()
    for rule in rules.rules:
        if not rule.applies_to(task):
            continue
        for label in task.labels:
            if rule.fires_on(label):
                consumed.add(label)
                for kr_id in rule.kr_ids:
                    found.add(kr_id, label, rule.describe(label))
    return consumed


class _Found:
    """Links and unknown ids collected while matching one task (first reason for a KR wins)."""

    def __init__(self, rules: MatchRules) -> None:
        self._rules = rules
        self._links: dict[str, str] = {}
        self._unknown: dict[str, UnknownKr] = {}

    def add(self, kr_id: str, label: str, why: str) -> None:
        """Link the canonical KR, or record the id as unknown with suggestions."""
        canonical = self._rules.canonical(kr_id)
        if canonical is not None:
            self._links.setdefault(canonical, why)
        elif kr_id.casefold() not in self._unknown:
            suggestions = self._rules.suggestions(kr_id)
            self._unknown[kr_id.casefold()] = UnknownKr(label=label, kr_id=kr_id, suggestions=suggestions)

    def result(self) -> MatchResult:
        """The links and unknown ids, each ordered by KR id."""
        links = tuple(Link(kr_id, self._links[kr_id]) for kr_id in sorted(self._links))
        return MatchResult(links=links, unknown=tuple(self._unknown[key] for key in sorted(self._unknown)))


def _parse_points(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)
