"""Webhooks end to end through the real SDK: install (handshake), signed deliveries verified, heartbeats
ignored, compact events interpreted and the tasks fetched; and `syncd check --online` lines."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.online import webhook_target
from syncd.core.errors import Permanent
from syncd.core.model import TaskState
from syncd.core.signatures import hmac_sha256_hex
from syncd.ports import DeliveryEffects
from syncd.simulators.asana import AsanaSimulator
from tests.support.asana_sim import SOURCE, AsanaWorld, MakeAdapter, WebhookReceiver


def installed(adapter: AsanaAdapter, receiver: WebhookReceiver) -> None:
    """Install our webhooks, pointing Asana at the running receiver."""
    actions = adapter.install_webhooks(receiver.url, dry_run=False, handshakes=receiver)
    assert [a.action for a in actions] == ["create", "create"]


def effects_of(adapter: AsanaAdapter, receiver: WebhookReceiver) -> list[DeliveryEffects]:
    """What each accepted delivery means."""
    return [adapter.interpret("events", body) for body in receiver.bodies()]


class TestInstallAndHandshake:
    """`syncd webhooks install` registers one webhook per project; the handshake secret is kept."""

    def test_install_handshakes_with_the_daemon_and_is_idempotent(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """Each project's handshake secret is kept by resource, bound to its webhook, whose target carries the
        install's nonce; a second install changes nothing."""
        installed(asana_adapter, asana_receiver)
        hooks = {h["resource"]["gid"]: h for h in asana_sim.webhooks()}
        assert set(asana_receiver.secrets) == {asana_world.web, asana_world.api}
        for project, hook in hooks.items():
            assert hook["target"].startswith(webhook_target(asana_receiver.url, SOURCE, project) + "&install=")
            assert asana_receiver.secrets[project] == asana_sim.webhook_secret(hook["gid"])
            assert asana_receiver.webhooks[project] == hook["gid"]
        again = asana_adapter.install_webhooks(asana_receiver.url, dry_run=False, handshakes=asana_receiver)
        assert [a.action for a in again] == ["unchanged", "unchanged"]
        assert len(asana_sim.webhooks()) == 2

    def test_a_dry_run_creates_nothing_and_explains_the_handshake(
        self, asana_sim: AsanaSimulator, asana_adapter: AsanaAdapter, asana_receiver: WebhookReceiver
    ) -> None:
        """It says the daemon must be running and reachable at the target."""
        actions = asana_adapter.install_webhooks(asana_receiver.url, dry_run=True)
        assert [a.action for a in actions] == ["create", "create"]
        assert "must be running and reachable" in actions[0].detail
        assert asana_sim.webhooks() == []

    def test_an_unreachable_daemon_fails_with_what_to_do(
        self, asana_sim: AsanaSimulator, asana_adapter: AsanaAdapter
    ) -> None:
        """The error names the URL and says to start `syncd run` first."""
        with pytest.raises(Permanent) as failed:
            asana_adapter.install_webhooks(
                "http://127.0.0.1:9", dry_run=False, handshakes=WebhookReceiver(asana_adapter)
            )
        message = str(failed.value)
        assert "`syncd run` must be running and reachable" in message
        assert "http://127.0.0.1:9/webhooks/acme-asana?resource=" in message
        assert asana_sim.webhooks() == []


