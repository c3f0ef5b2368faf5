"""Every request the adapter makes matches an operation of Asana's OpenAPI description (vendor data).

Every adapter test already checks its own traffic (see conftest.py); this module runs one scenario
through every adapter operation, shows which operations it used, and proves the check can fail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.render import ASANA_RICH_TEXT
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.asana import AsanaSimulator, LoggedRequest
from tests.support.asana_openapi import AsanaSpec, batch_action_request, load_spec, with_spec_quirks
from tests.support.asana_sim import SOURCE, AsanaWorld, MakeAdapter, WebhookReceiver

GID = re.compile(r"/\d+")


@pytest.fixture(scope="module")
def spec(vendor_data: Path) -> AsanaSpec:
    """Asana's OpenAPI description (skipped with a reason when the vendor data is absent)."""
    return load_spec(vendor_data)


def operation(method: str, path: str) -> str:
    """`GET /tasks/{gid}` from `GET /tasks/1205...`."""
    return method + " " + GID.sub("/{gid}", path)


def operations(requests: list[LoggedRequest]) -> set[str]:
    """Every operation used, batch actions included."""
    used = {operation(r.method, r.path) for r in requests}
    for entry in requests:
        if entry.path == "/batch":
            for action in entry.body["data"]["actions"]:
                method, path, _, _ = batch_action_request(action)
                used.add(f"batch {operation(method, path)}")
    return used


def run_everything(sim: AsanaSimulator, world: AsanaWorld, adapter: AsanaAdapter, receiver: WebhookReceiver) -> None:
    """Backfill, poll, fetch (with subtasks), push every kind, check online, install webhooks."""
    now = datetime.now(UTC)
    parent = sim.create_task("Epic", project=world.web, tags=["kr:ENG-1.1"])
    child = sim.create_task("Part", parent=parent.gid)
    first = adapter.poll(None, world.web, now)
    sim.complete_task(parent.gid)
    adapter.poll(first.bookmark, world.web, now)
    adapter.fetch([child.gid, "404404"])
    sim.expire_sync_tokens()
    adapter.poll(first.bookmark, world.web, now)
    ref = TaskRef(SOURCE, parent.gid)
    mark = ASANA_RICH_TEXT.marker(ref)
    made = adapter.apply(ref, PushWrite(WriteKind.COMMENT, parent.gid, text=f"<body>50% {mark}</body>"))
    adapter.apply(
        ref, PushWrite(WriteKind.COMMENT, parent.gid, text=f"<body>60% {mark}</body>", remote_id=made.remote_id)
    )
    adapter.apply(ref, PushWrite(WriteKind.COMMENT, parent.gid, text=f"<body>70% {mark}</body>"))
    adapter.apply(ref, PushWrite(WriteKind.FIELD, parent.gid, number=0.5))
    adapter.apply(None, PushWrite(WriteKind.GOAL, "ENG-1.1", number=0.5))
    adapter.install_webhooks(receiver.url, dry_run=False, handshakes=receiver)
    adapter.check_online(receiver.url)


class TestConformance:
    """The adapter speaks Asana's API as Asana describes it."""

    def test_every_operation_the_adapter_uses_is_in_the_description(
        self,
        spec: AsanaSpec,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        make_asana_adapter: MakeAdapter,
    ) -> None:
        """A scenario through every operation: no request strays from the description."""
        adapter = make_asana_adapter(include_subtasks=True, team=asana_world.team, projects=[asana_world.web])
        receiver = WebhookReceiver(adapter)
        receiver.start()
        try:
            run_everything(asana_sim, asana_world, adapter, receiver)
        finally:
            receiver.stop()
        assert spec.problems(asana_sim.requests) == []
        assert operations(asana_sim.requests) >= {
            "GET /users/me",
            "GET /teams/{gid}/projects",
            "GET /projects/{gid}",
            "GET /projects/{gid}/tasks",
            "GET /projects/{gid}/custom_field_settings",
            "GET /events",
            "POST /batch",
            "batch GET /tasks/{gid}",
            "batch GET /tasks/{gid}/subtasks",
            "GET /tasks/{gid}/stories",
            "POST /tasks/{gid}/stories",
            "PUT /stories/{gid}",
            "PUT /tasks/{gid}",
            "GET /goals/{gid}",
            "POST /goals/{gid}/setMetricCurrentValue",
            "GET /webhooks",
            "POST /webhooks",
        }

    def test_the_check_catches_a_misspelt_field_and_an_unknown_path(self, spec: AsanaSpec) -> None:
        """opt_fields are enumerated in the description, so a typo is a finding; so is a made-up path."""
        typo = LoggedRequest(0.0, "GET", "/tasks/1", (("opt_fields", "name,completd"),), None, 200)
        unknown = LoggedRequest(0.0, "GET", "/tasks/1/progress", (), None, 200)
        problems = spec.problems([typo, unknown])
        assert len(problems) == 2
        assert "completd" in problems[0]

    def test_numeric_custom_field_values_need_the_documented_quirk(self, spec: AsanaSpec) -> None:
        """The description types custom-field values as strings; the API takes numbers. Raw, a number is
        a finding; with the quirk applied it passes, and the request itself still carries a number."""
        body = {"data": {"custom_fields": {"1205": 0.25}}}
        assert spec.check("PUT", "/tasks/1", {}, body, quirks=False) != []
        assert spec.check("PUT", "/tasks/1", {}, body) == []
        assert with_spec_quirks("PUT", "/tasks/1", body) == {"data": {"custom_fields": {"1205": "0.25"}}}
        assert body["data"]["custom_fields"]["1205"] == 0.25
        nested = {"data": {"custom_fields": {"1205": {"nested": 1}}}}
        assert spec.check("PUT", "/tasks/1", {}, nested) != [], "a value neither string nor number stays a finding"
