"""Ground truth: what every KR's progress should be, computed from the simulators' own state.

Independent of syncd's pipeline: tasks are read straight from the simulators' records (not through
the adapters, the webhooks or the store) and given a state by the config's rules in plain words
(GitHub: merged or closed completed is done, `not_planned`/`duplicate` and closed-unmerged pull
requests are dropped, an `in progress` label or a draft is in progress; Asana: the "Won't do" section
is dropped, completed is done, the "Doing" section is in progress). Links and progress then come from
the core's published rules (`match_task`, `kr_progress`): the formulas of DESIGN.md, applied by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.asana.config import AsanaSourceConfig
from adapters.github.config import GitHubSourceConfig
from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.core.model import CheckIn, TaskSnapshot, TaskState
from syncd.core.progress import kr_progress
from syncd.core.render import render_field_value, whole_percent
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator
from syncd.simulators.github.entities import SimIssue


@dataclass(frozen=True)
class ExpectedTask:
    """A task as the tracker shows it, the KRs it should count towards, and the unknown KR ids it names."""

    snapshot: TaskSnapshot
    kr_ids: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def labelled(self) -> bool:
        """Whether syncd should comment on it: it links a KR or names an unknown one."""
        return bool(self.kr_ids or self.unknown)


@dataclass(frozen=True)
class GroundTruth:
    """Each KR's progress (0-1) and each task's expected links, from the trackers' state."""

    progress: Mapping[str, float]
    tasks: tuple[ExpectedTask, ...]

    def percent(self, kr_id: str) -> int:
        """A KR's progress as the whole percentage comments show."""
        return whole_percent(self.progress[kr_id])

    def comment_percents(self, task: ExpectedTask) -> dict[str, int]:
        """What the task's syncd comment should show: KR id -> whole percentage."""
        return {kr_id: self.percent(kr_id) for kr_id in task.kr_ids}

    def field_fraction(self, task: ExpectedTask) -> float | None:
        """The Asana percent field's value: the first linked KR's whole percentage as a fraction."""
        if not task.kr_ids:
            return None
        return float(render_field_value(self.progress[min(task.kr_ids)], "fraction"))

    def labelled(self) -> tuple[ExpectedTask, ...]:
        """The tasks syncd should comment on."""
        return tuple(task for task in self.tasks if task.labelled)


def ground_truth(
    config: SyncdConfig,
    github: GitHubSimulator,
    asana: AsanaSimulator,
    checkins: Sequence[CheckIn],
    now: datetime,
) -> GroundTruth:
    """Every KR's progress at `now` from the simulators' tasks and the check-ins the sandbox reported."""
    okr = build_okr(config)
    tasks = []
    for snapshot in tracker_tasks(config, github, asana):
        matched = match_task(snapshot, okr.rules)
        unknown = tuple(item.kr_id for item in matched.unknown)
        tasks.append(ExpectedTask(snapshot, tuple(link.kr_id for link in matched.links), unknown))
    progress = {}
    for kr_id, view in okr.key_results.items():
        linked = [task.snapshot for task in tasks if kr_id in task.kr_ids]
        cycle = okr.cycles[view.cycle_id]
        progress[kr_id] = kr_progress(
            view, linked, checkins, cycle, now, points_prefix=config.matching.points_prefix
        ).progress
    return GroundTruth(progress, tuple(tasks))


def tracker_tasks(config: SyncdConfig, github: GitHubSimulator, asana: AsanaSimulator) -> list[TaskSnapshot]:
    """Every task of the configured repositories and projects, as the trackers hold it now."""
    found: list[TaskSnapshot] = []
    for source in config.sources:
        if isinstance(source, GitHubSourceConfig):
            found += [github_task(source, issue) for issue in _issues(github, source.repos)]
        elif isinstance(source, AsanaSourceConfig):
            found += [asana_task(source, asana.task(gid)) for gid in _task_gids(asana, source.projects)]
    return found


def _issues(github: GitHubSimulator, repos: Sequence[str]) -> list[SimIssue]:
    """The live issues and pull requests of `repos` (not deleted, not moved away), by number."""
    with github.state.lock:
        found = [issue for repo in repos for issue in github.state.repo(repo).issues.values()]
        return [issue for issue in found if not issue.deleted and issue.transferred_to is None]


def _task_gids(asana: AsanaSimulator, projects: Sequence[str]) -> list[str]:
    with asana.state.lock:
        tasks = asana.state.store.tasks.values()
        return [task.gid for task in tasks if not task.deleted and set(task.projects) & set(projects)]


def github_task(source: GitHubSourceConfig, issue: SimIssue) -> TaskSnapshot:
    """A simulated issue or pull request as a snapshot, by the source's state rules."""
    return TaskSnapshot(
        source=source.name,
        external_id=f"{issue.repo}#{issue.number}",
        url="",
        title=issue.title,
        state=_github_state(source, issue),
        updated_at=issue.updated_at,
        labels=tuple(issue.labels),
        container=issue.repo,
        kind="pull_request" if issue.is_pull else "issue",
    )


def _github_state(source: GitHubSourceConfig, issue: SimIssue) -> TaskState:
    if issue.state == "closed":
        if issue.is_pull:
            return TaskState.DONE if issue.merged_at is not None else TaskState.DROPPED
        dropped = {reason.lower() for reason in source.dropped_state_reasons}
        return TaskState.DROPPED if (issue.state_reason or "").lower() in dropped else TaskState.DONE
    progress_labels = {label.lower() for label in source.in_progress_labels}
    if any(label.lower() in progress_labels for label in issue.labels):
        return TaskState.IN_PROGRESS
    return TaskState.IN_PROGRESS if issue.is_pull and issue.draft and source.draft_prs_in_progress else TaskState.OPEN


def asana_task(source: AsanaSourceConfig, task: Mapping[str, Any]) -> TaskSnapshot:
    """A simulated Asana task (its JSON) as a snapshot, by the source's section rules."""
    sections = {
        str(m["section"]["name"]).casefold() for m in task["memberships"] if m["project"]["gid"] in source.projects
    }
    numbers = tuple(
        (str(f["name"]), float(f["number_value"]))
        for f in task["custom_fields"]
        if f["type"] == "number" and f.get("number_value") is not None
    )
    return TaskSnapshot(
        source=source.name,
        external_id=str(task["gid"]),
        url="",
        title=str(task["name"]),
        state=_asana_state(source, sections, completed=bool(task["completed"])),
        updated_at=datetime.fromisoformat(str(task["modified_at"]).replace("Z", "+00:00")),
        labels=tuple(str(tag["name"]) for tag in task["tags"]),
        container=next(p for p in source.projects if p in {m["project"]["gid"] for m in task["memberships"]}),
        kind="task",
        numbers=numbers,
    )


def _asana_state(source: AsanaSourceConfig, sections: set[str], *, completed: bool) -> TaskState:
    if sections & {name.casefold() for name in source.dropped.sections}:
        return TaskState.DROPPED
    if completed:
        return TaskState.DONE
    if sections & {name.casefold() for name in source.in_progress.sections}:
        return TaskState.IN_PROGRESS
    return TaskState.OPEN
