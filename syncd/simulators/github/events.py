"""Webhook payloads for simulated changes, shaped like GitHub's (`issues`, `pull_request`, `label`, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncd.simulators.github.entities import SimComment, SimIssue, SimLabel, SimRepo
from syncd.simulators.github.render import JsonObject, Renderer


@dataclass(frozen=True)
class Change:
    """One change to the simulated GitHub: the webhook event it raises and that event's payload."""

    event: str
    action: str | None
    repo: str | None
    payload: JsonObject

    @property
    def name(self) -> str:
        """`issues.labeled` style."""
        return self.event if self.action is None else f"{self.event}.{self.action}"


class PayloadBuilder:
    """Builds event payloads from records with the simulator's renderer."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def _envelope(self, action: str, repo: SimRepo, sender: str, **extra: Any) -> JsonObject:
        body: JsonObject = {"action": action, **extra}
        body["repository"] = self.renderer.repository(repo)
        body["sender"] = self.renderer.user(sender)
        if repo.installation_id is not None:
            body["installation"] = {"id": repo.installation_id, "node_id": f"MDIz{repo.installation_id}"}
        return body

    def issue_change(self, action: str, issue: SimIssue, repo: SimRepo, sender: str, **extra: Any) -> Change:
        """`issues.<action>`, or `pull_request.<action>` for a pull request."""
        if issue.is_pull:
            pull = self.renderer.pull_request(issue, repo)
            payload = self._envelope(action, repo, sender, number=issue.number, pull_request=pull, **extra)
            return Change("pull_request", action, repo.full_name, payload)
        rendered = self.renderer.issue(issue, repo.labels)
        payload = self._envelope(action, repo, sender, issue=rendered, **extra)
        return Change("issues", action, repo.full_name, payload)

    def label_extra(self, repo: SimRepo, label: SimLabel) -> JsonObject:
        """The `label` member of labeled/unlabeled payloads."""
        return {"label": self.renderer.label(repo.full_name, label)}

    def transferred(self, old: SimIssue, old_repo: SimRepo, new: SimIssue, new_repo: SimRepo, sender: str) -> Change:
        """`issues.transferred` in the old repository, naming the new issue and repository."""
        changes = {
            "new_issue": self.renderer.issue(new, new_repo.labels),
            "new_repository": self.renderer.repository(new_repo),
        }
        return self.issue_change("transferred", old, old_repo, sender, changes=changes)

    def label_change(self, action: str, repo: SimRepo, label: SimLabel, sender: str, **extra: Any) -> Change:
        """`label.<action>` (created, edited with `changes.name.from`, deleted)."""
        payload = self._envelope(action, repo, sender, label=self.renderer.label(repo.full_name, label), **extra)
        return Change("label", action, repo.full_name, payload)

    def comment_change(
        self, action: str, comment: SimComment, issue: SimIssue, repo: SimRepo, sender: str, **extra: Any
    ) -> Change:
        """`issue_comment.<action>` with the issue and the comment."""
        payload = self._envelope(
            action,
            repo,
            sender,
            issue=self.renderer.issue(issue, repo.labels),
            comment=self.renderer.comment(comment),
            **extra,
        )
        return Change("issue_comment", action, repo.full_name, payload)

    def installation(self, action: str, installation: JsonObject, repos: list[SimRepo], sender: str) -> Change:
        """`installation.<action>` (created lists the repositories it covers)."""
        payload: JsonObject = {"action": action, "installation": installation}
        if action == "created":
            payload["repositories"] = [self.renderer.repository_brief(repo) for repo in repos]
        payload["sender"] = self.renderer.user(sender)
        return Change("installation", action, None, payload)

    def installation_repositories(
        self, installation: JsonObject, added: list[SimRepo], removed: list[SimRepo], sender: str
    ) -> Change:
        """`installation_repositories.added` or `.removed`: repositories joining or leaving an installation."""
        action = "added" if added else "removed"
        payload: JsonObject = {
            "action": action,
            "installation": installation,
            "repository_selection": "selected",
            "repositories_added": [self.renderer.repository_brief(repo) for repo in added],
            "repositories_removed": [self.renderer.repository_brief(repo) for repo in removed],
            "requester": None,
            "sender": self.renderer.user(sender),
        }
        return Change("installation_repositories", action, None, payload)

    def ping(self, repo: SimRepo, hook: JsonObject) -> Change:
        """`ping`, sent when a hook is created."""
        payload: JsonObject = {"zen": "Keep it logically awesome.", "hook_id": hook["id"], "hook": hook}
        payload["repository"] = self.renderer.repository(repo)
        payload["sender"] = self.renderer.user(repo.owner)
        return Change("ping", None, repo.full_name, payload)
