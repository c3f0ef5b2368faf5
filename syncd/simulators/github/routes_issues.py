"""REST endpoints for issues, their labels and comments, and repository labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.routing import Route

from syncd.simulators.github.entities import SimIssue
from syncd.simulators.github.http import Call, Reply
from syncd.simulators.github.paging import paginate
from syncd.simulators.github.parts import RouteGroup
from syncd.simulators.github.state import SimError

REPO = "/api/v3/repos/{owner}/{repo}"
_SORT_KEYS = {"created": "created_at", "updated": "updated_at", "comments": "comment_count"}


def _since(call: Call) -> datetime | None:
    raw = call.query.get("since")
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as error:
        raise SimError(422, f"Validation Failed: since {raw!r} is not an ISO 8601 timestamp") from error


def _field(call: Call, name: str, kind: type, *, required: bool = False) -> Any:
    body = call.body if isinstance(call.body, dict) else {}
    value = body.get(name)
    if value is None and required:
        raise SimError(422, f"Validation Failed: {name} is missing")
    if value is not None and not isinstance(value, kind):
        raise SimError(422, f"Validation Failed: {name} must be a {kind.__name__}")
    return value


class IssueRoutes(RouteGroup):
    """Issues, their labels and comments, and repository labels."""

    def routes(self) -> list[Route]:
        """Starlette routes for these endpoints."""
        ep = self.parts.pipeline.endpoint
        return [
            Route(f"{REPO}/issues", ep(self.list_issues), methods=["GET"]),
            Route(f"{REPO}/issues", ep(self.create_issue, content_write=True), methods=["POST"]),
            Route(f"{REPO}/issues/comments/{{comment_id:int}}", ep(self.get_comment), methods=["GET"]),
            Route(
                f"{REPO}/issues/comments/{{comment_id:int}}",
                ep(self.edit_comment, content_write=True),
                methods=["PATCH"],
            ),
            Route(f"{REPO}/issues/comments/{{comment_id:int}}", ep(self.delete_comment), methods=["DELETE"]),
            Route(f"{REPO}/issues/{{number:int}}", ep(self.get_issue), methods=["GET"]),
            Route(f"{REPO}/issues/{{number:int}}", ep(self.update_issue, content_write=True), methods=["PATCH"]),
            Route(f"{REPO}/issues/{{number:int}}/comments", ep(self.list_comments), methods=["GET"]),
            Route(
                f"{REPO}/issues/{{number:int}}/comments", ep(self.create_comment, content_write=True), methods=["POST"]
            ),
            Route(f"{REPO}/issues/{{number:int}}/labels", ep(self.add_labels), methods=["POST"]),
            Route(f"{REPO}/issues/{{number:int}}/labels/{{name}}", ep(self.remove_label), methods=["DELETE"]),
            Route(f"{REPO}/labels", ep(self.list_labels), methods=["GET"]),
            Route(f"{REPO}/labels", ep(self.create_label), methods=["POST"]),
            Route(f"{REPO}/labels/{{name}}", ep(self.update_label), methods=["PATCH"]),
            Route(f"{REPO}/labels/{{name}}", ep(self.delete_label), methods=["DELETE"]),
        ]

    def _issue_reply(self, issue: SimIssue, status: int = 200) -> Reply:
        repo = self.state.repo(issue.repo)
        return Reply(text=self.state.renderer.issue_json(issue, repo.labels), status=status)

    def list_issues(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/issues` with state, since, labels, sort, direction and pages."""
        name = self.parts.repo_name(call)
        labels = [n for n in call.query.get("labels", "").split(",") if n]
        sort, direction = call.query.get("sort", "created"), call.query.get("direction", "desc")
        state = call.query.get("state", "open")
        if sort not in _SORT_KEYS or direction not in ("asc", "desc") or state not in ("open", "closed", "all"):
            raise SimError(422, "Validation Failed: state, sort or direction has an unknown value")
        with self.state.lock:
            found = self.state.list_issues(
                name,
                state=state,
                since=_since(call),
                labels=labels,
                sort=_SORT_KEYS[sort],
                descending=direction == "desc",
            )
            labels_of_repo = self.state.repo(name).labels
            return paginate(call, found, lambda issue: self.state.renderer.issue_json(issue, labels_of_repo))

    def get_issue(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/issues/{n}` (410 when deleted, 301 when transferred)."""
        with self.state.lock:
            return self._issue_reply(self.state.issue(self.parts.repo_name(call), call.params["number"]))

    def create_issue(self, call: Call) -> Reply:
        """`POST /repos/{o}/{r}/issues`."""
        issue = self.state.create_issue(
            self.parts.repo_name(call),
            _field(call, "title", str, required=True),
            body=_field(call, "body", str) or "",
            labels=_field(call, "labels", list) or [],
            assignees=_field(call, "assignees", list) or [],
            author=self.parts.actor(call),
        )
        with self.state.lock:
            return self._issue_reply(issue, 201)

    def update_issue(self, call: Call) -> Reply:
        """`PATCH /repos/{o}/{r}/issues/{n}`: title, body, state (+ state_reason), labels, assignees."""
        name, number, actor = self.parts.repo_name(call), call.params["number"], self.parts.actor(call)
        state = self.state
        with state.lock:
            issue = state.issue(name, number)
            state.edit_issue(
                name, number, title=_field(call, "title", str), body=_field(call, "body", str), actor=actor
            )
            labels = _field(call, "labels", list)
            if labels is not None:
                for label in [n for n in issue.labels if n.lower() not in {x.lower() for x in labels}]:
                    state.remove_label(name, number, label, actor)
                state.add_labels(name, number, labels, actor)
            assignees = _field(call, "assignees", list)
            if assignees is not None:
                state.set_assignees(name, number, assignees, actor)
            wanted = _field(call, "state", str)
            if wanted == "closed" and issue.state == "open":
                state.close_issue(name, number, _field(call, "state_reason", str) or "completed", actor)
            elif wanted == "open" and issue.state == "closed":
                state.reopen_issue(name, number, actor)
            return self._issue_reply(issue)

    def list_comments(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/issues/{n}/comments` (oldest first, paged)."""
        found = self.parts.comments.of_issue(self.parts.repo_name(call), call.params["number"])
        return paginate(call, [self.state.renderer.comment(c) for c in found])

    def create_comment(self, call: Call) -> Reply:
        """`POST /repos/{o}/{r}/issues/{n}/comments`."""
        body = _field(call, "body", str, required=True)
        comment = self.parts.comments.create(
            self.parts.repo_name(call), call.params["number"], body, self.parts.actor(call)
        )
        return Reply(self.state.renderer.comment(comment), 201)

    def get_comment(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/issues/comments/{id}`."""
        comment = self.parts.comments.get(self.parts.repo_name(call), call.params["comment_id"])
        return Reply(self.state.renderer.comment(comment))

    def edit_comment(self, call: Call) -> Reply:
        """`PATCH /repos/{o}/{r}/issues/comments/{id}` (404 once deleted)."""
        body = _field(call, "body", str, required=True)
        comment = self.parts.comments.edit(
            self.parts.repo_name(call), call.params["comment_id"], body, self.parts.actor(call)
        )
        return Reply(self.state.renderer.comment(comment))

    def delete_comment(self, call: Call) -> Reply:
        """`DELETE /repos/{o}/{r}/issues/comments/{id}`."""
        self.parts.comments.delete(self.parts.repo_name(call), call.params["comment_id"], self.parts.actor(call))
        return Reply(status=204)

    def add_labels(self, call: Call) -> Reply:
        """`POST /repos/{o}/{r}/issues/{n}/labels` with `{"labels": [...]}`."""
        name, number = self.parts.repo_name(call), call.params["number"]
        labels = _field(call, "labels", list, required=True)
        self.state.add_labels(name, number, labels, self.parts.actor(call))
        return self._labels_of(name, number)

    def remove_label(self, call: Call) -> Reply:
        """`DELETE /repos/{o}/{r}/issues/{n}/labels/{name}`."""
        name, number = self.parts.repo_name(call), call.params["number"]
        self.state.remove_label(name, number, call.params["name"], self.parts.actor(call))
        return self._labels_of(name, number)

    def _labels_of(self, name: str, number: int) -> Reply:
        with self.state.lock:
            repo, issue = self.state.repo(name), self.state.issue(name, number)
            return Reply([self.state.renderer.label(name, repo.labels[n.lower()]) for n in issue.labels])

    def list_labels(self, call: Call) -> Reply:
        """`GET /repos/{o}/{r}/labels`."""
        name = self.parts.repo_name(call)
        with self.state.lock:
            labels = sorted(self.state.repo(name).labels.values(), key=lambda label: label.id)
            return paginate(call, [self.state.renderer.label(name, label) for label in labels])

    def create_label(self, call: Call) -> Reply:
        """`POST /repos/{o}/{r}/labels` (422 when it exists)."""
        name, label_name = self.parts.repo_name(call), _field(call, "name", str, required=True)
        with self.state.lock:
            repo = self.state.repo(name)
            if label_name.lower() in repo.labels:
                raise SimError(422, "Validation Failed: label already_exists")
            color = _field(call, "color", str) or "ededed"
            label = self.state.ensure_label(repo, label_name, color, _field(call, "description", str) or "")
            return Reply(self.state.renderer.label(name, label), 201)

    def update_label(self, call: Call) -> Reply:
        """`PATCH /repos/{o}/{r}/labels/{name}` (a `new_name` renames it on every issue)."""
        name, old = self.parts.repo_name(call), call.params["name"]
        new = _field(call, "new_name", str) or old
        label = self.state.rename_label(name, old, new, self.parts.actor(call))
        return Reply(self.state.renderer.label(name, label))

    def delete_label(self, call: Call) -> Reply:
        """`DELETE /repos/{o}/{r}/labels/{name}`."""
        self.state.delete_label(self.parts.repo_name(call), call.params["name"], self.parts.actor(call))
        return Reply(status=204)
