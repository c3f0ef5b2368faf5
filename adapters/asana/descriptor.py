"""`kind: asana` as syncd sees it: config model, adapter, rich-text comments, task links, handshake webhooks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.asana.config import AsanaSourceConfig
from adapters.asana.normalize import TaskRules, snapshot
from adapters.asana.render import ASANA_RICH_TEXT
from adapters.descriptor import SandboxPart, TaskLinks, TrackerDescriptor, WebhookAuth
from syncd.config.source import SourceConfig
from syncd.core.model import TaskSnapshot
from syncd.ports import RequestObserver, SourceAdapter


def build_adapter(config: SourceConfig, observer: RequestObserver) -> SourceAdapter:
    """The Asana adapter of one source (the asana SDK is imported only now)."""
    from adapters.asana.adapter import build_adapter as build

    if not isinstance(config, AsanaSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not asana")
    return build(config, observer)


def read_task(config: SourceConfig, task: Mapping[str, Any]) -> TaskSnapshot:
    """A task as `GET /tasks/{gid}` serves it, as the adapter reads it (over the source's own projects)."""
    if not isinstance(config, AsanaSourceConfig):
        raise TypeError(f"source {config.name!r} is kind {config.kind}, not asana")
    return snapshot(task, TaskRules.from_config(config, config.projects))


def _gid(found: re.Match[str]) -> str:
    return found.group(1)


ASANA = TrackerDescriptor(
    kind="asana",
    title="Asana",
    source_model=AsanaSourceConfig,
    build_adapter=build_adapter,
    comment_renderer=ASANA_RICH_TEXT,
    task_links=TaskLinks(
        # `/0/<project>/<gid>[/f]`, `/1/<workspace>/.../task/<gid>`, the simulator's `/_sim/tasks/<gid>`.
        url_paths=(
            re.compile(r"^/0/[^/]+/(\d+)(?:/f)?$"),
            re.compile(r"/task/(\d+)(?:/.*)?$"),
            re.compile(r"^/_sim/tasks/(\d+)$"),
        ),
        external_id=_gid,
        ref=re.compile(r"\d+"),
        ref_form="TASK_GID",
        ref_example="1200000000000001",
        described="an Asana task (https://app.asana.com/0/PROJECT/GID)",
        simulator_page="http://127.0.0.1:PORT/_sim/tasks/GID",
    ),
    # Asana hands each webhook's secret over in a handshake (`X-Hook-Secret`) and signs with it.
    # Asana counts a delivery as made only when answered 200 or 204, and retries any other answer.
    webhooks=WebhookAuth(handshake=True, signature_header="X-Hook-Signature", accepted_status=200),
    contract_simulator="syncd.simulators.asana.contract:contract_tracker",
    simulator="syncd.simulators.asana:AsanaSimulator",
    sandbox=SandboxPart("syncd.simulators.asana.sandbox:sandbox_tracker", read_task=read_task),
    scope_keys=("workspace", "projects", "team"),
    container_word="project",
)
