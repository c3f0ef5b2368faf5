"""`syncd webhooks install` and `check --online` for GitLab: one project hook per project, the token, its scope,
and the progress custom field (found in each followed top-level group) when `progress_field` is set.

One hook per project, found by its URL (`{public_url}/webhooks/{source}`): created when missing, updated when
its events, secret token or signing token may have drifted, left alone otherwise (idempotent). GitLab never
shows a hook's tokens back (only `token_present`/`signing_token_present` on newer versions), so a hook whose
events are right is left alone unless it says a token is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.gitlab.client import HOOK_EVENTS, GitLabClient
from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.fields import ProgressFields
from syncd.core.errors import TrackerError
from syncd.ports import OnlineCheck, WebhookAction

#: Event switches a syncd hook leaves off (GitLab turns push events on by default).
OFF_EVENTS = ("push_events", "tag_push_events", "pipeline_events", "job_events", "wiki_page_events")
#: The access level (Reporter) a token needs to read issues and write notes.
REPORTER = 20


def webhook_url(public_url: str, source: str) -> str:
    """Where the source's deliveries go."""
    return f"{public_url.rstrip('/')}/webhooks/{source}"


def wanted_hook(config: GitLabSourceConfig, url: str) -> dict[str, Any]:
    """The project hook the source needs: issue, confidential issue, merge request and note events, its tokens."""
    hook: dict[str, Any] = {"url": url, "name": f"syncd {config.name}", "enable_ssl_verification": True}
    hook |= dict.fromkeys(HOOK_EVENTS, True) | dict.fromkeys(OFF_EVENTS, False)
    hook["merge_requests_events"] = config.include_merge_requests
    if config.webhook_secret is not None:
        hook["token"] = config.webhook_secret.get_secret_value()
    if config.webhook_signing_token is not None:
        hook["signing_token"] = config.webhook_signing_token.get_secret_value()
    return hook


def differences(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """Which settings of an existing hook differ (tokens GitLab does not show back count as unchanged)."""
    differ = [event for event in (*HOOK_EVENTS, *OFF_EVENTS) if bool(found.get(event)) != bool(wanted.get(event))]
    if "token" in wanted and found.get("token_present") is False:
        differ.append("token")
    if "signing_token" in wanted and found.get("signing_token_present") is False:
        differ.append("signing_token")
    if found.get("alert_status") == "disabled" or found.get("disabled_until"):
        differ.append("disabled")
    return differ


class GitLabAdmin:
    """The admin tasks of one source over its client."""

    def __init__(self, config: GitLabSourceConfig, client: GitLabClient, fields: ProgressFields | None = None) -> None:
        self.config = config
        self.client = client
        self.fields = fields or ProgressFields(config, client)

    def install(self, projects: Sequence[str], public_url: str, dry_run: bool) -> list[WebhookAction]:
        """Create or repair one hook per project."""
        url = webhook_url(public_url, self.config.name)
        wanted = wanted_hook(self.config, url)
        return [self._install_one(project, url, wanted, dry_run) for project in projects]

    def _install_one(self, project: str, url: str, wanted: dict[str, Any], dry_run: bool) -> WebhookAction:
        found = next((hook for hook in self.client.hooks(project) if hook.get("url") == url), None)
        if found is None:
            if not dry_run:
                self.client.create_hook(project, wanted)
            return WebhookAction(self.config.name, project, "create", url)
        differ = differences(found, wanted)
        if not differ:
            return WebhookAction(self.config.name, project, "unchanged", url)
        if not dry_run:
            self.client.edit_hook(project, int(found["id"]), wanted)
        return WebhookAction(self.config.name, project, "update", f"{url} ({', '.join(differ)})")

    def _check(self, check: str, probe: Callable[[], str], fix: str) -> OnlineCheck:
        try:
            return OnlineCheck(self.config.name, check, True, probe())
        except TrackerError as error:
            return OnlineCheck(self.config.name, check, False, str(error), fix)

    def check(self, projects: Sequence[str], public_url: str | None) -> list[OnlineCheck]:
        """The user, the token's scope, each project readable, each project's hook present, the progress field of
        each top-level group the projects lie in."""
        fix = "check base_url and token (a personal, project or group access token)"
        checks = [self._check("credentials", self._user, fix)]
        if not checks[0].ok:
            return checks
        checks.append(self._check("token scope", self._scope, "create a token with the api scope"))
        for project in projects:
            probe = functools.partial(self._project, project)
            checks.append(self._check(f"project {project}", probe, f"give the token Reporter access to {project}"))
            if public_url is not None:
                hook = functools.partial(self._hook, project, webhook_url(public_url, self.config.name))
                checks.append(self._check(f"webhook {project}", hook, "run `syncd webhooks install`"))
        if self.config.progress_field is not None:
            groups = {self.config.top_group(project).lower(): project for project in projects}
            fix = "fix progress_field, or create that number custom field in the top-level group (GitLab Premium)"
            for project in groups.values():
                probe = functools.partial(self._progress_field, project)
                checks.append(self._check(f"progress field {self.config.top_group(project)}", probe, fix))
        return checks

    def _progress_field(self, project: str) -> str:
        found = self.fields.for_project(project)
        return (
            f"{found.name!r} is number custom field {found.id} of group {found.group}, written 0-100 on issues "
            "(merge requests are not work items: they get none)"
        )

    def _user(self) -> str:
        return f"authenticated as {self.client.current_user().get('username', '?')}"

    def _scope(self) -> str:
        scopes = self.client.token_scopes()
        if "api" not in scopes:
            raise TrackerError(f"the token's scopes are {', '.join(scopes) or 'unknown'}; syncd writes notes: api")
        return f"the token has the api scope ({', '.join(scopes)})"

    def _project(self, project: str) -> str:
        permissions = self.client.project(project).get("permissions") or {}
        levels = [
            int((permissions.get(kind) or {}).get("access_level") or 0)
            for kind in ("project_access", "group_access")
            if isinstance(permissions, dict)
        ]
        level = max(levels, default=0)
        if permissions and level < REPORTER:
            raise TrackerError(f"{project}: readable, but the token's access level {level} cannot write notes")
        return f"{project}: readable" + (f" (access level {level})" if level else "")

    def _hook(self, project: str, url: str) -> str:
        hook = next((h for h in self.client.hooks(project) if h.get("url") == url), None)
        if hook is None:
            raise TrackerError(f"{project} has no webhook to {url}")
        differ = differences(hook, wanted_hook(self.config, url))
        if differ:
            raise TrackerError(f"{project}'s webhook to {url} differs: {', '.join(differ)}")
        return f"{project} delivers issue, merge request and note events to {url}"
