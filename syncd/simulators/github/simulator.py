"""`GitHubSimulator`: a stateful GitHub on 127.0.0.1 for tests and `syncd sandbox`, driven from Python.

PyGithub talks to it with `base_url=sim.api_url` (`http://127.0.0.1:PORT/api/v3`, laid out like GitHub
Enterprise Server); tests change issues through the methods below, which raise the same webhooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from syncd.simulators.github.app import build_app
from syncd.simulators.github.apps import Credentials
from syncd.simulators.github.comments import Comments
from syncd.simulators.github.entities import SimComment, SimHook, SimIssue
from syncd.simulators.github.faults import GitHubFaults
from syncd.simulators.github.hooks import Hooks
from syncd.simulators.github.http import Pipeline
from syncd.simulators.github.parts import SimParts
from syncd.simulators.github.projects import Projects
from syncd.simulators.github.render import SimUrls
from syncd.simulators.github.state import DEFAULT_ACTOR, GitHubState, whole_seconds_now
from syncd.simulators.github.traffic import LoggedRequest, RateBudget
from syncd.simulators.github.webhooks import Delivery, WebhookSender, WebhookTarget
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served


class GitHubSimulator(Served):
    """A running simulated GitHub plus the knobs and views tests need."""

    def __init__(
        self,
        *,
        token: str = "sim-token",  # noqa: S107 - the simulator's well-known fake token
        login: str = "syncd-bot",
        rate_limit: int = 5000,
        writes_per_minute: int | None = 80,
        clock: Callable[[], datetime] = whole_seconds_now,
        port: int = 0,
        keep_responses: bool = False,
    ) -> None:
        self.urls = SimUrls()
        self.state = GitHubState(self.urls, clock)
        self.faults = GitHubFaults()
        self.rate_limit = RateBudget(rate_limit)
        self.credentials = Credentials()
        self.credentials.add_token(token, login)
        self.token, self.login = token, login
        self._log: RequestLog[LoggedRequest] = RequestLog()
        self._comments, self._hooks = Comments(self.state), Hooks(self.state)
        self.projects = Projects(self.state)
        self.webhooks = WebhookSender(
            lambda repo: self._hooks.of_repo(repo) if repo.lower() in self.state.repos else []
        )
        self.state.listener = self.webhooks
        # GitHub's secondary limit on content writes: about 80 a minute, in a sliding window.
        writes = None if writes_per_minute is None else SlidingWindow(writes_per_minute, 60.0)
        pipeline = Pipeline(
            self._log, self.faults, self.rate_limit, self.credentials, writes, keep_responses=keep_responses
        )
        parts = SimParts(
            self.state, self._comments, self._hooks, self.projects, self.credentials, self.webhooks, pipeline
        )
        self._server = BackgroundServer(build_app(parts), port=port)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a loopback port; returns `api_url`."""
        self.urls.web = self._server.start()
        self.webhooks.start()
        return self.api_url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.webhooks.stop()
        self._server.stop()

    @property
    def url(self) -> str:
        """The web root, `http://127.0.0.1:PORT` (html_url fields start here)."""
        return self.urls.web

    @property
    def api_url(self) -> str:
        """The REST root to give PyGithub as `base_url`."""
        return self.urls.api

    @property
    def graphql_url(self) -> str:
        """The GraphQL endpoint."""
        return self.urls.graphql

    # -- repositories, issues, pull requests ---------------------------------------------------

    def create_repo(self, full_name: str) -> None:
        """Create a repository (idempotent)."""
        self.state.create_repo(full_name)

    def create_issue(
        self,
        repo: str,
        title: str,
        *,
        labels: Iterable[str] = (),
        body: str = "",
        assignees: Iterable[str] = (),
        author: str = DEFAULT_ACTOR,
    ) -> int:
        """Open an issue; returns its number."""
        return self.state.create_issue(repo, title, body=body, labels=labels, assignees=assignees, author=author).number

    def create_pull_request(self, repo: str, title: str, *, labels: Iterable[str] = (), draft: bool = False) -> int:
        """Open a pull request; returns its number."""
        return self.state.create_issue(repo, title, labels=labels, pull=True, draft=draft).number

    def seed_issues(
        self, repo: str, count: int, *, labels: Iterable[str] = (), title: str = "Task", spread: timedelta | None = None
    ) -> None:
        """Create many issues at once without webhooks (benchmarks, sandbox data).

        With `spread`, their timestamps are spaced evenly over that long a past, the newest now (as a
        real repository's are); otherwise they all carry the current second."""
        names = list(labels)
        with self.state.lock:
            now = self.state.clock()
            for index in range(count):
                issue = self.state.create_issue(repo, f"{title} {index + 1}", labels=names, emit=False)
                if spread is not None and count > 1:
                    moment = now - spread * (count - 1 - index) / (count - 1)
                    issue.created_at = issue.updated_at = moment.replace(microsecond=0)
            self.state.generation += 1

    def close_issue(self, repo: str, number: int, reason: str = "completed") -> None:
        """Close an issue (`completed`, `not_planned`, `duplicate`) or a pull request unmerged."""
        self.state.close_issue(repo, number, reason)

    def reopen_issue(self, repo: str, number: int) -> None:
        """Reopen an issue or pull request."""
        self.state.reopen_issue(repo, number)

    def merge_pull_request(self, repo: str, number: int) -> None:
        """Merge a pull request."""
        self.state.merge_pull_request(repo, number)

    def set_draft(self, repo: str, number: int, draft: bool) -> None:
        """Convert a pull request to draft, or mark it ready for review."""
        self.state.set_draft(repo, number, draft)

    def edit_issue(self, repo: str, number: int, *, title: str | None = None, body: str | None = None) -> None:
        """Change an issue's title or body."""
        self.state.edit_issue(repo, number, title=title, body=body)

    def add_label(self, repo: str, number: int, *labels: str) -> None:
        """Put labels on an issue."""
        self.state.add_labels(repo, number, labels)

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Take a label off an issue."""
        self.state.remove_label(repo, number, label)

    def assign(self, repo: str, number: int, *logins: str) -> None:
        """Set an issue's assignees (an empty call unassigns everyone)."""
        self.state.set_assignees(repo, number, logins)

    def delete_issue(self, repo: str, number: int) -> None:
        """Delete an issue (its address answers 410 afterwards)."""
        self.state.delete_issue(repo, number)

    def transfer_issue(self, repo: str, number: int, new_repo: str) -> int:
        """Move an issue to another repository; returns its new number."""
        return self.state.transfer_issue(repo, number, new_repo).number

    def rename_label(self, repo: str, old: str, new: str) -> None:
        """Rename a label everywhere in the repository."""
        self.state.rename_label(repo, old, new)

    def delete_label(self, repo: str, name: str) -> None:
        """Delete a label from the repository and its issues."""
        self.state.delete_label(repo, name)

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """The issue as `GET /repos/{o}/{r}/issues/{n}` renders it."""
        with self.state.lock:
            return self.state.renderer.issue(self.state.issue(repo, number), self.state.repo(repo).labels)

    def raw_issue(self, repo: str, number: int) -> SimIssue:
        """The issue's record (read-only use)."""
        return self.state.repo(repo).issues[number]

    # -- comments, hooks, projects, apps ---------------------------------------------------------

    def comments(self, repo: str, number: int) -> list[SimComment]:
        """An issue's comments, oldest first."""
        return self._comments.of_issue(repo, number)

    def add_comment(self, repo: str, number: int, body: str, author: str = DEFAULT_ACTOR) -> int:
        """Comment on an issue as `author`; returns the comment id."""
        return self._comments.create(repo, number, body, author).id

    def edit_comment(self, repo: str, comment_id: int, body: str) -> None:
        """Replace a comment's body."""
        self._comments.edit(repo, comment_id, body)

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a comment (as a person tidying up would)."""
        self._comments.delete(repo, comment_id)

    def hooks(self, repo: str) -> list[SimHook]:
        """A repository's registered webhooks."""
        return self._hooks.of_repo(repo)

    def create_project(self, title: str, fields: dict[str, str]) -> str:
        """A Projects v2 project with fields (name -> `NUMBER`/`TEXT`); returns its node id."""
        return self.projects.create(title, fields).id

    def add_to_project(self, project_id: str, repo: str, number: int) -> str:
        """Add an issue to a project; returns the item id."""
        return self.projects.add_item(project_id, repo, number).id

    def project_value(self, project_id: str, repo: str, number: int, field: str) -> float | str | None:
        """A field's value on an issue's project item."""
        return self.projects.value(project_id, repo, number, field)

    def register_app(self, app_id: int, public_key_pem: str, installation_id: int, repos: list[str]) -> None:
        """Register a GitHub App (its public key) installed on `repos`.

        Sends `installation.created` for a new installation, else `installation_repositories.added`/
        `.removed` for the repositories that joined or left it (to targets set by tests: an app's
        own webhook, not a repository hook)."""
        before = self.credentials.register_app(app_id, public_key_pem, installation_id, repos)
        covered = [self.state.create_repo(repo) for repo in repos]
        for repo in covered:
            repo.installation_id = installation_id
        owner = repos[0].partition("/")[0] if repos else "octocat"
        installation = self.state.renderer.installation(installation_id, app_id, owner)
        payloads = self.state.payloads
        if before is None:
            self.state.emit(
                "installation", None, lambda: payloads.installation("created", installation, covered, owner)
            )
            return
        names = {repo.full_name.lower() for repo in covered}
        added = [repo for repo in covered if repo.full_name.lower() not in before]
        removed = [self.state.repo(name) for name in before if name not in names]
        event = "installation_repositories"
        if added:
            self.state.emit(event, None, lambda: payloads.installation_repositories(installation, added, [], owner))
        if removed:
            self.state.emit(event, None, lambda: payloads.installation_repositories(installation, [], removed, owner))

    # -- webhooks and the request log ------------------------------------------------------------

    def add_webhook_target(
        self, url: str, secret: str | None = None, *, events: list[str] | None = None, repos: list[str] | None = None
    ) -> WebhookTarget:
        """Send every change (or these events/repos) to `url`, signed with `secret`."""
        return self.webhooks.add_target(url, secret, events=events, repos=repos)

    def drop_deliveries(self, count: int = 1) -> None:
        """Lose the next `count` webhook deliveries."""
        self.webhooks.drop_next(count)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until queued deliveries are sent; False on timeout."""
        return self.webhooks.wait_idle(timeout)

    @property
    def deliveries(self) -> list[Delivery]:
        """Webhook deliveries so far (sent, failed or dropped)."""
        return list(self.webhooks.deliveries)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, in arrival order."""
        return self._log.entries()

    def clear_requests(self) -> None:
        """Forget the request log (to count what comes next)."""
        self._log.clear()
