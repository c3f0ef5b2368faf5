"""Asana test support others reuse: a running simulator with a seeded world, a configured adapter, and a
webhook receiver that does what the daemon's web role does with Asana deliveries.

Use the fixtures by importing them into a conftest.py (or a test module):

    from tests.support.asana_sim import asana_adapter, asana_config, asana_sim, asana_world  # noqa: F401

Or build the pieces directly (for the sandbox or end-to-end tests):

    sim = AsanaSimulator(); sim.start(); world = seed_world(sim)
    config = source_config(sim, world, progress_field="Progress %")
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.asana.adapter import AsanaAdapter, build_adapter
from adapters.asana.config import AsanaSourceConfig
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.ports import CreatedWebhook, WebhookAccepted, WebhookHandshake
from syncd.runtime.ingest.handshakes import confirmation_problem, nonce_hash
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.kit.server import BackgroundServer
from tests.support.waiting import wait_until

#: Builds an adapter over `source_config(sim, world, **overrides)` (see tests/asana/conftest.py).
MakeAdapter = Callable[..., AsanaAdapter]

SOURCE = "acme-asana"
TOKEN = "sim-token-0123456789"
SECTIONS = ("To do", "Doing", "Won't do", "Done")


@dataclass(frozen=True)
class AsanaWorld:
    """The gids of a seeded simulator: workspace, team, two projects, their sections, fields and a goal."""

    workspace: str
    team: str
    web: str
    api: str
    sections: dict[str, dict[str, str]]
    fields: dict[str, str]
    goal: str

    def section(self, project: str, name: str) -> str:
        """A section gid by project gid and section name."""
        return self.sections[project][name]


def seed_world(sim: AsanaSimulator) -> AsanaWorld:
    """Workspace Acme, team Engineering, projects Web and API (sections To do / Doing / Won't do / Done),
    custom fields on both (percent, number, text, points, KR enum, status enum) and one goal."""
    workspace = sim.create_workspace("Acme").gid
    team = sim.create_team(workspace, "Engineering").gid
    projects = [sim.create_project(workspace, name, team=team, sections=SECTIONS) for name in ("Web", "API")]
    fields = {
        "KR progress": sim.create_custom_field(workspace, "KR progress", "number", number_format="percentage").gid,
        "Progress %": sim.create_custom_field(workspace, "Progress %", "number").gid,
        "Progress text": sim.create_custom_field(workspace, "Progress text", "text").gid,
        "Points": sim.create_custom_field(workspace, "Points", "number").gid,
        "Key result": sim.create_custom_field(workspace, "Key result", "enum", options=("ENG-1.1", "ENG-1.2")).gid,
        "Status": sim.create_custom_field(
            workspace, "Status", "enum", options=("On track", "Working", "Cancelled")
        ).gid,
    }
    for project in projects:
        for gid in fields.values():
            sim.add_custom_field_to_project(project.gid, gid)
    sections = {p.gid: {sim.state.store.sections[s].name: s for s in p.sections} for p in projects}
    goal = sim.create_goal(workspace, "Onboarding is self-serve", unit="percentage", target=1.0).gid
    return AsanaWorld(workspace, team, projects[0].gid, projects[1].gid, sections, fields, goal)


def source_config(sim: AsanaSimulator, world: AsanaWorld, **overrides: Any) -> AsanaSourceConfig:
    """An `asana` source on the simulator following both projects: Doing = in progress, Won't do =
    dropped, progress written to the percent field "KR progress", ENG-1.1 feeding the goal."""
    raw: dict[str, Any] = {
        "name": SOURCE,
        "kind": "asana",
        "base_url": sim.base_url,
        "token": TOKEN,
        "workspace": world.workspace,
        "projects": [world.web, world.api],
        "in_progress": {"sections": ["Doing"]},
        "dropped": {"sections": ["Won't do"]},
        "progress_field": "KR progress",
        "goals": {"ENG-1.1": world.goal},
        "timeout": "5s",
    }
    return AsanaSourceConfig.model_validate(raw | overrides)


@dataclass
class ReceivedDelivery:
    """A delivery the receiver accepted, as the daemon would store it."""

    delivery_id: str
    event: str
    body: bytes


@dataclass
class WebhookReceiver:
    """`POST /webhooks/<source>` like the daemon: a handshake taken only with the install's nonce, its secret
    pending until the install confirms the webhook (the receiver is the install's `WebhookHandshakes` too),
    signatures verified with the adapter, deliveries deduplicated by id; answers 401/400/403 like the web role.

    Install with `adapter.install_webhooks(receiver.url, dry_run=False, handshakes=receiver)`."""

    adapter: AsanaAdapter
    secrets: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, str] = field(default_factory=dict)
    windows: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    accepted: dict[str, ReceivedDelivery] = field(default_factory=dict)
    answers: list[tuple[int, str]] = field(default_factory=list)
    _server: BackgroundServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        """Serve on a free port; returns the public URL to give `install_webhooks`."""
        app = Starlette(routes=[Route("/webhooks/{source}", self._receive, methods=["POST"])])
        self._server = BackgroundServer(app)
        return self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.stop()

    @property
    def url(self) -> str:
        """The receiver's root URL."""
        assert self._server is not None
        return self._server.url

    def bodies(self) -> list[bytes]:
        """Accepted delivery bodies, in arrival order."""
        with self._lock:
            return [delivery.body for delivery in self.accepted.values()]

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        with self._lock:
            bound = dict(self.secrets)
        try:
            outcome = self.adapter.intake(headers, body, dict(request.query_params), bound)
        except SignatureError as error:
            return self._answer(401, str(error))
        except MalformedPayload as error:
            return self._answer(400, str(error))
        with self._lock:
            if isinstance(outcome, WebhookHandshake):
                window = self.windows.get(outcome.resource)
                if window is None or window[1] is not None or nonce_hash(outcome.nonce) != window[0]:
                    return self._answer(403, "handshake_unexpected")
                self.windows[outcome.resource] = (window[0], outcome.secret)
                return self._answer(200, "handshake", dict(outcome.response_headers))
            if isinstance(outcome, WebhookAccepted):
                self.accepted.setdefault(
                    outcome.delivery_id, ReceivedDelivery(outcome.delivery_id, outcome.event, body)
                )
                return self._answer(200, "accepted")
        return self._answer(200, f"ignored: {outcome.reason}")

    # --- the install's `WebhookHandshakes` ---
    def confirmed(self, resource: str) -> str | None:
        """The webhook whose secret verifies `resource`."""
        with self._lock:
            return self.webhooks.get(resource)

    def expect(self, resource: str) -> str:
        """Open a window with a fresh nonce."""
        nonce = secrets.token_urlsafe(16)
        with self._lock:
            self.windows[resource] = (nonce_hash(nonce), None)
        return nonce

    def confirm(self, resource: str, created: CreatedWebhook | None) -> bool:
        """Keep the pending secret when the daemon's own check passes."""
        with self._lock:
            expected, pending = self.windows.pop(resource, ("", None))
            if confirmation_problem(resource, expected, pending, created) is not None:
                return False
            assert created is not None
            assert pending is not None
            self.secrets[resource], self.webhooks[resource] = pending, created.gid
            return True

    def _answer(self, status: int, what: str, headers: dict[str, str] | None = None) -> Response:
        self.answers.append((status, what))
        return Response(what, status_code=status, headers=headers)


def wait_for(condition: Callable[[], bool], *, timeout: float = 5.0, what: str = "condition") -> None:
    """Poll `condition` until true (never sleep-and-hope); fail with `what` after `timeout` seconds."""
    wait_until(condition, timeout=timeout, what=what, interval=0.01)


@pytest.fixture
def asana_sim() -> Iterator[AsanaSimulator]:
    """A running, empty Asana simulator (token `sim-token-0123456789`)."""
    sim = AsanaSimulator(token=TOKEN)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def asana_world(asana_sim: AsanaSimulator) -> AsanaWorld:
    """The simulator seeded by `seed_world`."""
    return seed_world(asana_sim)


@pytest.fixture
def asana_config(asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> AsanaSourceConfig:
    """The source config of `source_config` (override by building your own with it)."""
    return source_config(asana_sim, asana_world)


@pytest.fixture
def asana_adapter(asana_config: AsanaSourceConfig) -> Iterator[AsanaAdapter]:
    """The adapter for `asana_config`, closed after the test."""
    adapter = build_adapter(asana_config)
    yield adapter
    adapter.close()


@pytest.fixture
def asana_receiver(asana_adapter: AsanaAdapter) -> Iterator[WebhookReceiver]:
    """A running daemon-like webhook receiver using `asana_adapter`."""
    receiver = WebhookReceiver(asana_adapter)
    receiver.start()
    yield receiver
    receiver.stop()
