"""`syncd check --online` for Jira: one probe per thing a source needs, each with the advice that fixes it.

In order: the flavour (`serverInfo`: Cloud or Data Center / Server, and whether the credentials suit it),
who the token is (`/myself`), each project readable (`/project/{key}`), the number fields (they exist by
id or name, hold numbers, and `progress_field` is on the edit screen of a sample issue, `/editmeta`), and
the admin webhook (present, pointing at `{public_url}/webhooks/{source}`, its events and filter intact).
A probe that cannot run says why instead of failing the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.jira.admin import hook_differences, wanted_hook, webhook_url
from adapters.jira.client import JiraClient
from adapters.jira.config import JiraSourceConfig
from adapters.jira.fields import field_schema, is_number_field, resolve_fields
from adapters.jira.flavour import Deployment
from syncd.core.errors import NotFound, TrackerError
from syncd.ports import OnlineCheck

SITE_FIX = "check base_url: the site's address (https://acme.atlassian.net, or the server's base URL)"
TOKEN_FIX = "check email and token (Cloud: an API token of that account; Data Center: a personal access token)"  # noqa: S105 - advice, not a credential
PROJECT_FIX = "check the key (Project settings > Details) and give the account the Browse projects permission"
SCREEN_FIX = "add the field to the edit screen of the project's issue types (Project settings > Screens)"
HOOK_FIX = "run `syncd webhooks install` with an administrator's token (or Settings > System > WebHooks)"


class OnlineProbes:
    """The probes of one source (see the module docstring)."""

    def __init__(self, config: JiraSourceConfig, client: JiraClient, search_one: Callable[[], str | None]) -> None:
        self.config = config
        self.client = client
        self._search_one = search_one

    def run(self, public_url: str | None) -> list[OnlineCheck]:
        """Every probe; after a failed flavour or credentials probe nothing else can answer, so the run stops."""
        first = [self._flavour()]
        if first[0].ok:
            first.append(self._credentials())
        if not all(check.ok for check in first):
            return first
        checks = first + [self._project(key) for key in self.config.projects]
        return checks + self._fields() + [self._webhook(public_url)]

    def _check(self, check: str, ok: bool, detail: str, fix: str = "") -> OnlineCheck:
        return OnlineCheck(self.config.name, check, ok, detail, "" if ok else fix)

    # -- the site and the account ------------------------------------------------------------------
    def _flavour(self) -> OnlineCheck:
        try:
            found = self.client.deployment()
        except TrackerError as error:
            fix = TOKEN_FIX if error.status in (401, 403) else SITE_FIX
            return self._check("flavour", False, f"GET /rest/api/2/serverInfo failed: {error}", fix)
        if found.cloud and not self.config.email:
            detail = f"{found.title}, but no email is configured: Cloud API tokens are sent with their account's email"
            return self._check("flavour", False, detail, "set email: to the account the API token belongs to")
        return self._check("flavour", True, f"{found.title}: {_dialect(found)}")

    def _credentials(self) -> OnlineCheck:
        try:
            me = self.client.myself()
        except TrackerError as error:
            return self._check("credentials", False, str(error), TOKEN_FIX)
        who = str(me.get("emailAddress") or me.get("displayName") or me.get("accountId") or me.get("name") or "?")
        zone = me.get("timeZone") or "UTC"
        return self._check("credentials", True, f"authenticated as {who} (JQL dates in {zone})")

    def _project(self, key: str) -> OnlineCheck:
        try:
            found = self.client.project(key)
        except NotFound:
            return self._check(
                f"project {key}", False, f"{key} does not exist or the account cannot browse it", PROJECT_FIX
            )
        except TrackerError as error:
            return self._check(f"project {key}", False, str(error), PROJECT_FIX)
        return self._check(f"project {key}", True, f"{key} ({found.get('name') or key}) is readable")

    # -- the number fields -------------------------------------------------------------------------
    def _fields(self) -> list[OnlineCheck]:
        try:
            fields = self.client.fields()
            ids = resolve_fields(fields, self.config.points_field, self.config.progress_field)
        except TrackerError as error:
            return [self._check("fields", False, str(error), "name a number field by its id or exact name")]
        checks: list[OnlineCheck] = []
        if ids.points is None:
            detail = "no Story Points field on the site: tasks weigh default_points when a KR weighs by points"
            checks.append(self._check("points_field", True, detail))
        else:
            checks.append(self._number("points_field", fields, ids.points))
        if ids.progress is not None:
            number = self._number("progress_field", fields, ids.progress)
            checks += [number, self._on_screen(ids.progress)] if number.ok else [number]
        return checks

    def _number(self, role: str, fields: Sequence[Mapping[str, Any]], field_id: str) -> OnlineCheck:
        entry = field_schema(fields, field_id)
        if entry is None:
            return self._check(
                role, False, f"{field_id} does not exist on this site", f"point {role} at a number field"
            )
        name = entry.get("name") or field_id
        if not is_number_field(entry):
            detail = f"{field_id} ({name}) is not a number field"
            return self._check(role, False, detail, f"point {role} at a number custom field (GET /field lists them)")
        return self._check(role, True, f"{field_id} ({name}) is a number field")

    def _on_screen(self, field_id: str) -> OnlineCheck:
        try:
            sample = self._search_one()
            if sample is None:
                return self._check("progress_field screen", True, "not checked: the projects have no issue yet")
            meta = self.client.edit_meta(sample)
        except TrackerError as error:
            return self._check("progress_field screen", False, str(error), SCREEN_FIX)
        if field_id in meta:
            return self._check("progress_field screen", True, f"{field_id} is on {sample}'s edit screen")
        detail = f"{field_id} is not on {sample}'s edit screen: Jira refuses to set it"
        return self._check("progress_field screen", False, detail, SCREEN_FIX)

    # -- the admin webhook -------------------------------------------------------------------------
    def _webhook(self, public_url: str | None) -> OnlineCheck:
        if public_url is None:
            return self._check("webhook", True, "not checked: server.public_url is unset (polling only)")
        url = webhook_url(public_url, self.config.name)
        try:
            hooks = self.client.admin_webhooks()
        except TrackerError as error:
            return self._check("webhook", False, f"cannot list admin webhooks ({error})", HOOK_FIX)
        found = next((hook for hook in hooks if hook.get("url") == url), None)
        if found is None:
            named = [str(h.get("url")) for h in hooks if h.get("name") == f"syncd {self.config.name}"]
            elsewhere = f"; 'syncd {self.config.name}' points at {named[0]}" if named else ""
            return self._check("webhook", False, f"no admin webhook points at {url}{elsewhere}", HOOK_FIX)
        differ = hook_differences(found, wanted_hook(self.config, url))
        if differ:
            return self._check("webhook", False, f"the webhook at {url} differs: {', '.join(differ)}", HOOK_FIX)
        return self._check("webhook", True, f"an admin webhook points at {url}")


def _dialect(found: Deployment) -> str:
    if found.cloud:
        return "REST v3, comments in Atlassian Document Format"
    return "REST v2, comments in wiki markup"
