"""Put the seeded company into the simulators, through their Python APIs, before any webhook is wired.

Returns where everything landed (issue numbers, task gids, the Asana workspace, project, fields and
goal) so the config can point at it and the story can find the items it changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncd.sandbox.company import (
    CYCLE_DAYS_FIELD,
    GOAL_NAME,
    PIPELINE_FIELD,
    PROGRESS_FIELD,
    PROJECT,
    SECTIONS,
    Company,
    SeedIssue,
    SeedTask,
)
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator


@dataclass(frozen=True)
class SeededIds:
    """Where the seed landed: GitHub items and Asana tasks by story key, and the Asana structure."""

    repos: tuple[str, ...]
    issues: dict[str, tuple[str, int]]
    tasks: dict[str, str]
    workspace: str
    project: str
    goal: str

    def issue(self, key: str) -> tuple[str, int]:
        """`(repo, number)` of a keyed GitHub item."""
        return self.issues[key]

    def task(self, key: str) -> str:
        """The gid of a keyed Asana task."""
        return self.tasks[key]


def seed(company: Company, github: GitHubSimulator, asana: AsanaSimulator) -> SeededIds:
    """Create the company's repositories, issues, Asana project, fields, goal and tasks."""
    repos = tuple(dict.fromkeys(issue.repo for issue in company.issues))
    for repo in repos:
        github.create_repo(repo)
    issues = {}
    for item in company.issues:
        number = _create_issue(github, item)
        if item.key is not None:
            issues[item.key] = (item.repo, number)
    workspace, project, goal = _asana_structure(company, asana)
    tasks = {}
    for task in company.tasks:
        gid = _create_task(asana, project, task)
        if task.key is not None:
            tasks[task.key] = gid
    return SeededIds(repos, issues, tasks, workspace, project, goal)


def _create_issue(github: GitHubSimulator, item: SeedIssue) -> int:
    if item.pull:
        number = github.create_pull_request(item.repo, item.title, labels=item.labels)
    else:
        number = github.create_issue(item.repo, item.title, labels=item.labels)
    if item.state == "merged":
        github.merge_pull_request(item.repo, number)
    elif item.state != "open":
        github.close_issue(item.repo, number, reason=item.state)
    return number


def _asana_structure(company: Company, asana: AsanaSimulator) -> tuple[str, str, str]:
    """Workspace, team, the project with its sections and number fields, and the pipeline goal."""
    workspace = asana.create_workspace(company.name).gid
    team = asana.create_team(workspace, "Sales").gid
    project = asana.create_project(workspace, PROJECT, team=team, sections=SECTIONS).gid
    progress = asana.create_custom_field(workspace, PROGRESS_FIELD, "number", number_format="percentage")
    for field in (progress.gid, *(asana.create_custom_field(workspace, name, "number").gid for name in _NUMBERS)):
        asana.add_custom_field_to_project(project, field)
    goal = asana.create_goal(workspace, GOAL_NAME, unit="none", initial=0, target=400).gid
    return workspace, project, goal


_NUMBERS = (PIPELINE_FIELD, CYCLE_DAYS_FIELD)


def _create_task(asana: AsanaSimulator, project: str, task: SeedTask) -> str:
    section = asana.section(project, task.section).gid
    created = asana.create_task(
        task.name,
        project=project,
        section=section,
        tags=list(task.tags),
        custom_fields=dict(task.numbers),
        completed=task.completed,
    )
    return created.gid
