"""Explain: why one task links to which KRs, what it weighs and earns, and its share of each KR.

This is the data `syncd explain TASK-URL` prints. A task's share of a `tasks` KR is its weight x credit
over the total weight of the KR's counted tasks; of a `count` KR, its done weight over the target; of
a metric KR summing a task field, its value over (target - start). Near misses point at labels that
almost linked: a prefixed id one edit (Levenshtein 1, any case) from a KR id, a bare KR id missing
the prefix, or a prefix one edit from the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import fsum

from syncd.core.matching import MatchRules, UnknownKr, match_task
from syncd.core.model import Aggregate, KeyResultView, Measure, TaskRef, TaskSnapshot, TaskState
from syncd.core.progress import counted_tasks, task_credit, task_weight


@dataclass(frozen=True, slots=True)
class LinkExplanation:
    """One KR the task links to: why, its weight and credit there, and its share of the KR's progress.

    `share` is None when the KR's progress does not come from this task (metric KRs fed by check-ins
    or averaged); `note` says in words how the task counts."""

    kr_id: str
    kr_title: str
    rule: str
    weight: float
    credit: float
    share: float | None
    counted: bool
    note: str


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A label that almost linked `kr_id`, and what is off about it."""

    label: str
    kr_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class TaskExplanation:
    """Everything `syncd explain` shows about one task."""

    task: TaskRef
    title: str
    state: TaskState
    deleted: bool
    fired_rules: tuple[str, ...]
    links: tuple[LinkExplanation, ...]
    unknown: tuple[UnknownKr, ...]
    near_misses: tuple[NearMiss, ...]


def explain_task(
    task: TaskSnapshot,
    rules: MatchRules,
    krs: Mapping[str, KeyResultView],
    kr_tasks: Mapping[str, Sequence[TaskSnapshot]],
) -> TaskExplanation:
    """Explain one task against the rules; `kr_tasks` are each KR's linked tasks (this one is replaced
    by `task` or added, so the shares reflect the snapshot being explained)."""
    match = match_task(task, rules)
    links = tuple(
        _explain_link(task, krs[link.kr_id], link.rule, kr_tasks.get(link.kr_id, ()), rules.points_prefix)
        for link in match.links
        if link.kr_id in krs
    )
    return TaskExplanation(
        task=task.ref,
        title=task.title,
        state=task.state,
        deleted=task.deleted,
        fired_rules=tuple(dict.fromkeys(link.rule for link in match.links)),
        links=links,
        unknown=match.unknown,
        near_misses=() if task.deleted else near_misses(task, rules),
    )


def _explain_link(
    task: TaskSnapshot, kr: KeyResultView, rule: str, others: Sequence[TaskSnapshot], points_prefix: str
) -> LinkExplanation:
    weight = task_weight(task, kr, points_prefix)
    counted = task.state is not TaskState.DROPPED
    peers = counted_tasks([*(other for other in others if other.ref != task.ref), task])
    share: float | None
    if not counted:
        share, credit, note = 0.0, 0.0, "dropped (closed, not done): counts in neither numerator nor denominator"
    elif kr.measure is Measure.TASKS:
        credit = task_credit(task, kr)
        total = fsum(task_weight(peer, kr, points_prefix) for peer in peers)
        share = weight * credit / total if total > 0 else 0.0
        note = f"weight {weight:g} of {total:g} in total, credit {credit:g}"
    elif kr.measure is Measure.COUNT:
        credit = 1.0 if task.state is TaskState.DONE else 0.0
        target = kr.target or 0.0
        share = min(1.0, weight * credit / target) if target > 0 else 0.0
        note = f"counts {weight * credit:g} towards a target of {target:g}"
    else:
        credit, share, note = _metric_share(task, kr)
    return LinkExplanation(kr.id, kr.title, rule, weight, credit, share, counted, note)


def _metric_share(task: TaskSnapshot, kr: KeyResultView) -> tuple[float, float | None, str]:
    """(credit, share, note) of a task in a metric KR."""
    if kr.aggregate is Aggregate.CHECKINS:
        return 0.0, None, "progress comes from check-ins, not from tasks"
    value = task.number(kr.field) if kr.field else None
    if value is None:
        return 0.0, None, f"has no {kr.field!r} value, so it does not move this metric"
    if kr.aggregate is Aggregate.AVG:
        return 0.0, None, f"{kr.field} = {value:g} joins the average of the linked tasks"
    span = (kr.target or 0.0) - (kr.start or 0.0)
    return 0.0, (value / span if span else None), f"{kr.field} = {value:g} adds to the sum"


def near_misses(task: TaskSnapshot, rules: MatchRules) -> tuple[NearMiss, ...]:
    """Labels that almost linked a KR (ordered by label, then KR id)."""
    fired = {label for rule in rules.rules if rule.applies_to(task) for label in task.labels if rule.fires_on(label)}
    found: list[NearMiss] = []
    for label in sorted(set(task.labels) - fired):
        kr_id = rules.prefixed_id(label)
        found.extend(_near_unknown(label, kr_id, rules) if kr_id is not None else _near_unprefixed(label, rules))
    return tuple(found)


def _near_unknown(label: str, kr_id: str, rules: MatchRules) -> list[NearMiss]:
    if rules.canonical(kr_id) is not None:
        return []
    wanted = kr_id.casefold()
    return [
        NearMiss(label, known, f"one edit away from {known}")
        for known in sorted(rules.known_krs)
        if one_edit_apart(wanted, known.casefold())
    ]


def _near_unprefixed(label: str, rules: MatchRules) -> list[NearMiss]:
    canonical = rules.canonical(label)
    if canonical is not None:
        return [NearMiss(label, canonical, f"names {canonical} but lacks the prefix {rules.label_prefix!r}")]
    folded, prefix = label.casefold(), rules.label_prefix.casefold()
    misses = []
    for known in sorted(rules.known_krs):
        head = folded[: -len(known)] if folded.endswith(known.casefold()) else None
        if head is not None and one_edit_apart(head.rstrip(), prefix):
            misses.append(NearMiss(label, known, f"prefix {head!r} is one edit away from {rules.label_prefix!r}"))
    return misses


def one_edit_apart(first: str, second: str) -> bool:
    """True when the strings differ by exactly one insertion, deletion or substitution."""
    if abs(len(first) - len(second)) > 1 or first == second:
        return False
    shorter, longer = sorted((first, second), key=len)
    index = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter))
    if len(shorter) == len(longer):
        return shorter[index + 1 :] == longer[index + 1 :]
    return shorter[index:] == longer[index + 1 :]