class TestDeliveries:
    """Deliveries are verified with the handshake secret, then interpreted into fetches."""

    def test_a_compact_event_leads_to_a_fetch_of_the_task(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """Completing a tagged task: the delivery names it, the fetch returns it done."""
        task = asana_sim.create_task("Ship", project=asana_world.web, tags=["kr:ENG-1.1"])
        installed(asana_adapter, asana_receiver)
        asana_sim.complete_task(task.gid)
        assert asana_sim.deliver_webhooks() == 1
        [meaning] = effects_of(asana_adapter, asana_receiver)
        assert meaning.refetch == (task.gid,)
        [snap] = asana_adapter.fetch(meaning.refetch).snapshots
        assert (snap.state, snap.labels) == (TaskState.DONE, ("kr:ENG-1.1",))

    def test_section_moves_tags_and_deletions_are_interpreted(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """Moved and tagged tasks are fetched; a deleted task is removed, not fetched."""
        moved, tagged, deleted = (asana_sim.create_task(n, project=asana_world.web).gid for n in ("A", "B", "C"))
        installed(asana_adapter, asana_receiver)
        asana_sim.move_to_section(moved, asana_world.section(asana_world.web, "Doing"))
        asana_sim.add_tag(tagged, "kr:ENG-1.2")
        asana_sim.delete_task(deleted)
        asana_sim.deliver_webhooks()
        refetch = {gid for meaning in effects_of(asana_adapter, asana_receiver) for gid in meaning.refetch}
        removed = {gid for meaning in effects_of(asana_adapter, asana_receiver) for gid in meaning.removed}
        assert (refetch, removed) == ({moved, tagged}, {deleted})

    def test_unsigned_and_forged_deliveries_are_refused(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """No signature or a wrong one: 401, nothing stored."""
        installed(asana_adapter, asana_receiver)
        url = webhook_target(asana_receiver.url, SOURCE, asana_world.web)
        body = b'{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}'
        unsigned = httpx.post(url, content=body)
        forged = httpx.post(url, content=body, headers={"X-Hook-Signature": hmac_sha256_hex("guess", body)})
        assert (unsigned.status_code, forged.status_code) == (401, 401)
        assert asana_receiver.accepted == {}

    def test_heartbeats_are_acknowledged_and_not_stored(
        self, asana_sim: AsanaSimulator, asana_adapter: AsanaAdapter, asana_receiver: WebhookReceiver
    ) -> None:
        """`{"events": []}` is answered 200 and ignored."""
        installed(asana_adapter, asana_receiver)
        assert asana_sim.send_heartbeat() == 2
        assert asana_receiver.accepted == {}
        assert asana_receiver.answers[-2:] == [(200, "ignored: heartbeat"), (200, "ignored: heartbeat")]

    def test_a_redelivery_has_the_same_delivery_id(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """Asana redelivers the same body after a failure; the sha256 of the body dedupes it."""
        installed(asana_adapter, asana_receiver)
        asana_sim.create_task("Ship", project=asana_world.web)
        asana_sim.deliver_webhooks()
        delivery = asana_sim.deliveries[-1]
        headers = {"X-Hook-Signature": hmac_sha256_hex(asana_sim.webhook_secret(delivery.webhook), delivery.body)}
        assert httpx.post(delivery.target, content=delivery.body, headers=headers).status_code == 200
        assert len(asana_receiver.accepted) == 1

    def test_a_dropped_delivery_is_repaired_by_the_next_poll(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        asana_adapter: AsanaAdapter,
        asana_receiver: WebhookReceiver,
    ) -> None:
        """Webhooks are hints, polling is truth: the Events API still has the change."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        bookmark = asana_adapter.reconcile(asana_world.web, datetime.now(UTC)).bookmark
        installed(asana_adapter, asana_receiver)
        asana_sim.drop_deliveries(1)
        asana_sim.complete_task(task.gid)
        asana_sim.deliver_webhooks()
        assert asana_receiver.accepted == {}
        polled = asana_adapter.poll(bookmark, asana_world.web, datetime.now(UTC))
        assert [(s.external_id, s.state) for s in polled.snapshots] == [(task.gid, TaskState.DONE)]


class TestOnlineCheck:
    """`syncd check --online` says what works and what to fix."""

    def test_everything_configured_passes_once_webhooks_are_installed(
        self, asana_adapter: AsanaAdapter, asana_receiver: WebhookReceiver
    ) -> None:
        """Token, both projects, the progress field, the goal, both webhooks and the budget."""
        before = {c.check: c.ok for c in asana_adapter.check_online(asana_receiver.url)}
        installed(asana_adapter, asana_receiver)
        after = asana_adapter.check_online(asana_receiver.url)
        assert [c.ok for c in after] == [True] * len(after)
        assert [c.check for c in after if "webhook" in c.check] == [c for c in before if "webhook" in c]
        assert not any(ok for check, ok in before.items() if "webhook" in check)
        assert any("percent field" in c.detail for c in after if c.check == "progress field")

    def test_a_bad_token_stops_at_the_first_line_with_the_fix(
        self, asana_sim: AsanaSimulator, make_asana_adapter: MakeAdapter
    ) -> None:
        """401: one failing line that says to fix the token (and never shows it)."""
        [line] = make_asana_adapter(token="not-the-token").check_online(None)
        assert (line.check, line.ok) == ("token", False)
        assert "token" in line.fix
        assert "not-the-token" not in line.detail + line.fix

    def test_a_missing_field_goal_and_project_are_reported(
        self, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """Each failing line names what is wrong."""
        adapter = make_asana_adapter(
            progress_field="Nope", goals={"ENG-1.1": "404404"}, projects=[asana_world.web, "404404"]
        )
        failing = {c.check: c.detail for c in adapter.check_online(None) if not c.ok}
        assert set(failing) == {"project 404404", "progress field", "goal of ENG-1.1"}
        assert "'Nope' is not on any followed project" in failing["progress field"]
