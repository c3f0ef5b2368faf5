"""The simulated Jira site's state: projects, issues (status category, resolution, labels, custom fields,
entity properties), ADF comments and admin webhooks, with the operations people and the API do to them.

Every change stamps the issue's `updated` (milliseconds, strictly increasing across the site, as no two
changes of one issue share an instant) and reports an `IssueEvent` to the listener (the webhook sender).
Thread-safe through one lock.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: Status categories and the status each one shows by default.
STATUSES = {"new": ("To Do", "10000", 2), "indeterminate": ("In Progress", "3", 4), "done": ("Done", "10001", 3)}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002", "Cannot Reproduce": "10003"}


class NoSuchThing(LookupError):
    """An issue, comment or webhook the site does not have (Jira: 404)."""


@dataclass
class Comment:
    """One comment: its body (ADF on Cloud, wiki markup on Data Center), its comment properties, who wrote it
    and when."""

    id: str
    issue_id: int
    body: dict[str, Any] | str
    author: str
    created: datetime
    updated: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Issue:
    """One issue. `key` changes when it moves to another project; `id` never does."""

    id: int
    project: str
    number: int
    summary: str
    category: str = "new"
    resolution: str | None = None
    labels: list[str] = field(default_factory=list)
    issue_type: str = "Task"
    fields: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted: bool = False
    old_keys: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """`ENG-12`."""
        return f"{self.project}-{self.number}"


@dataclass
class AdminHook:
    """An admin webhook: where it posts, which events, its JQL filter and its secret."""

    id: int
    name: str
    url: str
    events: list[str]
    jql: str
    secret: str | None
    enabled: bool = True
    exclude_body: bool = False


@dataclass(frozen=True)
class IssueEvent:
    """A change worth a webhook: the event, the issue as it was before and is after, the changelog items,
    the comment it concerns (comment events)."""

    event: str
    type_name: str | None
    before: Issue | None
    after: Issue
    items: tuple[dict[str, Any], ...] = ()
    comment: Comment | None = None


Listener = Callable[[IssueEvent], None]


class JiraState:
    """The site's records and the operations on them (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._last = datetime.fromtimestamp(0, UTC)
        self.projects: dict[str, int] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: dict[str, Comment] = {}
        self.hooks: dict[int, AdminHook] = {}
        self._ids = itertools.count(10001)
        self._comment_ids = itertools.count(20001)
        self._hook_ids = itertools.count(1)
        self.listeners: list[Listener] = []

    # -- time and events -------------------------------------------------------------------------
    def now(self) -> datetime:
        """The site's clock now (what limits are counted in)."""
        return self._clock()

    def stamp(self) -> datetime:
        """A new change's time: now to the millisecond, later than every earlier change."""
        with self.lock:
            now = self._clock()
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last

    def _emit(self, event: IssueEvent) -> None:
        for listener in self.listeners:
            listener(event)

    # -- lookups ---------------------------------------------------------------------------------
    def issue(self, key_or_id: str) -> Issue:
        """A live issue by key (also a key it had before a move) or id."""
        with self.lock:
            for issue in self.issues.values():
                if not issue.deleted and key_or_id in (issue.key, str(issue.id), *issue.old_keys):
                    return issue
        raise NoSuchThing("Issue does not exist or you do not have permission to see it.")

    def live_issues(self) -> list[Issue]:
        """Every issue not deleted."""
        with self.lock:
            return [issue for issue in self.issues.values() if not issue.deleted]

    def issue_comments(self, issue: Issue) -> list[Comment]:
        """An issue's comments, oldest first."""
        with self.lock:
            return sorted((c for c in self.comments.values() if c.issue_id == issue.id), key=lambda c: int(c.id))

    def comment(self, issue: Issue, comment_id: str) -> Comment:
        """One comment of an issue."""
        found = self.comments.get(comment_id)
        if found is None or found.issue_id != issue.id:
            raise NoSuchThing(f"Can not find a comment for the id: {comment_id}.")
        return found

    # -- what people do --------------------------------------------------------------------------
    def create_project(self, key: str) -> None:
        """A project (its issues are numbered from 1)."""
        with self.lock:
            self.projects.setdefault(key, 0)

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        labels: list[str] | None = None,
        fields: dict[str, Any] | None = None,
        emit: bool = True,
    ) -> Issue:
        """A new open issue in `project`."""
        with self.lock:
            self.projects[project] = self.projects.get(project, 0) + 1
            at = self.stamp()
            issue = Issue(
                next(self._ids),
                project,
                self.projects[project],
                summary,
                labels=list(labels or []),
                fields=dict(fields or {}),
                created=at,
                updated=at,
            )
            self.issues[issue.id] = issue
        if emit:
            self._emit(IssueEvent("jira:issue_created", "issue_created", None, copy.deepcopy(issue)))
        return issue

    def change(self, key: str, type_name: str, change: Callable[[Issue], list[dict[str, Any]]]) -> Issue:
        """Apply `change` (which returns changelog items) to an issue, stamp it and report `jira:issue_updated`."""
        with self.lock:
            issue = self.issue(key)
            before = copy.deepcopy(issue)
            items = change(issue)
            issue.updated = self.stamp()
            after = copy.deepcopy(issue)
        self._emit(IssueEvent("jira:issue_updated", type_name, before, after, tuple(items)))
        return issue

    def transition(self, key: str, category: str, resolution: str | None = None) -> Issue:
        """Move an issue to the default status of `category`, with `resolution` (None clears it)."""

        def move(issue: Issue) -> list[dict[str, Any]]:
            items = [_item("status", STATUSES[issue.category][0], STATUSES[category][0])]
            if issue.resolution != resolution:
                items.append(_item("resolution", issue.resolution, resolution))
            issue.category, issue.resolution = category, resolution
            return items

        return self.change(key, "issue_generic", move)

    def set_labels(self, key: str, labels: list[str]) -> Issue:
        """Replace an issue's labels."""

        def relabel(issue: Issue) -> list[dict[str, Any]]:
            item = _item("labels", " ".join(issue.labels), " ".join(labels))
            issue.labels = list(labels)
            return [item]

        return self.change(key, "issue_updated", relabel)

    def set_fields(self, key: str, values: dict[str, Any], *, author: str = "user") -> Issue:
        """Set custom fields (as an edit through the API does)."""

        def edit(issue: Issue) -> list[dict[str, Any]]:
            items = [_item(name, issue.fields.get(name), value, field_id=name) for name, value in values.items()]
            issue.fields.update(values)
            return items

        return self.change(key, "issue_updated", edit)

    def move(self, key: str, project: str) -> Issue:
        """Move an issue to another project: it gets that project's next key, keeps its id."""

        def relocate(issue: Issue) -> list[dict[str, Any]]:
            old = issue.key
            self.projects[project] = self.projects.get(project, 0) + 1
            items = [_item("project", issue.project, project), _item("Key", old, f"{project}-{self.projects[project]}")]
            issue.old_keys.append(old)
            issue.project, issue.number = project, self.projects[project]
            return items

        return self.change(key, "issue_moved", relocate)

    def delete_issue(self, key: str) -> None:
        """Delete an issue (its comments go with it)."""
        with self.lock:
            issue = self.issue(key)
            issue.deleted = True
            gone = copy.deepcopy(issue)
        self._emit(IssueEvent("jira:issue_deleted", None, gone, gone))

    # -- what the API does -----------------------------------------------------------------------
    def add_comment(self, issue: Issue, body: dict[str, Any] | str, author: str, properties: dict[str, Any]) -> Comment:
        """A new comment (it moves the issue's `updated`, as in Jira)."""
        with self.lock:
            at = self.stamp()
            comment = Comment(str(next(self._comment_ids)), issue.id, body, author, at, at, dict(properties))
            self.comments[comment.id] = comment
            issue.updated = at
            after = copy.deepcopy(issue)
        self._emit(IssueEvent("comment_created", None, after, after, comment=copy.deepcopy(comment)))
        return comment

    def edit_comment(self, issue: Issue, comment_id: str, body: dict[str, Any] | str) -> Comment:
        """Replace a comment's body."""
        with self.lock:
            comment = self.comment(issue, comment_id)
            comment.body = body
            comment.updated = issue.updated = self.stamp()
            after = copy.deepcopy(issue)
        self._emit(IssueEvent("comment_updated", None, after, after, comment=copy.deepcopy(comment)))
        return comment

    def delete_comment(self, issue: Issue, comment_id: str) -> None:
        """Remove a comment."""
        with self.lock:
            comment = self.comment(issue, comment_id)
            del self.comments[comment.id]
            issue.updated = self.stamp()
            after = copy.deepcopy(issue)
        self._emit(IssueEvent("comment_deleted", None, after, after, comment=comment))

    def add_hook(self, name: str, url: str, events: list[str], jql: str, secret: str | None) -> AdminHook:
        """A new admin webhook."""
        with self.lock:
            hook = AdminHook(next(self._hook_ids), name, url, list(events), jql, secret)
            self.hooks[hook.id] = hook
            return hook


def _item(name: str, old: object, new: object, *, field_id: str | None = None) -> dict[str, Any]:
    """A changelog item as Jira writes it."""
    return {
        "field": name,
        "fieldtype": "custom" if field_id else "jira",
        "fieldId": field_id or name.lower(),
        "from": None if old is None else str(old),
        "fromString": None if old is None else str(old),
        "to": None if new is None else str(new),
        "toString": None if new is None else str(new),
    }
