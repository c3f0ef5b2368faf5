"""The simulated Linear workspace's state: teams with workflow states and labels (and label groups), issues,
comments, attachments and webhooks, with the operations people and the API do to them.

Every change of an issue stamps its `updatedAt` (milliseconds, strictly increasing across the workspace)
and reports a `Change` to the listeners (the webhook sender). Thread-safe through one lock.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: The workflow states every simulated team has: (name, type).
DEFAULT_STATES = (
    ("Triage", "triage"),
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("Done", "completed"),
    ("Canceled", "canceled"),
    ("Duplicate", "duplicate"),
)


class NoSuchThing(LookupError):
    """An entity the workspace does not have (Linear: `Entity not found`)."""


class Taken(ValueError):
    """A create with an id some entity has (or had: deleted comments keep theirs)."""


def new_id() -> str:
    """A Linear-style UUID."""
    return str(uuid.uuid4())


@dataclass
class Team:
    """A team: key, name, its workflow states by type."""

    id: str
    key: str
    name: str
    states: dict[str, str] = field(default_factory=dict)  # type -> state id
    next_number: int = 1


@dataclass
class WorkflowState:
    """A workflow state of one team."""

    id: str
    name: str
    type: str
    team_id: str


@dataclass
class Label:
    """An issue label (of a team, or the workspace's), possibly a group or a group's child."""

    id: str
    name: str
    team_id: str | None
    is_group: bool = False
    parent_id: str | None = None
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Issue:
    """One issue. `identifier` changes when it moves to another team; `id` never does."""

    id: str
    team_id: str
    team_key: str
    number: int
    title: str
    state_id: str
    label_ids: list[str] = field(default_factory=list)
    estimate: float | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    archived: datetime | None = None
    trashed: bool = False
    deleted: bool = False
    previous: list[str] = field(default_factory=list)

    @property
    def identifier(self) -> str:
        """`ENG-12`."""
        return f"{self.team_key}-{self.number}"


@dataclass
class Comment:
    """A Markdown comment on an issue; `deleted` ones keep their id taken."""

    id: str
    issue_id: str
    body: str
    user_id: str
    created: datetime
    updated: datetime
    deleted: bool = False


@dataclass
class Attachment:
    """An issue attachment, unique per issue and url."""

    id: str
    issue_id: str
    url: str
    title: str
    subtitle: str | None
    metadata: dict[str, Any]
    created: datetime
    updated: datetime


@dataclass
class Hook:
    """A webhook: where it posts, which resource types, for which team (or all public teams), its secret."""

    id: str
    url: str
    resource_types: list[str]
    team_id: str | None
    secret: str | None
    label: str | None = None
    enabled: bool = True
    all_public_teams: bool = False


@dataclass(frozen=True)
class Change:
    """A change worth a webhook: resource type, action, the entity after (and before), `updatedFrom`."""

    type: str
    action: str
    after: Any
    before: Any = None
    updated_from: dict[str, Any] | None = None
    team_ids: tuple[str, ...] = ()


Listener = Callable[[Change], None]


class LinearState:
    """The workspace's records and the operations on them (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._last = datetime.fromtimestamp(0, UTC)
        self.teams: dict[str, Team] = {}
        self.states: dict[str, WorkflowState] = {}
        self.labels: dict[str, Label] = {}
        self.issues: dict[str, Issue] = {}
        self.comments: dict[str, Comment] = {}
        self.attachments: dict[str, Attachment] = {}
        self.hooks: dict[str, Hook] = {}
        self.viewer_id = new_id()
        self.sync_ids = itertools.count(1000)
        self.listeners: list[Listener] = []

    # -- time and events -------------------------------------------------------------------------
    def stamp(self) -> datetime:
        """A new change's time: now to the millisecond, later than every earlier change."""
        with self.lock:
            now = self._clock()
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last

    def _emit(self, change: Change) -> None:
        for listener in self.listeners:
            listener(change)

    # -- lookups ---------------------------------------------------------------------------------
    def team(self, key_or_id: str) -> Team:
        """A team by key or id."""
        with self.lock:
            for team in self.teams.values():
                if key_or_id in (team.key, team.id):
                    return team
        raise NoSuchThing("Entity not found: Team")

    def issue(self, id_or_identifier: str) -> Issue:
        """A live (also trashed or archived) issue by id, identifier, or an identifier it had before a move."""
        with self.lock:
            for issue in self.issues.values():
                if not issue.deleted and id_or_identifier in (issue.id, issue.identifier, *issue.previous):
                    return issue
        raise NoSuchThing("Entity not found: Issue - Could not find referenced Issue.")

    def live_issues(self) -> list[Issue]:
        """Every issue not deleted for good."""
        with self.lock:
            return [issue for issue in self.issues.values() if not issue.deleted]

    def label_named(self, name: str, team_id: str | None = None) -> Label:
        """A label (not a group) by name, case-insensitive, in the team or the workspace."""
        with self.lock:
            for label in self.labels.values():
                if label.name.casefold() == name.casefold() and label.team_id in (team_id, None) and not label.is_group:
                    return label
        raise NoSuchThing(f"Entity not found: IssueLabel {name}")

    def issue_comments(self, issue: Issue) -> list[Comment]:
        """An issue's live comments, oldest first."""
        with self.lock:
            found = [c for c in self.comments.values() if c.issue_id == issue.id and not c.deleted]
            return sorted(found, key=lambda c: c.created)

    def issue_attachments(self, issue: Issue) -> list[Attachment]:
        """An issue's attachments, oldest first."""
        with self.lock:
            return sorted((a for a in self.attachments.values() if a.issue_id == issue.id), key=lambda a: a.created)

    # -- what admins and people do ---------------------------------------------------------------
    def create_team(self, key: str, name: str | None = None) -> Team:
        """A team with the default workflow states."""
        with self.lock:
            team = Team(new_id(), key, name or key.title())
            self.teams[team.id] = team
            for state_name, state_type in DEFAULT_STATES:
                state = WorkflowState(new_id(), state_name, state_type, team.id)
                self.states[state.id] = state
                team.states[state_type] = state.id
            return team

    def create_label(
        self, name: str, *, team: str | None = None, group: str | None = None, is_group: bool = False
    ) -> Label:
        """A label of `team` (a key; None: the workspace's), in the label group named `group` if given."""
        with self.lock:
            team_id = self.team(team).id if team else None
            parent = None
            if group is not None:
                parent = next((l for l in self.labels.values() if l.is_group and l.name == group), None)  # noqa: E741
                parent = parent or self.create_label(group, team=team, is_group=True)
            label = Label(new_id(), name, team_id, is_group, parent.id if parent else None, self.stamp())
            self.labels[label.id] = label
            return label

    def rename_label(self, label_id: str, name: str) -> None:
        """Rename a label everywhere (issues keep it; their `updatedAt` does not move)."""
        with self.lock:
            label = self.labels[label_id]
            before = copy.deepcopy(label)
            label.name, label.updated = name, self.stamp()
            after = copy.deepcopy(label)
        self._emit(Change("IssueLabel", "update", after, before, {"name": before.name, "updatedAt": _iso(before.updated)},
                          (label.team_id,) if label.team_id else ()))  # fmt: skip

    def create_issue(
        self,
        team: str,
        title: str,
        *,
        label_ids: list[str] | None = None,
        state_type: str = "unstarted",
        estimate: float | None = None,
        emit: bool = True,
    ) -> Issue:
        """A new issue in `team` (a key)."""
        with self.lock:
            found = self.team(team)
            at = self.stamp()
            issue = Issue(new_id(), found.id, found.key, found.next_number, title, found.states[state_type],
                          list(label_ids or []), estimate, at, at)  # fmt: skip
            found.next_number += 1
            self.issues[issue.id] = issue
            after = copy.deepcopy(issue)
        if emit:
            self._emit(Change("Issue", "create", after, None, None, (after.team_id,)))
        return issue

    def change(
        self, id_or_identifier: str, edit: Callable[[Issue], dict[str, Any]], *, action: str = "update"
    ) -> Issue:
        """Apply `edit` (which returns the `updatedFrom` values) to an issue, stamp it, report the change."""
        with self.lock:
            issue = self.issue(id_or_identifier)
            before = copy.deepcopy(issue)
            updated_from = edit(issue) | {"updatedAt": _iso(issue.updated)}
            issue.updated = self.stamp()
            after = copy.deepcopy(issue)
        self._emit(
            Change("Issue", action, after, before, updated_from, tuple(dict.fromkeys((before.team_id, after.team_id))))
        )
        return issue

    def set_state(self, id_or_identifier: str, state_type: str) -> Issue:
        """Move an issue to its team's state of `state_type`."""

        def move(issue: Issue) -> dict[str, Any]:
            old = issue.state_id
            issue.state_id = self.team(issue.team_id).states[state_type]
            return {"stateId": old}

        return self.change(id_or_identifier, move)

    def set_labels(self, id_or_identifier: str, label_ids: list[str]) -> Issue:
        """Replace an issue's labels."""

        def relabel(issue: Issue) -> dict[str, Any]:
            old = list(issue.label_ids)
            issue.label_ids = list(label_ids)
            return {"labelIds": old}

        return self.change(id_or_identifier, relabel)

    def set_estimate(self, id_or_identifier: str, estimate: float | None) -> Issue:
        """Set an issue's estimate (points)."""

        def estimate_it(issue: Issue) -> dict[str, Any]:
            old, issue.estimate = issue.estimate, estimate
            return {"estimate": old}

        return self.change(id_or_identifier, estimate_it)

    def move(self, id_or_identifier: str, team: str) -> Issue:
        """Move an issue to another team: the team's next number, a new identifier, the old one remembered."""

        def relocate(issue: Issue) -> dict[str, Any]:
            target = self.team(team)
            old_team, old_state = issue.team_id, issue.state_id
            state_type = self.states[issue.state_id].type
            issue.previous.append(issue.identifier)
            issue.team_id, issue.team_key, issue.number = target.id, target.key, target.next_number
            issue.state_id = target.states[state_type]
            target.next_number += 1
            return {"teamId": old_team, "stateId": old_state}

        return self.change(id_or_identifier, relocate)

    def archive(self, id_or_identifier: str) -> Issue:
        """Archive an issue (it stays readable with `includeArchived`)."""

        def archive_it(issue: Issue) -> dict[str, Any]:
            issue.archived = self.stamp()
            return {"archivedAt": None}

        return self.change(id_or_identifier, archive_it)

    def trash(self, id_or_identifier: str) -> Issue:
        """Delete an issue as people do: it goes to the trash (`trashed`, archived) and a `remove` is sent."""

        def trash_it(issue: Issue) -> dict[str, Any]:
            issue.trashed, issue.archived = True, self.stamp()
            return {"trashed": None, "archivedAt": None}

        return self.change(id_or_identifier, trash_it, action="remove")

    def purge(self, id_or_identifier: str) -> None:
        """Delete an issue for good (the trash emptied): no API answer names it any more."""
        with self.lock:
            self.issue(id_or_identifier).deleted = True

    # -- what the API does -----------------------------------------------------------------------
    def add_comment(self, issue: Issue, body: str, comment_id: str | None) -> Comment:
        """A new comment (its id chosen by the client if given; an id taken before is refused)."""
        with self.lock:
            chosen = comment_id or new_id()
            if chosen in self.comments:
                raise Taken(f"Comment with id {chosen} already exists")
            at = self.stamp()
            comment = Comment(chosen, issue.id, body, self.viewer_id, at, at)
            self.comments[chosen] = comment
            after = copy.deepcopy(comment)
        self._emit(Change("Comment", "create", after, None, None, (issue.team_id,)))
        return comment

    def edit_comment(self, comment_id: str, body: str) -> Comment:
        """Replace a live comment's body."""
        with self.lock:
            comment = self.comments.get(comment_id)
            if comment is None or comment.deleted:
                raise NoSuchThing("Entity not found: Comment - Could not find referenced Comment.")
            before = copy.deepcopy(comment)
            comment.body, comment.updated = body, self.stamp()
            after = copy.deepcopy(comment)
            team = self.issues[comment.issue_id].team_id
        self._emit(Change("Comment", "update", after, before, {"body": before.body}, (team,)))
        return comment

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment as a person does (its id stays taken)."""
        with self.lock:
            self.comments[comment_id].deleted = True

    def upsert_attachment(self, issue: Issue, url: str, title: str, subtitle: str | None,
                          metadata: dict[str, Any]) -> Attachment:  # fmt: skip
        """Create an attachment, or update the issue's attachment with this url (as Linear does)."""
        with self.lock:
            at = self.stamp()
            for found in self.attachments.values():
                if found.issue_id == issue.id and found.url == url:
                    found.title, found.subtitle, found.metadata, found.updated = title, subtitle, dict(metadata), at
                    return found
            made = Attachment(new_id(), issue.id, url, title, subtitle, dict(metadata), at, at)
            self.attachments[made.id] = made
            return made

    def add_hook(self, url: str, resource_types: list[str], team_id: str | None, secret: str | None, *,
                 label: str | None = None, enabled: bool = True, all_public_teams: bool = False) -> Hook:  # fmt: skip
        """A new webhook."""
        with self.lock:
            hook = Hook(new_id(), url, list(resource_types), team_id, secret, label, enabled, all_public_teams)
            self.hooks[hook.id] = hook
            return hook


def _iso(moment: datetime) -> str:
    """Linear's timestamp form: `2023-04-11T10:16:53.022Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


iso = _iso
