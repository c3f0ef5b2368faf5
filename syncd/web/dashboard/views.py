"""What the dashboard's templates show, built from store rows (pure): status colours, local times, chart samples.

Colours come from the Okabe-Ito palette, which people with any common colour-vision deficiency can tell apart;
the status is always written out too, so colour is never the only signal. Times are shown in the viewer's zone
(the `tz` cookie the page's script sets) when it names a real zone, else in UTC, and always carry the zone's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.config.views import OkrModel
from syncd.core.model import CycleView, KeyResultView, TaskSnapshot, TaskState
from syncd.core.progress import task_weight
from syncd.core.status import cycle_bounds
from syncd.store.key_result_detail import CheckInRecord, LinkedTask
from syncd.store.status_query import KeyResultStatus, ObjectiveStatus
from syncd.web.dashboard.charts import BurnUp, Frame, Sample, bar_width, burn_up

#: Status -> (colour, pattern class); Okabe-Ito: blue, bluish green, orange, vermillion, grey.
PALETTE: dict[str, str] = {
    "done": "#0072B2",
    "on_track": "#009E73",
    "at_risk": "#E69F00",
    "off_track": "#D55E00",
    "not_started": "#999999",
    "no_tasks": "#999999",
}
#: How far back "what changed lately" looks.
RECENT = timedelta(days=7)


def status_colour(status: str) -> str:
    """The palette colour of a status word (grey for one it does not know)."""
    return PALETTE.get(status, "#999999")


def viewer_zone(name: str | None) -> tzinfo:
    """The zone named by the `tz` cookie, or UTC when absent or not a real IANA zone."""
    if not name or len(name) > 64 or ".." in name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Clock:
    """Formats times in one viewer's zone, always naming the zone."""

    zone: tzinfo

    @property
    def name(self) -> str:
        """The zone's name as labels show it (`UTC`, `Europe/Berlin`)."""
        return "UTC" if self.zone is UTC else str(self.zone)

    def time(self, moment: datetime | None) -> str:
        """`2026-03-01 14:05 Europe/Berlin`; an em dash for no time."""
        if moment is None:
            return "—"
        return f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M} {self.name}"

    def day(self, moment: datetime) -> str:
        """`Mar 1` in the viewer's zone (chart labels)."""
        local = moment.astimezone(self.zone)
        return f"{local:%b} {local.day}"


@dataclass(frozen=True)
class KrLine:
    """One KR row of the overview with every value formatted once here: the template only places them (a
    thousand rows are rendered on every overview, and a call from a template costs many times one from Python)."""

    id: str
    href: str
    title: str
    percent: int
    status: str
    status_word: str
    status_text: str
    colour: str
    bar_x: float
    amount: str
    changed: str


@dataclass(frozen=True)
class ObjectiveNode:
    """An objective in the overview's tree, with its KR rows, its last change (formatted) and aligned children."""

    objective: ObjectiveStatus
    owner: str
    children: tuple[ObjectiveNode, ...]
    lines: tuple[KrLine, ...]
    last_change: str
    expected_x: float


def kr_line(kr: KeyResultStatus, clock: Clock) -> KrLine:
    """The overview row of `kr`, times in the viewer's zone."""
    return KrLine(
        id=kr.id,
        href=f"/kr/{quote(kr.id, safe='/')}",
        title=kr.title,
        percent=kr.percent,
        status=kr.status,
        status_word=kr.status.replace("_", " "),
        status_text=kr.status_text,
        colour=status_colour(kr.status),
        bar_x=bar_width(kr.progress),
        amount=kr.amount,
        changed=clock.time(kr.last_change),
    )


def objective_tree(
    objectives: Sequence[ObjectiveStatus], owners: dict[str, str], clock: Clock
) -> tuple[ObjectiveNode, ...]:
    """Objectives as a forest: roots (no parent, or a parent in another cycle) with their children, config order."""
    shown = {objective.id for objective in objectives}
    children: dict[str | None, list[ObjectiveStatus]] = {}
    for objective in objectives:
        parent = objective.parent if objective.parent in shown else None
        children.setdefault(parent, []).append(objective)

    def node(objective: ObjectiveStatus, seen: frozenset[str]) -> ObjectiveNode:
        below = [child for child in children.get(objective.id, []) if child.id not in seen]
        kids = tuple(node(child, seen | {child.id}) for child in below)
        lines = tuple(kr_line(kr, clock) for kr in objective.key_results)
        changed = clock.time(last_change(objective))
        return ObjectiveNode(
            objective, owners.get(objective.id, ""), kids, lines, changed, bar_width(objective.expected)
        )

    return tuple(node(root, frozenset({root.id})) for root in children.get(None, []))


