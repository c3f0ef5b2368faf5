"""Issue 14.3: no secret can be planted during `syncd webhooks install`, and a secret vouches only for its resource.

The daemon's real web app serves a migrated SQLite store on a real port; the Asana simulator handshakes with it
during `POST /webhooks` as Asana does; the install is the runtime's `install_webhooks` with the real adapter.
An attacker loops unsolicited `X-Hook-Secret` handshakes (no nonce, a guessed one, the right resource) while
the install runs: nothing it sends is kept, and deliveries it signs are refused.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.client import AsanaClient
from adapters.registry import config_model
from syncd.core.errors import Retriable
from syncd.core.signatures import hmac_sha256_hex
from syncd.runtime.context import LoadedConfig, Runtime, utc_now
from syncd.runtime.ingest.delivery_writer import DeliveryWriter
from syncd.runtime.ingest.handshakes import StoreHandshakes, install_webhooks
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.kit.server import BackgroundServer
from syncd.store.schema import Delivery, HandshakeWindow, WebhookSecret
from syncd.web.app import WebhookFastPath, create_app
from tests.support.asana_sim import SOURCE, TOKEN, AsanaWorld, source_config, wait_for
from tests.support.webhooks import migrated_sqlite

ATTEMPTS = 500
ATTACKERS = 8


@dataclass
class Daemon:
    """The web role of `syncd run` on a real port, over its store, with the Asana source's adapter."""

    url: str
    engine: Engine
    runtime: Runtime

    @property
    def adapter(self) -> AsanaAdapter:
        """The source's adapter (the installer uses it as `syncd webhooks install` would)."""
        adapter = self.runtime.adapter(SOURCE)
        assert isinstance(adapter, AsanaAdapter)
        return adapter

    def install(self) -> list[str]:
        """`syncd webhooks install --source acme-asana`; the action of each project."""
        actions = install_webhooks(self.engine, self.adapter, self.url, dry_run=False, clock=utc_now)
        return [action.action for action in actions]

    def kept_secrets(self) -> dict[str, tuple[str, str | None]]:
        """resource -> (secret, webhook id) of every secret that verifies deliveries."""
        table = WebhookSecret.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.resource, table.c.secret, table.c.webhook_gid)).all()
        return {row[0]: (row[1], row[2]) for row in rows}

    def windows(self) -> list[tuple[str, str | None]]:
        """(resource, pending secret) of every open handshake window."""
        table = HandshakeWindow.__table__
        with self.engine.connect() as conn:
            return [(row[0], row[1]) for row in conn.execute(select(table.c.resource, table.c.secret)).all()]

    def stored(self) -> int:
        """Deliveries in the inbox."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Delivery.__table__)).scalar_one())

    def post(self, query: str, body: bytes, secret: str) -> int:
        """A delivery signed with `secret` to `/webhooks/acme-asana?<query>`; the status."""
        headers = {"content-type": "application/json", "x-hook-signature": hmac_sha256_hex(secret, body)}
        return httpx.post(f"{self.url}/webhooks/{SOURCE}?{query}", content=body, headers=headers).status_code


@pytest.fixture
def daemon(tmp_path: Path, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> Iterator[Daemon]:
    """The daemon's web app serving on 127.0.0.1 for the simulator's handshakes and deliveries."""
    entry: dict[str, Any] = source_config(asana_sim, asana_world).model_dump(mode="json", exclude_none=True)
    entry["token"] = TOKEN
    store = tmp_path / "syncd.db"
    config = config_model().model_validate(
        {
            "store": {"url": f"sqlite:///{store}"},
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "sources": [entry],
        }
    )
    engine = migrated_sqlite(store)
    adapters = build_adapters(config)
    runtime = Runtime(loaded=LoadedConfig(config, None, adapters), engine=engine)
    writer = DeliveryWriter(engine, confirm_within=5.0)
    server = BackgroundServer(WebhookFastPath(create_app(runtime, writer=writer, ingest_timeout=5.0)))
    try:
        yield Daemon(server.start(), engine, runtime)
    finally:
        server.stop()
        writer.close()
        runtime.executor.shutdown(wait=True)
        close_adapters(adapters)
        engine.dispose()


def answered(sim: AsanaSimulator) -> list[int | None]:
    """How the daemon answered each of the simulator's deliveries so far."""
    return [delivery.status for delivery in sim.deliveries]


class Attacker:
    """Loops unsolicited handshakes at the daemon, cycling through what a guesser can send."""

    def __init__(self, url: str, resources: list[str]) -> None:
        self._url = f"{url}/webhooks/{SOURCE}"
        self._queries = itertools.cycle(
            [q for r in resources for q in (f"resource={r}", f"resource={r}&install={secrets.token_urlsafe(32)}")]
            + ["", "install="]
        )
        self._lock = threading.Lock()
        self.secrets: list[str] = []
        self.answers: list[int] = []
        self.during_install = 0
        self.installing = threading.Event()

    def run(self, attempts: int) -> None:
        """Send `attempts` handshakes from `ATTACKERS` threads at once."""
        with ThreadPoolExecutor(ATTACKERS) as pool:
            list(pool.map(self._one, range(attempts)))

    def _one(self, _: int) -> None:
        with self._lock:
            query = next(self._queries)
        planted = secrets.token_hex(32)
        with httpx.Client(timeout=10) as client:
            answer = client.post(f"{self._url}?{query}", headers={"X-Hook-Secret": planted})
        with self._lock:
            self.secrets.append(planted)
            self.answers.append(answer.status_code)
            self.during_install += self.installing.is_set()


