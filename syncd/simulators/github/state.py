"""The simulated GitHub's state: repositories, issues, labels and comments, changed under one lock.

Every change bumps `updated_at` where GitHub does and is published as a webhook `Change` to the
listener (the webhook sender). Both the HTTP routes and the Python API of the simulator call these.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from syncd.simulators.github.entities import SimComment, SimIssue, SimLabel, SimRepo
from syncd.simulators.github.events import Change, PayloadBuilder
from syncd.simulators.github.render import Renderer, SimUrls

#: The login the simulator attributes changes to when no token says otherwise.
DEFAULT_ACTOR = "octocat"


class SimError(Exception):
    """A request the simulated GitHub refuses: answered with `status` and GitHub's `message`."""

    def __init__(self, status: int, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


class ChangeListener(Protocol):
    """Receives changes (the webhook sender); `wants` lets bulk seeding skip building payloads."""

    def wants(self, repo: str | None, event: str) -> bool:
        """Whether anyone listens for `event` in `repo`."""
        ...

    def publish(self, change: Change) -> None:
        """Queue one change for delivery."""
        ...


def whole_seconds_now() -> datetime:
    """UTC now truncated to the second, as GitHub's timestamps are."""
    return datetime.now(UTC).replace(microsecond=0)


class GitHubState:
    """Repositories, issues, labels and comments; thread-safe through `lock`."""

    def __init__(self, urls: SimUrls, clock: Callable[[], datetime] = whole_seconds_now) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.renderer = Renderer(urls)
        self.payloads = PayloadBuilder(self.renderer)
        self.repos: dict[str, SimRepo] = {}
        self.comments: dict[int, SimComment] = {}
        self.listener: ChangeListener | None = None
        #: Bumped by every change to any issue, so listings can be cached until the next change.
        self.generation = 0
        self._ids = itertools.count(1_000)
        self._listings: dict[tuple[object, ...], list[SimIssue]] = {}

    def next_id(self) -> int:
        """A fresh numeric id (issues, labels, comments and hooks share one sequence)."""
        return next(self._ids)

    def emit(self, event: str, repo: str | None, build: Callable[[], Change]) -> None:
        """Publish a change if anyone listens (building the payload only then)."""
        if self.listener is not None and self.listener.wants(repo, event):
            self.listener.publish(build())

    # -- repositories and labels ---------------------------------------------------------------

    def create_repo(self, full_name: str) -> SimRepo:
        """Create a repository (idempotent)."""
        with self.lock:
            if full_name.lower() not in self.repos:
                self.repos[full_name.lower()] = SimRepo(id=self.next_id(), full_name=full_name)
            return self.repos[full_name.lower()]

    def repo(self, full_name: str) -> SimRepo:
        """A repository by `owner/name` (case-insensitive), or 404."""
        found = self.repos.get(full_name.lower())
        if found is None:
            raise SimError(404, "Not Found")
        return found

    def ensure_label(self, repo: SimRepo, name: str, color: str = "ededed", description: str = "") -> SimLabel:
        """The label of that name, created if missing (as GitHub does when an issue is given one)."""
        label = repo.labels.get(name.lower())
        if label is None:
            label = SimLabel(id=self.next_id(), name=name, color=color, description=description)
            repo.labels[name.lower()] = label
            self.emit(
                "label", repo.full_name, lambda: self.payloads.label_change("created", repo, label, DEFAULT_ACTOR)
            )
        return label

    def rename_label(self, full_name: str, old: str, new: str, actor: str = DEFAULT_ACTOR) -> SimLabel:
        """Rename a label; every issue carrying it shows the new name (their `updated_at` does not move)."""
        with self.lock:
            repo = self.repo(full_name)
            label = repo.labels.pop(old.lower(), None)
            if label is None:
                raise SimError(404, "Not Found")
            label.name = new
            repo.labels[new.lower()] = label
            for issue in repo.issues.values():
                if any(name.lower() == old.lower() for name in issue.labels):
                    issue.labels = [new if name.lower() == old.lower() else name for name in issue.labels]
                    issue.version += 1
                    self.generation += 1
            changes = {"name": {"from": old}}
            self.emit(
                "label",
                repo.full_name,
                lambda: self.payloads.label_change("edited", repo, label, actor, changes=changes),
            )
            return label

    def delete_label(self, full_name: str, name: str, actor: str = DEFAULT_ACTOR) -> None:
        """Delete a label and take it off every issue (their `updated_at` does not move)."""
        with self.lock:
            repo = self.repo(full_name)
            label = repo.labels.pop(name.lower(), None)
            if label is None:
                raise SimError(404, "Not Found")
            for issue in repo.issues.values():
                if any(n.lower() == name.lower() for n in issue.labels):
                    issue.labels = [n for n in issue.labels if n.lower() != name.lower()]
                    issue.version += 1
                    self.generation += 1
            self.emit("label", repo.full_name, lambda: self.payloads.label_change("deleted", repo, label, actor))

    # -- issues ------------------------------------------------------------------------------

    def issue(self, full_name: str, number: int) -> SimIssue:
        """A live issue, or 404 (never existed), 410 (deleted) or 301 (transferred, with its new address)."""
        repo = self.repo(full_name)
        issue = repo.issues.get(number)
        if issue is None:
            raise SimError(404, "Not Found")
        if issue.deleted:
            raise SimError(410, "This issue was deleted")
        if issue.transferred_to is not None:
            new_repo, _, new_number = issue.transferred_to.partition("#")
            location = f"{self.renderer.urls.api}/repos/{new_repo}/issues/{new_number}"
            raise SimError(301, "Moved Permanently", location=location)
        return issue

    def create_issue(
        self,
        full_name: str,
        title: str,
        *,
        body: str = "",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        author: str = DEFAULT_ACTOR,
        pull: bool = False,
        draft: bool = False,
        emit: bool = True,
    ) -> SimIssue:
        """Open an issue (or a pull request); labels that do not exist yet are created."""
        with self.lock:
            repo = self.repo(full_name)
            now = self.clock()
            names = [self.ensure_label(repo, name).name for name in labels]
            issue = SimIssue(
                repo=repo.full_name,
                number=repo.next_number,
                id=self.next_id(),
                title=title,
                body=body,
                author=author,
                created_at=now,
                updated_at=now,
                labels=names,
                assignees=list(assignees),
                is_pull=pull,
                draft=draft and pull,
            )
            repo.issues[issue.number] = issue
            repo.next_number += 1
            self.generation += 1
            if emit:
                self.emit_issue("opened", issue, author)
            return issue

    def emit_issue(self, action: str, issue: SimIssue, actor: str, **extra: object) -> None:
        """Publish `issues.<action>` (or `pull_request.<action>`) for the issue as it now is."""
        repo = self.repo(issue.repo)
        event = "pull_request" if issue.is_pull else "issues"
        self.emit(event, repo.full_name, lambda: self.payloads.issue_change(action, issue, repo, actor, **extra))

    def touch(self, issue: SimIssue) -> None:
        """Record a change to the issue: new version, new `updated_at`."""
        issue.version += 1
        issue.updated_at = self.clock()
        self.generation += 1

    def close_issue(self, full_name: str, number: int, reason: str = "completed", actor: str = DEFAULT_ACTOR) -> None:
        """Close an issue with a `state_reason` (completed, not_planned, duplicate); PRs close unmerged."""
        with self.lock:
            issue = self.issue(full_name, number)
            issue.state, issue.state_reason = "closed", None if issue.is_pull else reason
            issue.closed_at = self.clock()
            self.touch(issue)
            self.emit_issue("closed", issue, actor)

    def merge_pull_request(self, full_name: str, number: int, actor: str = DEFAULT_ACTOR) -> None:
        """Merge a pull request (closes it with `merged_at` set)."""
        with self.lock:
            issue = self.issue(full_name, number)
            if not issue.is_pull:
                raise SimError(404, "Not Found")
            issue.state, issue.state_reason = "closed", None
            issue.closed_at = issue.merged_at = self.clock()
            self.touch(issue)
            self.emit_issue("closed", issue, actor)

    def reopen_issue(self, full_name: str, number: int, actor: str = DEFAULT_ACTOR) -> None:
        """Reopen a closed issue or unmerged pull request."""
        with self.lock:
            issue = self.issue(full_name, number)
            issue.state, issue.state_reason, issue.closed_at = "open", None if issue.is_pull else "reopened", None
            self.touch(issue)
            self.emit_issue("reopened", issue, actor)

    def edit_issue(
        self,
        full_name: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        actor: str = DEFAULT_ACTOR,
    ) -> None:
        """Change an issue's title and/or body (`edited`, with `changes.<field>.from`)."""
        with self.lock:
            issue = self.issue(full_name, number)
            changes: dict[str, dict[str, str]] = {}
            if title is not None and title != issue.title:
                changes["title"], issue.title = {"from": issue.title}, title
            if body is not None and body != issue.body:
                changes["body"], issue.body = {"from": issue.body}, body
            if changes:
                self.touch(issue)
                self.emit_issue("edited", issue, actor, changes=changes)

    def add_labels(self, full_name: str, number: int, names: Iterable[str], actor: str = DEFAULT_ACTOR) -> None:
        """Put labels on an issue (`labeled` once per new label)."""
        with self.lock:
            issue, repo = self.issue(full_name, number), self.repo(full_name)
            for name in names:
                label = self.ensure_label(repo, name)
                if label.name.lower() in (n.lower() for n in issue.labels):
                    continue
                issue.labels.append(label.name)
                self.touch(issue)
                self.emit_issue("labeled", issue, actor, **self.payloads.label_extra(repo, label))

    def remove_label(self, full_name: str, number: int, name: str, actor: str = DEFAULT_ACTOR) -> None:
        """Take a label off an issue (`unlabeled`); 404 when the issue does not carry it."""
        with self.lock:
            issue, repo = self.issue(full_name, number), self.repo(full_name)
            if name.lower() not in (n.lower() for n in issue.labels):
                raise SimError(404, "Label does not exist")
            issue.labels = [n for n in issue.labels if n.lower() != name.lower()]
            self.touch(issue)
            label = repo.labels.get(name.lower()) or SimLabel(id=0, name=name)
            self.emit_issue("unlabeled", issue, actor, **self.payloads.label_extra(repo, label))

    def set_assignees(self, full_name: str, number: int, logins: Iterable[str], actor: str = DEFAULT_ACTOR) -> None:
        """Replace an issue's assignees (`assigned`/`unassigned` once per login that changed)."""
        with self.lock:
            issue = self.issue(full_name, number)
            wanted = list(logins)
            for login in [a for a in issue.assignees if a not in wanted]:
                issue.assignees.remove(login)
                self.touch(issue)
                self.emit_issue("unassigned", issue, actor, assignee=self.renderer.user(login))
            for login in [a for a in wanted if a not in issue.assignees]:
                issue.assignees.append(login)
                self.touch(issue)
                self.emit_issue("assigned", issue, actor, assignee=self.renderer.user(login))

    def set_draft(self, full_name: str, number: int, draft: bool, actor: str = DEFAULT_ACTOR) -> None:
        """Convert a pull request to draft or mark it ready for review."""
        with self.lock:
            issue = self.issue(full_name, number)
            if not issue.is_pull or issue.draft == draft:
                return
            issue.draft = draft
            self.touch(issue)
            self.emit_issue("converted_to_draft" if draft else "ready_for_review", issue, actor)

    def delete_issue(self, full_name: str, number: int, actor: str = DEFAULT_ACTOR) -> None:
        """Delete an issue (`issues.deleted`); its address answers 410 afterwards."""
        with self.lock:
            issue = self.issue(full_name, number)
            self.emit_issue("deleted", issue, actor)
            issue.deleted = True
            self.generation += 1

    def transfer_issue(self, full_name: str, number: int, new_repo: str, actor: str = DEFAULT_ACTOR) -> SimIssue:
        """Move an issue to another repository: `transferred` in the old one, `opened` in the new one."""
        with self.lock:
            old, old_repo, target = self.issue(full_name, number), self.repo(full_name), self.repo(new_repo)
            new = self.create_issue(
                target.full_name,
                old.title,
                body=old.body,
                labels=old.labels,
                assignees=old.assignees,
                author=old.author,
                emit=False,
            )
            old.transferred_to = new.key
            self.generation += 1
            self.emit(
                "issues", old_repo.full_name, lambda: self.payloads.transferred(old, old_repo, new, target, actor)
            )
            self.emit_issue("opened", new, actor)
            return new

    def list_issues(
        self,
        full_name: str,
        *,
        state: str = "open",
        since: datetime | None = None,
        labels: Iterable[str] = (),
        sort: str = "created_at",
        descending: bool = True,
    ) -> list[SimIssue]:
        """Live issues of a repository filtered and sorted like `GET /repos/{o}/{r}/issues` (cached per change).

        `sort` is an attribute of the issue (`created_at`, `updated_at`, `comment_count`); ties go by number."""
        repo = self.repo(full_name)
        wanted = frozenset(name.lower() for name in labels)
        key = (repo.full_name, self.generation, state, since, wanted, sort, descending)
        found = self._listings.get(key)
        if found is None:
            found = [
                issue
                for issue in repo.issues.values()
                if not issue.deleted
                and issue.transferred_to is None
                and state in ("all", issue.state)
                and (since is None or issue.updated_at >= since)
                and wanted <= {name.lower() for name in issue.labels}
            ]
            found.sort(key=lambda i: (getattr(i, sort), i.number), reverse=descending)
            self._listings = {k: v for k, v in self._listings.items() if k[1] == self.generation}
            self._listings[key] = found
        return found
