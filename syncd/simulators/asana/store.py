"""The simulator's memory: every record by gid, a gid allocator, a clock, and the API's error type."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from syncd.simulators.asana.records import (
    SimCustomField,
    SimGoal,
    SimProject,
    SimSection,
    SimStory,
    SimTag,
    SimTask,
    SimTeam,
    SimUser,
    SimWebhook,
    SimWorkspace,
)

R = TypeVar("R")
FIRST_GID = 1_205_000_000_000_001


class ApiError(Exception):
    """An Asana error answer: `{"errors": [{"message": ...}]}` with a status (and extra body keys)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, object]:
        """The JSON body Asana sends with this status."""
        return {
            "errors": [
                {
                    "message": self.message,
                    "help": "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors",
                }
            ],
            **self.extra,
        }


def utc_now() -> datetime:
    """Wall-clock UTC, the simulator's default clock."""
    return datetime.now(UTC)


@dataclass
class SimStore:
    """Records by gid. Lookups raise `ApiError(404)` the way Asana words it."""

    clock: Callable[[], datetime] = utc_now
    public_url: str = "http://127.0.0.1"
    users: dict[str, SimUser] = field(default_factory=dict)
    workspaces: dict[str, SimWorkspace] = field(default_factory=dict)
    teams: dict[str, SimTeam] = field(default_factory=dict)
    projects: dict[str, SimProject] = field(default_factory=dict)
    sections: dict[str, SimSection] = field(default_factory=dict)
    tags: dict[str, SimTag] = field(default_factory=dict)
    fields: dict[str, SimCustomField] = field(default_factory=dict)
    tasks: dict[str, SimTask] = field(default_factory=dict)
    stories: dict[str, SimStory] = field(default_factory=dict)
    goals: dict[str, SimGoal] = field(default_factory=dict)
    webhooks: dict[str, SimWebhook] = field(default_factory=dict)
    #: parent task gid -> its subtasks' gids, in creation order.
    children: dict[str, list[str]] = field(default_factory=dict)
    me: str = ""
    _gids: itertools.count[int] = field(default_factory=lambda: itertools.count(FIRST_GID))

    def new_gid(self) -> str:
        """A fresh, unique, numeric-string gid."""
        return str(next(self._gids))

    def now(self) -> datetime:
        """The simulator's current time."""
        return self.clock()

    def task(self, gid: str) -> SimTask:
        """A live task, or 404."""
        task = self.tasks.get(gid)
        if task is None or task.deleted:
            raise ApiError(404, f"task: Unknown object: {gid}")
        return task

    def project(self, gid: str) -> SimProject:
        """A project, or 404."""
        return _get(self.projects, gid, "project")

    def section(self, gid: str) -> SimSection:
        """A section, or 404."""
        return _get(self.sections, gid, "section")

    def tag(self, gid: str) -> SimTag:
        """A tag, or 404."""
        return _get(self.tags, gid, "tag")

    def custom_field(self, gid: str) -> SimCustomField:
        """A custom field, or 404."""
        return _get(self.fields, gid, "custom_field")

    def story(self, gid: str) -> SimStory:
        """A story, or 404."""
        return _get(self.stories, gid, "story")

    def goal(self, gid: str) -> SimGoal:
        """A goal, or 404."""
        return _get(self.goals, gid, "goal")

    def webhook(self, gid: str) -> SimWebhook:
        """A webhook, or 404."""
        return _get(self.webhooks, gid, "webhook")

    def team(self, gid: str) -> SimTeam:
        """A team, or 404."""
        return _get(self.teams, gid, "team")

    def user(self, gid: str) -> SimUser:
        """A user (`me` is the token's owner), or 404."""
        return _get(self.users, self.me if gid == "me" else gid, "user")

    def live_tasks(self) -> list[SimTask]:
        """Every task not deleted, in creation order."""
        return [task for task in self.tasks.values() if not task.deleted]

    def subtasks(self, parent: str) -> list[SimTask]:
        """The live subtasks of one task, in creation order."""
        return [self.tasks[gid] for gid in self.children.get(parent, ()) if not self.tasks[gid].deleted]

    def tag_by_name(self, workspace: str, name: str) -> SimTag | None:
        """The workspace's tag of that exact name, if any."""
        return next((t for t in self.tags.values() if t.workspace == workspace and t.name == name), None)


def _get(records: Mapping[str, R], gid: str, kind: str) -> R:
    record = records.get(gid)
    if record is None:
        raise ApiError(404, f"{kind}: Unknown object: {gid}")
    return record