class TestUnsolicitedHandshakes:
    """A handshake loop during a real install plants nothing."""

    def test_a_handshake_loop_during_the_install_plants_no_secret(
        self, daemon: Daemon, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """500 handshakes racing the install: every one refused, only the simulator's own secrets kept (bound to
        their webhooks), and deliveries signed with a planted secret refused while the real ones are stored."""
        projects = [asana_world.web, asana_world.api]
        attacker = Attacker(daemon.url, projects)
        loop = threading.Thread(target=attacker.run, args=(ATTEMPTS,))
        loop.start()
        wait_for(lambda: len(attacker.answers) >= ATTACKERS, timeout=30, what="the attack to start")
        attacker.installing.set()
        try:
            actions = daemon.install()
        finally:
            attacker.installing.clear()
            loop.join(timeout=120)
        assert actions == ["create", "create"]
        assert attacker.during_install > 0, "the loop must overlap the install"
        assert len(attacker.answers) == ATTEMPTS
        assert set(attacker.answers) == {403}
        hooks = {hook["resource"]["gid"]: str(hook["gid"]) for hook in asana_sim.webhooks()}
        assert daemon.kept_secrets() == {
            project: (asana_sim.webhook_secret(gid), gid) for project, gid in hooks.items()
        }
        assert daemon.windows() == []
        body = b'{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}'
        assert {daemon.post(f"resource={asana_world.web}", body, planted) for planted in attacker.secrets[:20]} == {401}
        assert daemon.stored() == 0
        asana_sim.create_task("Ship", project=asana_world.web)
        asana_sim.deliver_webhooks()
        assert answered(asana_sim) == [200]
        assert daemon.stored() == 1


class TestNonce:
    """While a creation is expected, only its own handshake is taken."""

    @pytest.mark.parametrize("nonce", [None, "", "guess"], ids=["no-nonce", "empty-nonce", "wrong-nonce"])
    def test_the_right_resource_without_the_install_nonce_is_refused(
        self, daemon: Daemon, asana_world: AsanaWorld, nonce: str | None
    ) -> None:
        """A window open for the project, a handshake naming it but not the nonce: 403, nothing pending."""
        StoreHandshakes(daemon.engine, SOURCE, utc_now).expect(asana_world.web)
        query = f"resource={asana_world.web}" + ("" if nonce is None else f"&install={nonce}")
        answer = httpx.post(f"{daemon.url}/webhooks/{SOURCE}?{query}", headers={"X-Hook-Secret": "planted"})
        assert answer.status_code == 403
        assert "x-hook-secret" not in answer.headers
        assert daemon.windows() == [(asana_world.web, None)]
        assert daemon.kept_secrets() == {}


class TestBoundToResource:
    """A confirmed secret verifies its own resource's deliveries, and no other's."""

    def test_a_confirmed_install_stores_its_deliveries(
        self, daemon: Daemon, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """Each project's webhook delivers, signed with its own secret, and both deliveries are stored."""
        assert daemon.install() == ["create", "create"]
        asana_sim.create_task("Web task", project=asana_world.web)
        asana_sim.create_task("API task", project=asana_world.api)
        asana_sim.deliver_webhooks()
        assert answered(asana_sim) == [200, 200]
        assert daemon.stored() == 2

    def test_a_delivery_for_a_resource_never_installed_is_refused(
        self, daemon: Daemon, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """Signed with the web project's genuine secret, but for a project never installed (or another one, or
        none): 401 and nothing stored."""
        assert daemon.install() == ["create", "create"]
        [web_hook] = [h for h in asana_sim.webhooks() if h["resource"]["gid"] == asana_world.web]
        genuine = asana_sim.webhook_secret(web_hook["gid"])
        body = b'{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}'
        assert daemon.post("resource=1209999999999999", body, genuine) == 401
        assert daemon.post(f"resource={asana_world.api}", body, genuine) == 401
        assert daemon.post("", body, genuine) == 401
        assert daemon.stored() == 0
        assert daemon.post(f"resource={asana_world.web}", body, genuine) == 200
        assert daemon.stored() == 1


class TestCreateFailed:
    """A handshake whose create call did not answer keeps no secret; the next install repairs the webhook."""

    def test_a_pending_secret_whose_create_failed_is_discarded(
        self, daemon: Daemon, asana_sim: AsanaSimulator, asana_world: AsanaWorld, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Asana handshook (the secret is pending) but its answer was lost: the install fails, nothing verifies;
        the next install replaces the webhook whose secret was never confirmed, and deliveries flow again."""
        real_create = AsanaClient.create_webhook

        def answer_lost(client: AsanaClient, resource: str, target: str, fields: str) -> Any:
            real_create(client, resource, target, fields)
            raise Retriable("asana POST /webhooks timed out", delay=0)

        monkeypatch.setattr(AsanaClient, "create_webhook", answer_lost)
        with pytest.raises(Retriable):
            daemon.install()
        [orphan] = asana_sim.webhooks()
        assert daemon.kept_secrets() == {}
        assert daemon.windows() == []
        asana_sim.create_task("Ship", project=asana_world.web)
        asana_sim.deliver_webhooks()
        assert answered(asana_sim) == [401]
        assert daemon.stored() == 0
        monkeypatch.setattr(AsanaClient, "create_webhook", real_create)
        assert daemon.install() == ["update", "create"]
        hooks = {h["resource"]["gid"]: str(h["gid"]) for h in asana_sim.webhooks()}
        assert orphan["gid"] not in hooks.values()
        assert set(hooks) == {asana_world.web, asana_world.api}
        asana_sim.create_task("Ship again", project=asana_world.web)
        asana_sim.deliver_webhooks()
        assert answered(asana_sim)[-1] == 200
        assert daemon.stored() == 1
