"""`syncd webhooks install` for Jira: the admin webhook (`check --online` is `adapters.jira.online`).

One admin webhook per source, found by its URL (`{public_url}/webhooks/{source}`): created when missing,
updated when its events, JQL filter or secret drifted, left alone otherwise (idempotent). Its JQL filter is
the source's project filter, so Jira sends nothing about other projects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.jira.client import JiraClient
from adapters.jira.config import JiraSourceConfig
from adapters.jira.webhook import ISSUE_EVENTS
from syncd.ports import WebhookAction

FILTER_SECTION = "issue-related-events-section"


def webhook_url(public_url: str, source: str) -> str:
    """Where the source's deliveries go."""
    return f"{public_url.rstrip('/')}/webhooks/{source}"


def project_filter(config: JiraSourceConfig) -> str:
    """`project in ("ENG", "OPS")`, the source's projects as JQL."""
    return "project in (" + ", ".join(f'"{key}"' for key in config.projects) + ")"


def wanted_hook(config: JiraSourceConfig, url: str) -> dict[str, Any]:
    """The admin webhook the source needs."""
    hook: dict[str, Any] = {
        "name": f"syncd {config.name}",
        "url": url,
        "events": sorted(ISSUE_EVENTS),
        "filters": {FILTER_SECTION: project_filter(config)},
        "excludeBody": False,
    }
    if config.webhook_secret is not None:
        hook["secret"] = config.webhook_secret.get_secret_value()
    return hook


def hook_differences(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """Which settings of an existing hook differ (a secret Jira does not show back counts as unchanged)."""
    differ = [key for key in ("events", "filters", "excludeBody") if _norm(found.get(key)) != _norm(wanted[key])]
    if "secret" in found and found.get("secret") != wanted.get("secret"):
        differ.append("secret")
    if found.get("enabled") is False:
        differ.append("enabled")
    return differ


def _norm(value: object) -> object:
    return sorted(value) if isinstance(value, list) else value


class JiraAdmin:
    """The admin tasks of one source."""

    def __init__(self, config: JiraSourceConfig, client: JiraClient) -> None:
        self.config = config
        self.client = client

    def install(self, public_url: str, dry_run: bool) -> list[WebhookAction]:
        """Create or repair the source's admin webhook (one action, on the site)."""
        url = webhook_url(public_url, self.config.name)
        wanted = wanted_hook(self.config, url)
        target = self.config.site
        found = next((hook for hook in self.client.admin_webhooks() if hook.get("url") == url), None)
        if found is None:
            if not dry_run:
                self.client.create_admin_webhook(wanted)
            return [WebhookAction(self.config.name, target, "create", url)]
        differ = hook_differences(found, wanted)
        if not differ:
            return [WebhookAction(self.config.name, target, "unchanged", url)]
        if not dry_run:
            self.client.update_admin_webhook(str(found.get("self", "")).rstrip("/").rpartition("/")[2], wanted)
        return [WebhookAction(self.config.name, target, "update", f"{url} ({', '.join(differ)})")]
