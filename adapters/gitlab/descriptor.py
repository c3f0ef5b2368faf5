"""`kind: gitlab` as syncd sees it: config model, adapter, Markdown notes, `/-/issues/12` and
`/-/merge_requests/3` links, token and signed webhooks, its simulator and sandbox part."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.descriptor import SandboxPart, TaskLinks, TrackerDescriptor, WebhookAuth
from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.normalize import ISSUE, MERGE_REQUEST, external_id, project_of, snapshot_from_item
from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.core.render import MARKDOWN
from syncd.ports import RequestObserver, SourceAdapter


def build_adapter(config: SourceConfig, observer: RequestObserver) -> SourceAdapter:
    """The GitLab adapter of one source (python-gitlab is imported only now)."""
    from adapters.gitlab.adapter import build_adapter as build

    if not isinstance(config, GitLabSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not gitlab")
    return build(config, observer)


def read_task(config: SourceConfig, item: Mapping[str, Any]) -> TaskSnapshot:
    """An issue or merge request as `GET /projects/:id/issues/:iid` (or `merge_requests`) serves it."""
    if not isinstance(config, GitLabSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not gitlab")
    references = item.get("references")
    full = str(references.get("full", "")) if isinstance(references, Mapping) else ""
    return snapshot_from_item(config, item, MERGE_REQUEST if "!" in full else ISSUE, project_of(item))


def _task_id(found: re.Match[str]) -> str:
    kind = ISSUE if found["kind"] == "issues" else MERGE_REQUEST
    return external_id(found["project"], kind, int(found["iid"]))


GITLAB = TrackerDescriptor(
    kind="gitlab",
    title="GitLab",
    source_model=GitLabSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=MARKDOWN,
    task_links=TaskLinks(
        # `/acme/web/-/issues/12`, `/acme/platform/api/-/merge_requests/3` (older pages: without `/-`).
        url_paths=(
            re.compile(r"^/(?P<project>[^-][^?#]*?)/(?:-/)?(?P<kind>issues|merge_requests)/(?P<iid>\d+)(?:/.*)?$"),
        ),
        external_id=_task_id,
        ref=re.compile(r"[^\s#!:]+/[^\s#!:]+[#!]\d+"),
        ref_form="GROUP/PROJECT#IID or GROUP/PROJECT!IID",
        ref_example="acme/web#12",
        described="a GitLab issue or merge request (https://gitlab.com/GROUP/PROJECT/-/issues/N, .../-/merge_requests/N)",
        simulator_page="http://127.0.0.1:PORT/GROUP/PROJECT/-/issues/N",
    ),
    webhooks=WebhookAuth(
        signing_field="webhook_secret",
        # Either verifies a delivery on its own: the secret token (X-Gitlab-Token) or the signing token.
        other_signing_fields=("webhook_signing_token",),
        signature_header="X-Gitlab-Token",
        unsigned_fix=(
            "set webhook_secret: ${GITLAB_WEBHOOK_SECRET} (the hook's secret token) and, on GitLab 19.1+, "
            "webhook_signing_token: ${GITLAB_WEBHOOK_SIGNING_TOKEN}, then `syncd webhooks install`"
        ),
    ),
    contract_simulator="syncd.simulators.gitlab.contract:contract_tracker",
    simulator="syncd.simulators.gitlab:GitLabSimulator",
    sandbox=SandboxPart("syncd.simulators.gitlab.sandbox:sandbox_tracker", read_task=read_task),
    scope_keys=("projects", "group"),
    container_word="project",
)
