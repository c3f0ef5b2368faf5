"""`kind: github` as syncd sees it: config model, adapter, Markdown comments, issue links, signed webhooks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.descriptor import SandboxPart, TaskLinks, TrackerDescriptor, WebhookAuth
from adapters.github.config import GitHubSourceConfig
from adapters.github.normalize import snapshot_from_issue
from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.core.render import MARKDOWN
from syncd.ports import RequestObserver, SourceAdapter


def build_adapter(config: SourceConfig, observer: RequestObserver) -> SourceAdapter:
    """The GitHub adapter of one source (PyGithub is imported only now)."""
    from adapters.github.adapter import build_adapter as build

    if not isinstance(config, GitHubSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not github")
    return build(config, observer)


def read_issue(config: SourceConfig, issue: Mapping[str, Any]) -> TaskSnapshot:
    """An issue or pull request as `GET /repos/{o}/{r}/issues/{n}` serves it, as the adapter reads it."""
    if not isinstance(config, GitHubSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not github")
    return snapshot_from_issue(config, issue)


def _issue_id(found: re.Match[str]) -> str:
    owner, repo, number = found.groups()
    return f"{owner}/{repo}#{number}"


GITHUB = TrackerDescriptor(
    kind="github",
    title="GitHub",
    source_model=GitHubSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=MARKDOWN,
    task_links=TaskLinks(
        # An issue or pull request page: github.com, GHES, the API (`/repos/...`), the simulator (`/_sim/repos/...`).
        url_paths=(re.compile(r"^/(?:[^/]+/)*?([^/]+)/([^/]+)/(?:issues|pull|pulls)/(\d+)(?:/.*)?$"),),
        external_id=_issue_id,
        ref=re.compile(r"[^\s/#:]+/[^\s/#:]+#\d+"),
        ref_form="OWNER/REPO#NUMBER",
        ref_example="acme/web#12",
        described="a GitHub issue or pull request (https://github.com/OWNER/REPO/issues/N, .../pull/N)",
        simulator_page="http://127.0.0.1:PORT/_sim/repos/OWNER/REPO/issues/N",
    ),
    webhooks=WebhookAuth(
        signing_field="webhook_secret",
        signature_header="X-Hub-Signature-256",
        unsigned_fix=(
            "set webhook_secret: ${GITHUB_WEBHOOK_SECRET} (the secret of the hook), then `syncd webhooks install`"
        ),
    ),
    contract_simulator="syncd.simulators.github.contract:contract_tracker",
    simulator="syncd.simulators.github:GitHubSimulator",
    sandbox=SandboxPart("syncd.simulators.github.sandbox:sandbox_tracker", read_task=read_issue),
    scope_keys=("repos", "org"),
    container_word="repo",
)
