"""GitHub's JSON shapes for the simulated records; every `url` points at the simulator itself (like GHES)."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.simulators.github.entities import SimComment, SimHook, SimIssue, SimLabel, SimRepo

JsonObject = dict[str, Any]


def timestamp(moment: datetime | None) -> str | None:
    """GitHub's timestamp format (`2026-01-02T03:04:05Z`), or None."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """A stable, opaque GraphQL node id in GitHub's style."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def user_id(login: str) -> int:
    """A stable numeric id for a login."""
    return zlib.crc32(login.encode()) % 90_000_000 + 1_000_000


@dataclass
class SimUrls:
    """The simulator's web root (`http://127.0.0.1:PORT`) and its REST root under `/api/v3`."""

    web: str = "http://127.0.0.1:0"

    @property
    def api(self) -> str:
        """The REST API root, as GitHub Enterprise Server lays it out."""
        return f"{self.web}/api/v3"

    @property
    def graphql(self) -> str:
        """The GraphQL endpoint."""
        return f"{self.web}/api/graphql"


class Renderer:
    """Turns records into GitHub's JSON, caching each issue's JSON per version (backfills list thousands)."""

    def __init__(self, urls: SimUrls) -> None:
        self.urls = urls
        self._issue_cache: dict[tuple[str, int], tuple[int, str, str]] = {}

    def user(self, login: str) -> JsonObject:
        """A user (or bot) object."""
        api, web = self.urls.api, self.urls.web
        kind = "Bot" if login.endswith("[bot]") else "User"
        return {
            "login": login,
            "id": user_id(login),
            "node_id": node_id("User", user_id(login)),
            "avatar_url": f"{web}/avatars/{login}",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": f"{web}/{login}",
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "type": kind,
            "site_admin": False,
        }

    def label(self, repo: str, label: SimLabel) -> JsonObject:
        """A label object."""
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.urls.api}/repos/{repo}/labels/{label.name}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": label.description or None,
        }

    def repository(self, repo: SimRepo) -> JsonObject:
        """A repository object (the fields clients and payloads use)."""
        api, web, name = self.urls.api, self.urls.web, repo.full_name
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": name,
            "private": False,
            "owner": self.user(repo.owner),
            "html_url": f"{web}/{name}",
            "description": None,
            "fork": False,
            "url": f"{api}/repos/{name}",
            "hooks_url": f"{api}/repos/{name}/hooks",
            "issues_url": f"{api}/repos/{name}/issues{{/number}}",
            "labels_url": f"{api}/repos/{name}/labels{{/name}}",
            "pulls_url": f"{api}/repos/{name}/pulls{{/number}}",
            "default_branch": "main",
            "has_issues": True,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "open_issues_count": sum(1 for i in repo.issues.values() if i.state == "open" and not i.deleted),
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        }

    def issue_json(self, issue: SimIssue, labels: dict[str, SimLabel]) -> str:
        """The issue object as JSON text, cached per version."""
        cached = self._issue_cache.get((issue.repo, issue.number))
        if cached is not None and cached[0] == issue.version and cached[1] == self.urls.web:
            return cached[2]
        text = json.dumps(self.issue(issue, labels), separators=(",", ":"))
        self._issue_cache[(issue.repo, issue.number)] = (issue.version, self.urls.web, text)
        return text

    def issue(self, issue: SimIssue, labels: dict[str, SimLabel]) -> JsonObject:
        """An issue object; pull requests carry `pull_request` (with `merged_at`) and `draft`."""
        api, web, repo = self.urls.api, self.urls.web, issue.repo
        kind = "pull" if issue.is_pull else "issues"
        assignees = [self.user(login) for login in issue.assignees]
        body: JsonObject = {
            "url": f"{api}/repos/{repo}/issues/{issue.number}",
            "repository_url": f"{api}/repos/{repo}",
            "labels_url": f"{api}/repos/{repo}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/repos/{repo}/issues/{issue.number}/comments",
            "events_url": f"{api}/repos/{repo}/issues/{issue.number}/events",
            "html_url": f"{web}/{repo}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.author),
            "labels": [self.label(repo, labels[name.lower()]) for name in issue.labels if name.lower() in labels],
            "state": issue.state,
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": issue.comment_count,
            "created_at": timestamp(issue.created_at),
            "updated_at": timestamp(issue.updated_at),
            "closed_at": timestamp(issue.closed_at),
            "author_association": "MEMBER",
            "active_lock_reason": None,
            "body": issue.body or None,
            "state_reason": issue.state_reason,
            "timeline_url": f"{api}/repos/{repo}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
        }
        if issue.is_pull:
            body["draft"] = issue.draft
            body["pull_request"] = {
                "url": f"{api}/repos/{repo}/pulls/{issue.number}",
                "html_url": f"{web}/{repo}/pull/{issue.number}",
                "diff_url": f"{web}/{repo}/pull/{issue.number}.diff",
                "patch_url": f"{web}/{repo}/pull/{issue.number}.patch",
                "merged_at": timestamp(issue.merged_at),
            }
        return body

    def pull_request(self, issue: SimIssue, repo: SimRepo) -> JsonObject:
        """A pull request object as `pull_request` webhooks carry it."""
        api, web, name = self.urls.api, self.urls.web, repo.full_name
        as_issue = self.issue(issue, repo.labels)
        branch = {"label": f"{repo.owner}:main", "ref": "main", "sha": "0" * 40, "user": self.user(repo.owner)}
        return {
            **{k: as_issue[k] for k in ("id", "node_id", "number", "state", "locked", "title", "user", "body")},
            **{k: as_issue[k] for k in ("labels", "assignee", "assignees", "milestone", "created_at", "updated_at")},
            "url": f"{api}/repos/{name}/pulls/{issue.number}",
            "html_url": f"{web}/{name}/pull/{issue.number}",
            "diff_url": f"{web}/{name}/pull/{issue.number}.diff",
            "patch_url": f"{web}/{name}/pull/{issue.number}.patch",
            "issue_url": f"{api}/repos/{name}/issues/{issue.number}",
            "closed_at": timestamp(issue.closed_at),
            "merged_at": timestamp(issue.merged_at),
            "merged": issue.merged_at is not None,
            "draft": issue.draft,
            "requested_reviewers": [],
            "head": {**branch, "ref": f"topic-{issue.number}", "repo": self.repository(repo)},
            "base": {**branch, "repo": self.repository(repo)},
            "author_association": "MEMBER",
        }

    def comment(self, comment: SimComment) -> JsonObject:
        """An issue comment object."""
        api, web, repo = self.urls.api, self.urls.web, comment.repo
        return {
            "url": f"{api}/repos/{repo}/issues/comments/{comment.id}",
            "html_url": f"{web}/{repo}/issues/{comment.issue_number}#issuecomment-{comment.id}",
            "issue_url": f"{api}/repos/{repo}/issues/{comment.issue_number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user(comment.author),
            "created_at": timestamp(comment.created_at),
            "updated_at": timestamp(comment.updated_at),
            "author_association": "MEMBER",
            "body": comment.body,
            "performed_via_github_app": None,
        }

    def hook(self, hook: SimHook) -> JsonObject:
        """A repository webhook object (the secret is masked, as GitHub does)."""
        url = f"{self.urls.api}/repos/{hook.repo}/hooks/{hook.id}"
        config: JsonObject = {"url": hook.url, "content_type": hook.content_type, "insecure_ssl": hook.insecure_ssl}
        if hook.secret:
            config["secret"] = "********"  # noqa: S105 - GitHub masks hook secrets this way
        return {
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": list(hook.events),
            "config": config,
            "updated_at": timestamp(hook.updated_at),
            "created_at": timestamp(hook.created_at),
            "url": url,
            "test_url": f"{url}/test",
            "ping_url": f"{url}/pings",
            "deliveries_url": f"{url}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        }
