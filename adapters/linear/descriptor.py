"""`kind: linear` as syncd sees it: config model, adapter, Markdown comments, `linear.app/<org>/issue/ENG-12`
links, `Linear-Signature` webhooks, its simulator and sandbox part."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.descriptor import SandboxPart, TaskLinks, TrackerDescriptor, WebhookAuth
from adapters.linear.config import LinearSourceConfig
from adapters.linear.normalize import snapshot_from_issue
from adapters.linear.render import LINEAR_MARKDOWN
from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.ports import RequestObserver, SourceAdapter


def build_adapter(config: SourceConfig, observer: RequestObserver) -> SourceAdapter:
    """The Linear adapter of one source (its httpx client is built only now)."""
    from adapters.linear.adapter import build_adapter as build

    if not isinstance(config, LinearSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not linear")
    return build(config, observer)


def read_task(config: SourceConfig, issue: Mapping[str, Any]) -> TaskSnapshot:
    """An issue as the GraphQL API serves it (`IssueFields`), as the adapter reads it."""
    if not isinstance(config, LinearSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not linear")
    return snapshot_from_issue(config, issue)


def _identifier(found: re.Match[str]) -> str:
    return found.group(1).upper()


LINEAR = TrackerDescriptor(
    kind="linear",
    title="Linear",
    source_model=LinearSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=LINEAR_MARKDOWN,
    task_links=TaskLinks(
        # `https://linear.app/acme/issue/ENG-123/some-slug` (the slug optional), and the simulator's page.
        url_paths=(re.compile(r"/issue/([A-Za-z][A-Za-z0-9]*-\d+)(?:/[^/]*)?/?$"),),
        external_id=_identifier,
        ref=re.compile(r"[A-Z][A-Z0-9]*-\d+"),
        ref_form="TEAM-NUMBER",
        ref_example="ENG-123",
        described="a Linear issue (https://linear.app/ORG/issue/ENG-123/...)",
        simulator_page="http://127.0.0.1:PORT/issue/KEY-N",
    ),
    webhooks=WebhookAuth(
        signing_field="webhook_secret",
        signature_header="Linear-Signature",
        unsigned_fix=(
            "set webhook_secret: ${LINEAR_WEBHOOK_SECRET} and run `syncd webhooks install`, or copy the signing "
            "secret Linear shows for the webhook (Settings > API > Webhooks) into that variable"
        ),
    ),
    contract_simulator="syncd.simulators.linear.contract:contract_tracker",
    simulator="syncd.simulators.linear:LinearSimulator",
    sandbox=SandboxPart("syncd.simulators.linear.sandbox:sandbox_tracker", read_task=read_task),
    scope_keys=("teams",),
    container_word="team",
)
