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


#: `<key>_url` -> path under the repository's API URL, as GitHub lists them.
_REPO_LINKS = {
    "forks": "forks", "keys": "keys{/key_id}", "collaborators": "collaborators{/collaborator}",
    "teams": "teams", "hooks": "hooks", "issue_events": "issues/events{/number}", "events": "events",
    "assignees": "assignees{/user}", "branches": "branches{/branch}", "tags": "tags",
    "blobs": "git/blobs{/sha}", "git_tags": "git/tags{/sha}", "git_refs": "git/refs{/sha}",
    "trees": "git/trees{/sha}", "statuses": "statuses/{sha}", "languages": "languages",
    "stargazers": "stargazers", "contributors": "contributors", "subscribers": "subscribers",
    "subscription": "subscription", "commits": "commits{/sha}", "git_commits": "git/commits{/sha}",
    "comments": "comments{/number}", "issue_comment": "issues/comments{/number}",
    "contents": "contents/{+path}", "compare": "compare/{base}...{head}", "merges": "merges",
    "archive": "{archive_format}{/ref}", "downloads": "downloads", "issues": "issues{/number}",
    "pulls": "pulls{/number}", "milestones": "milestones{/number}",
    "notifications": "notifications{?since,all,participating}", "labels": "labels{/name}",
    "releases": "releases{/id}", "deployments": "deployments",
}  # fmt: skip


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
        self._users: dict[tuple[str, str], JsonObject] = {}

    def user(self, login: str) -> JsonObject:
        """A user (or bot) object (a fresh copy of a cached one: callers may extend it)."""
        cached = self._users.get((self.urls.web, login))
        if cached is None:
            cached = self._users[(self.urls.web, login)] = self._user(login)
        return dict(cached)

    def _user(self, login: str) -> JsonObject:
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

    def authenticated_user(self, login: str) -> JsonObject:
        """`GET /user`: the user object with its public profile fields."""
        profile = dict.fromkeys(("name", "company", "blog", "location", "email", "hireable", "bio"))
        counts = dict.fromkeys(("public_repos", "public_gists", "followers", "following"), 0)
        stamps = {"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
        return {**self.user(login), **profile, **counts, **stamps, "user_view_type": "public"}

    def installation(self, installation_id: int, app_id: int, owner: str) -> JsonObject:
        """A GitHub App installation on an organization."""
        api, web = self.urls.api, self.urls.web
        return {
            "id": installation_id,
            "app_id": app_id,
            "app_slug": f"app-{app_id}",
            "target_id": self.user(owner)["id"],
            "target_type": "Organization",
            "account": self.user(owner),
            "single_file_name": None,
            "html_url": f"{web}/organizations/{owner}/settings/installations/{installation_id}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "suspended_by": None,
            "suspended_at": None,
            "access_tokens_url": f"{api}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{api}/installation/repositories",
            "permissions": {"issues": "write", "metadata": "read", "pull_requests": "write"},
            "events": ["issues", "issue_comment", "label", "pull_request"],
            "repository_selection": "selected",
        }

    def repository_brief(self, repo: SimRepo) -> JsonObject:
        """The short repository form installation payloads list."""
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
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

    def repository(self, repo: SimRepo, *, rest: bool = False) -> JsonObject:
        """A repository object with every field GitHub requires: as webhooks carry it, or as REST answers it."""
        api, web, name = self.urls.api, self.urls.web, repo.full_name
        base = f"{api}/repos/{name}"
        host = web.split("://", 1)[-1]
        body: JsonObject = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": name,
            "private": False,
            "owner": self.user(repo.owner),
            "html_url": f"{web}/{name}",
            "description": None,
            "fork": False,
            "url": base,
            **{f"{key}_url": f"{base}/{path}" for key, path in _REPO_LINKS.items()},
            "git_url": f"git://{host}/{name}.git",
            "ssh_url": f"git@{host}:{name}.git",
            "clone_url": f"{web}/{name}.git",
            "svn_url": f"{web}/{name}",
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "pushed_at": "2026-01-01T00:00:00Z",
            **dict.fromkeys(("size", "stargazers_count", "watchers_count", "forks_count", "forks", "watchers"), 0),
            **dict.fromkeys(("has_issues", "has_projects", "has_downloads", "has_wiki"), True),
            **dict.fromkeys(("has_pages", "archived", "is_template", "web_commit_signoff_required"), False),
            "license": None,
            "default_branch": "main",
            "topics": [],
            "visibility": "public",
            "custom_properties": {},
        }
        body["open_issues_count"] = body["open_issues"] = sum(
            1 for i in repo.issues.values() if i.state == "open" and not i.deleted and i.transferred_to is None
        )
        if rest:
            body["permissions"] = {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True}
            body.update(has_discussions=False, disabled=False, network_count=0, subscribers_count=0)
        return body

    def reactions(self, url: str) -> JsonObject:
        """An empty reactions rollup."""
        counts = dict.fromkeys(("total_count", "+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0)
        return {"url": f"{url}/reactions", **counts}

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
            "reactions": self.reactions(f"{api}/repos/{repo}/issues/{issue.number}"),
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
        pull = f"{api}/repos/{name}/pulls/{issue.number}"
        links = {
            "self": pull, "html": f"{web}/{name}/pull/{issue.number}", "issue": f"{api}/repos/{name}/issues/{issue.number}",
            "comments": f"{api}/repos/{name}/issues/{issue.number}/comments", "review_comments": f"{pull}/comments",
            "review_comment": f"{api}/repos/{name}/pulls/comments{{/number}}", "commits": f"{pull}/commits",
            "statuses": f"{api}/repos/{name}/statuses/{'0' * 40}",
        }  # fmt: skip
        branch = {"label": f"{repo.owner}:main", "ref": "main", "sha": "0" * 40, "user": self.user(repo.owner)}
        merged = issue.merged_at is not None
        return {
            **{k: as_issue[k] for k in ("id", "node_id", "number", "state", "locked", "title", "user", "body")},
            **{k: as_issue[k] for k in ("labels", "assignee", "assignees", "milestone", "created_at", "updated_at")},
            **{k: as_issue[k] for k in ("closed_at", "author_association", "active_lock_reason", "comments")},
            "url": pull,
            "html_url": links["html"],
            "diff_url": f"{web}/{name}/pull/{issue.number}.diff",
            "patch_url": f"{web}/{name}/pull/{issue.number}.patch",
            "issue_url": links["issue"],
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "merged_at": timestamp(issue.merged_at),
            "merge_commit_sha": "1" * 40 if merged else None,
            "merged": merged,
            "merged_by": self.user(repo.owner) if merged else None,
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "draft": issue.draft,
            "auto_merge": None,
            "requested_reviewers": [],
            "requested_teams": [],
            "head": {**branch, "ref": f"topic-{issue.number}", "repo": self.repository(repo)},
            "base": {**branch, "repo": self.repository(repo)},
            "_links": {key: {"href": href} for key, href in links.items()},
            **dict.fromkeys(("review_comments", "commits", "additions", "deletions", "changed_files"), 0),
            "maintainer_can_modify": False,
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
            "reactions": self.reactions(f"{api}/repos/{repo}/issues/comments/{comment.id}"),
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
