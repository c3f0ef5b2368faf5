"""`syncd check --online` and `syncd webhooks install` for a GitHub source."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from adapters.github.client import GitHubClient, JsonObject
from adapters.github.config import GitHubSourceConfig
from adapters.github.push import Pusher
from syncd.core.errors import TrackerError
from syncd.ports import OnlineCheck, WebhookAction

#: The events syncd's hooks subscribe to.
WEBHOOK_EVENTS = ("installation_repositories", "issue_comment", "issues", "label", "pull_request")


def webhook_url(public_url: str, source: str) -> str:
    """Where GitHub should deliver this source's webhooks."""
    return f"{public_url.rstrip('/')}/webhooks/{source}"


class OnlineChecks:
    """Checks and hook installation for one source, over its client."""

    def __init__(self, config: GitHubSourceConfig, client: GitHubClient, pusher: Pusher) -> None:
        self.config = config
        self.client = client
        self.pusher = pusher

    def _check(self, check: str, probe: Callable[[], str], fix: str) -> OnlineCheck:
        try:
            return OnlineCheck(self.config.name, check, True, probe())
        except TrackerError as error:
            return OnlineCheck(self.config.name, check, False, str(error), fix)

    def run(self, repos: Sequence[str], public_url: str | None) -> list[OnlineCheck]:
        """Every check, in the order an admin fixes them."""
        checks = [
            self._check("credentials", self._credentials, "set a valid token, or the app id, key and installation")
        ]
        for repo in repos:
            fix = f"give the token issues write access to {repo}"
            checks.append(self._check(f"repository {repo}", functools.partial(self._repository, repo), fix))
            if public_url is not None:
                probe = functools.partial(self._hook, repo, webhook_url(public_url, self.config.name))
                checks.append(self._check(f"webhook {repo}", probe, "run `syncd webhooks install`"))
        if self.config.project_field is not None:
            checks.append(self._check("project field", self._project_field, "fix project_field (project id, field)"))
        checks.append(self._check("rate limit", self._budget, "wait for the reset, or use a separate token"))
        return checks

    def _credentials(self) -> str:
        if self.config.app is not None:
            self.client.token()
            return f"app {self.config.app.app_id}: installation token minted"
        return f"authenticated as {self.client.login()}"

    def _repository(self, repo: str) -> str:
        permissions = self.client.repository_permissions(repo)
        if not (permissions.get("push") or permissions.get("triage") or permissions.get("admin")):
            raise TrackerError(f"{repo}: the credentials can read but not comment (permissions {permissions})")
        return f"{repo}: reachable, may comment"

    def _hook(self, repo: str, url: str) -> str:
        hook = next((h for h in self.client.hooks(repo) if h["url"] == url), None)
        if hook is None:
            raise TrackerError(f"{repo} has no webhook to {url}")
        if _differences(hook):
            raise TrackerError(f"{repo}'s webhook to {url} differs: {', '.join(_differences(hook))}")
        return f"{repo} delivers {', '.join(WEBHOOK_EVENTS)} to {url}"

    def _project_field(self) -> str:
        field_id, data_type = self.pusher.project_field()
        return f"field {field_id} ({data_type.lower()}) found"

    def _budget(self) -> str:
        if self.config.token is not None:
            self.client.login()
        budget = self.client.budget()
        if budget.remaining is not None and budget.remaining == 0:
            raise TrackerError(f"the rate-limit budget is spent until {budget.resets_at}")
        return f"{budget.remaining} of {budget.limit} requests left this hour"

    def install(self, repos: Sequence[str], public_url: str, dry_run: bool) -> list[WebhookAction]:
        """Create or update one hook per repository (matched by URL); nothing changes on a second run."""
        url = webhook_url(public_url, self.config.name)
        config = {"url": url, "content_type": "json", "insecure_ssl": "0"}
        if self.config.webhook_secret is not None:
            config["secret"] = self.config.webhook_secret.get_secret_value()
        return [self._install_one(repo, url, config, dry_run) for repo in repos]

    def _install_one(self, repo: str, url: str, config: dict[str, str], dry_run: bool) -> WebhookAction:
        hook = next((h for h in self.client.hooks(repo) if h["url"] == url), None)
        if hook is None:
            if not dry_run:
                self.client.create_hook(repo, config, list(WEBHOOK_EVENTS))
            return WebhookAction(self.config.name, repo, "create", url)
        differences = _differences(hook)
        if not differences:
            return WebhookAction(self.config.name, repo, "unchanged", url)
        if not dry_run:
            self.client.update_hook(repo, int(hook["id"]), config, list(WEBHOOK_EVENTS))
        return WebhookAction(self.config.name, repo, "update", f"{url} ({', '.join(differences)})")


def _differences(hook: JsonObject) -> list[str]:
    found = []
    if sorted(hook.get("events") or []) != sorted(WEBHOOK_EVENTS):
        found.append(f"events {sorted(hook.get('events') or [])}")
    if not hook.get("active"):
        found.append("inactive")
    if hook.get("content_type") != "json":
        found.append(f"content type {hook.get('content_type')}")
    return found