def last_change(objective: ObjectiveStatus) -> datetime | None:
    """When any KR of the objective last moved."""
    changes = [kr.last_change for kr in objective.key_results if kr.last_change is not None]
    return max(changes, default=None)


def chart(
    history: Sequence[CheckInRecord], cycle: CycleView, now: datetime, clock: Clock, *, small: bool, scope: bool
) -> BurnUp:
    """The burn-up of a KR's progress check-ins over its cycle (small: the objective page's thumbnails); `scope`
    draws the linked task total too (a metric KR's total is its target, not a scope)."""
    start, end = cycle_bounds(cycle)
    frame = Frame(start, end, 320, 120) if small else Frame(start, end)
    samples = [
        Sample(
            point.at,
            point.progress,
            point.total if scope else None,
            " ".join(filter(None, [f"{clock.time(point.at)}: {round(point.progress * 100)}%", scope_text(point)])),
        )
        for point in history
        if point.kind == "progress"
    ]
    return burn_up(samples, frame, now)


def axis_days(cycle: CycleView, clock: Clock) -> tuple[str, str]:
    """The labels under the chart's two ends: the cycle's first and last day."""
    return f"{cycle.start:%b} {cycle.start.day}", f"{cycle.end:%b} {cycle.end.day}"


def scope_text(point: CheckInRecord) -> str:
    """`+2 tasks, -1 task` for a check-in's scope change; "" when none or not recorded."""
    parts = []
    if point.tasks_added:
        parts.append(f"+{point.tasks_added} task{'s' if point.tasks_added != 1 else ''}")
    if point.tasks_removed:
        parts.append(f"-{point.tasks_removed} task{'s' if point.tasks_removed != 1 else ''}")
    return ", ".join(parts)


def recent_changes(history: Sequence[CheckInRecord], now: datetime, clock: Clock, window: timedelta = RECENT) -> str:
    """ "+3 tasks, 1 left, 2 more done since Nov 26" from the progress check-ins of the last `window`, or ""."""
    since = now - window
    progress = [p for p in history if p.kind == "progress"]
    recent = [p for p in progress if p.at >= since]
    if not recent:
        return ""
    earlier = [p for p in progress if p.at < since]
    added = sum(p.tasks_added or 0 for p in recent)
    removed = sum(p.tasks_removed or 0 for p in recent)
    before = earlier[-1] if earlier else None
    done = (recent[-1].done or 0.0) - ((before.done or 0.0) if before else 0.0)
    parts = []
    if added:
        parts.append(f"+{added} task{'s' if added != 1 else ''}")
    if removed:
        parts.append(f"{removed} left")
    if done:
        parts.append(f"{_signed(done)} done")
    if not parts:
        parts.append("progress moved")
    return f"{', '.join(parts)} since {clock.day(since)}"


def _signed(amount: float) -> str:
    """`+3`, `-1`, `+1.5`."""
    return f"{amount:+g}"


@dataclass(frozen=True)
class TaskLine:
    """One contributing task as the KR page lists it: weight, and its share of the KR (0 when dropped)."""

    task: LinkedTask
    weight: float
    share: float


@dataclass(frozen=True)
class SourceGroup:
    """The KR's tasks of one source."""

    source: str
    lines: tuple[TaskLine, ...]


def tasks_by_source(tasks: Sequence[LinkedTask], kr: KeyResultView, okr: OkrModel) -> tuple[SourceGroup, ...]:
    """The linked tasks grouped by source (in source order), each with its weight and share of the KR's total."""
    weights = [_weight(task, kr, okr) for task in tasks]
    total = sum(w for task, w in zip(tasks, weights, strict=True) if task.state != TaskState.DROPPED.value)
    groups: dict[str, list[TaskLine]] = {}
    for task, weight in zip(tasks, weights, strict=True):
        counted = task.state != TaskState.DROPPED.value
        share = weight / total if counted and total > 0 else 0.0
        groups.setdefault(task.source, []).append(TaskLine(task, weight, share))
    return tuple(SourceGroup(source, tuple(lines)) for source, lines in groups.items())


def _weight(task: LinkedTask, kr: KeyResultView, okr: OkrModel) -> float:
    """What the task weighs in the KR, as the core weighs it."""
    snapshot = TaskSnapshot(
        task.source,
        task.external_id,
        task.url,
        task.title,
        TaskState(task.state),
        task.updated_at,
        labels=task.labels,
        points=task.points,
    )
    return task_weight(snapshot, kr, okr.rules.points_prefix)
