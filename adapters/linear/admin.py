"""`syncd webhooks install` and `check --online` for Linear: one webhook per followed team, the token, the teams.

A team's webhook is syncd's when it points at `{public_url}/webhooks/{source}`: created when missing
(`webhookCreate` with the team, the resource types and the secret), repaired when disabled or its resource
types or secret drifted (`webhookUpdate`), left alone otherwise, so running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.linear.client import LinearClient
from adapters.linear.config import LinearSourceConfig
from syncd.core.errors import Permanent, TrackerError
from syncd.ports import OnlineCheck, WebhookAction

#: What syncd's team webhooks send: issue changes and label changes (a rename re-matches issues).
RESOURCE_TYPES = ("Issue", "IssueLabel")
MAX_PAGES = 100


def webhook_url(public_url: str, source: str) -> str:
    """Where the source's deliveries go."""
    return f"{public_url.rstrip('/')}/webhooks/{source}"


class LinearAdmin:
    """The admin tasks of one source."""

    def __init__(self, config: LinearSourceConfig, client: LinearClient) -> None:
        self.config = config
        self.client = client

    def teams(self) -> dict[str, str]:
        """Team key -> id of the followed teams the token can read."""
        answer = self.client.query("teams", {"keys": list(self.config.teams)})
        nodes = (answer.get("teams") or {}).get("nodes") or []
        return {str(n["key"]): str(n["id"]) for n in nodes if isinstance(n, dict) and "key" in n and "id" in n}

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook of the workspace the token can see."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = self.client.query("webhooks", {"after": after}).get("webhooks") or {}
            found += [n for n in page.get("nodes") or () if isinstance(n, dict)]
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                break
            after = str(info["endCursor"])
        return found

    def install(self, public_url: str, dry_run: bool) -> list[WebhookAction]:
        """Create or repair one webhook per followed team."""
        url = webhook_url(public_url, self.config.name)
        teams = self.teams()
        missing = [key for key in self.config.teams if key not in teams]
        if missing:
            raise Permanent(f"source {self.config.name}: the token cannot read team(s) {', '.join(missing)}")
        ours = {_team(hook): hook for hook in self.webhooks() if hook.get("url") == url}
        return [self._one(key, teams[key], url, ours.get(key), dry_run) for key in self.config.teams]

    def _one(self, key: str, team_id: str, url: str, found: Mapping[str, Any] | None, dry_run: bool) -> WebhookAction:
        secret = self.config.webhook_secret.get_secret_value() if self.config.webhook_secret else None
        if found is None:
            if not dry_run:
                made = {
                    "url": url,
                    "teamId": team_id,
                    "resourceTypes": list(RESOURCE_TYPES),
                    "label": f"syncd {self.config.name}",
                }
                self.client.query(
                    "webhook_create", {"input": made | ({"secret": secret} if secret else {})}, idempotent=False
                )
            return WebhookAction(self.config.name, key, "create", url)
        differ = _differences(found, secret)
        if not differ:
            return WebhookAction(self.config.name, key, "unchanged", url)
        if not dry_run:
            repair: dict[str, Any] = {"enabled": True, "resourceTypes": list(RESOURCE_TYPES)}
            if secret:
                repair["secret"] = secret
            self.client.query("webhook_update", {"id": str(found["id"]), "input": repair})
        return WebhookAction(self.config.name, key, "update", f"{url} ({', '.join(differ)})")

    def check(self, public_url: str | None) -> list[OnlineCheck]:
        """Who the token is, whether every team is readable, and whether each has syncd's webhook."""
        name = self.config.name
        try:
            me = self.client.query("viewer").get("viewer") or {}
        except TrackerError as error:
            return [
                OnlineCheck(name, "credentials", False, str(error), "check base_url and token (lin_api_... or OAuth)")
            ]
        checks = [
            OnlineCheck(name, "credentials", True, f"authenticated as {me.get('email') or me.get('name') or '?'}")
        ]
        try:
            teams = self.teams()
        except TrackerError as error:
            return [*checks, OnlineCheck(name, "teams", False, str(error), "give the token's user access to the teams")]
        missing = [key for key in self.config.teams if key not in teams]
        checks.append(
            OnlineCheck(name, "teams", not missing, f"cannot read {', '.join(missing)}" if missing else
                        f"reads {', '.join(self.config.teams)}", "check the team keys and the user's team access" if missing else "")
        )  # fmt: skip
        if public_url:
            checks.append(self._webhook_check(public_url, teams))
        budgets = self.client.budgets()
        if budgets.complexity is not None and budgets.complexity.remaining is not None:
            left = f"{budgets.complexity.remaining} of {budgets.complexity.limit} complexity points left"
            checks.append(OnlineCheck(name, "rate limit", True, left))
        return checks

    def _webhook_check(self, public_url: str, teams: Mapping[str, str]) -> OnlineCheck:
        url = webhook_url(public_url, self.config.name)
        try:
            hooked = {_team(h) for h in self.webhooks() if h.get("url") == url and h.get("enabled") is not False}
        except TrackerError as error:
            return OnlineCheck(self.config.name, "webhooks", False, str(error), "an admin's token can list webhooks")
        lacking = [key for key in teams if key not in hooked]
        if lacking:
            fix = "run `syncd webhooks install` (or add a team webhook for Issue and IssueLabel with the secret)"
            return OnlineCheck(
                self.config.name, "webhooks", False, f"no webhook to {url} for {', '.join(lacking)}", fix
            )
        return OnlineCheck(self.config.name, "webhooks", True, f"every team posts to {url}")


def _team(hook: Mapping[str, Any]) -> str | None:
    team = hook.get("team")
    key = team.get("key") if isinstance(team, Mapping) else None
    return key if isinstance(key, str) else None


def _differences(found: Mapping[str, Any], secret: str | None) -> list[str]:
    differ = []
    if found.get("enabled") is False:
        differ.append("enabled")
    if sorted(found.get("resourceTypes") or ()) != sorted(RESOURCE_TYPES):
        differ.append("resourceTypes")
    if secret is not None and "secret" in found and found.get("secret") != secret:
        differ.append("secret")
    return differ
