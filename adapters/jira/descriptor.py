"""`kind: jira` as syncd sees it: config model, adapter, comments rendered as ADF (sent as wiki markup to Data
Center), `/browse/KEY-12` links, signed webhooks, its sandbox part."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.descriptor import SandboxPart, TaskLinks, TrackerDescriptor, WebhookAuth
from adapters.jira.config import JiraSourceConfig
from adapters.jira.normalize import snapshot_from_issue
from adapters.jira.render import JIRA_ADF
from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.ports import RequestObserver, SourceAdapter


def build_adapter(config: SourceConfig, observer: RequestObserver) -> SourceAdapter:
    """The Jira adapter of one source (httpx clients are built only now)."""
    from adapters.jira.adapter import build_adapter as build

    if not isinstance(config, JiraSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not jira")
    return build(config, observer)


def read_task(config: SourceConfig, issue: Mapping[str, Any]) -> TaskSnapshot:
    """An issue as `GET /issue/{key}` serves it, as the adapter reads it (points from `points_field`, which the
    adapter would otherwise look up by name through `GET /field`)."""
    if not isinstance(config, JiraSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not jira")
    return snapshot_from_issue(config, issue, points_field=config.points_field)


def _key(found: re.Match[str]) -> str:
    return found.group(1).upper()


JIRA = TrackerDescriptor(
    kind="jira",
    title="Jira",
    source_model=JiraSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=JIRA_ADF,
    task_links=TaskLinks(
        # `/browse/ENG-12` (Cloud and Data Center), the REST issue (`/rest/api/3/issue/ENG-12`), the simulator's page.
        url_paths=(
            re.compile(r"/browse/([A-Za-z][A-Za-z0-9_]*-\d+)/?$"),
            re.compile(r"/rest/api/\d+/issue/([A-Za-z][A-Za-z0-9_]*-\d+)/?$"),
        ),
        external_id=_key,
        ref=re.compile(r"[A-Z][A-Z0-9_]*-\d+"),
        ref_form="PROJECT-NUMBER",
        ref_example="ENG-12",
        described="a Jira issue (https://SITE/browse/ENG-12)",
        simulator_page="http://127.0.0.1:PORT/browse/KEY-N",
    ),
    webhooks=WebhookAuth(
        signing_field="webhook_secret",
        signature_header="X-Hub-Signature",
        unsigned_fix=(
            "set webhook_secret: ${JIRA_WEBHOOK_SECRET} and give the admin webhook the same secret "
            "(Jira: Settings > System > WebHooks)"
        ),
    ),
    contract_simulator="syncd.simulators.jira.contract:contract_tracker",
    simulator="syncd.simulators.jira:JiraSimulator",
    sandbox=SandboxPart("syncd.simulators.jira.sandbox:sandbox_tracker", read_task=read_task),
    scope_keys=("projects", "jql"),
)
