"""Pytest fixtures for the GitHub simulator and a GitHub source pointed at it (reused by daemon tests).

Import the fixtures you use into your conftest or test module:
`from tests.support.github_sim import github_sim, github_config, github_adapter  # noqa: F401`.
Every simulator started here checks, at teardown, that each REST request it received matches
GitHub's OpenAPI description (when `../shared/vendor-data` is present).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.github.config import GitHubSourceConfig
from syncd.simulators.github import GitHubSimulator
from syncd.simulators.kit.server import BackgroundServer
from tests.conftest import VENDOR_DATA
from tests.support.github_openapi import load_github_openapi, nonconforming

if TYPE_CHECKING:
    from adapters.github.adapter import GitHubAdapter

GITHUB_TOKEN = "sim-token-0123456789"
GITHUB_LOGIN = "syncd-bot"
GITHUB_WEBHOOK_SECRET = "sim-webhook-secret"
GITHUB_SOURCE = "acme-github"
REPOS = ("acme/web", "acme/api")


def assert_conforms(sim: GitHubSimulator) -> None:
    """Fail when a REST request the simulator received, or a response it gave, does not match GitHub's
    OpenAPI description."""
    spec = load_github_openapi(VENDOR_DATA)
    if spec is None:
        return
    problems = nonconforming(spec, sim.requests)
    assert not problems, "requests that GitHub's OpenAPI description does not allow:\n" + "\n".join(problems)


def start_github_sim(repos: tuple[str, ...] = REPOS, **options: Any) -> GitHubSimulator:
    """A started simulator with `repos` created and the test token accepted (keeping responses for checks)."""
    options.setdefault("keep_responses", True)
    sim = GitHubSimulator(token=GITHUB_TOKEN, login=GITHUB_LOGIN, **options)
    sim.start()
    for repo in repos:
        sim.create_repo(repo)
    return sim


@pytest.fixture
def github_sim() -> Iterator[GitHubSimulator]:
    """A running simulator with `acme/web` and `acme/api`; its REST traffic is checked against the spec."""
    sim = start_github_sim()
    try:
        yield sim
        assert_conforms(sim)
    finally:
        sim.stop()


def github_source_dict(
    sim: GitHubSimulator, *, name: str = GITHUB_SOURCE, repos: tuple[str, ...] = REPOS, **overrides: Any
) -> dict[str, Any]:
    """A `kind: github` source entry for a YAML config, pointed at the simulator (literal fake secrets)."""
    entry: dict[str, Any] = {
        "name": name,
        "kind": "github",
        "base_url": sim.api_url,
        "token": GITHUB_TOKEN,
        "webhook_secret": GITHUB_WEBHOOK_SECRET,
        "repos": list(repos),
    }
    entry.update(overrides)
    return entry


def github_source_config(sim: GitHubSimulator, **overrides: Any) -> GitHubSourceConfig:
    """The validated source config for the simulator (same keys as `github_source_dict`)."""
    return GitHubSourceConfig.model_validate(github_source_dict(sim, **overrides))


@pytest.fixture
def github_config(github_sim: GitHubSimulator) -> GitHubSourceConfig:
    """`acme-github`: token auth, webhook secret, repos acme/web and acme/api, base_url = the simulator."""
    return github_source_config(github_sim)


@pytest.fixture
def github_adapter(github_config: GitHubSourceConfig) -> Iterator[GitHubAdapter]:
    """A `GitHubAdapter` built by the registry's factory for `github_config`."""
    from adapters.github.adapter import build_adapter

    adapter = build_adapter(github_config)
    try:
        yield adapter
    finally:
        adapter.close()


@dataclass(frozen=True)
class ReceivedDelivery:
    """One webhook delivery as our side would receive it: lower-cased headers and the raw body."""

    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        """`X-GitHub-Event`."""
        return self.headers.get("x-github-event", "")


class WebhookInbox:
    """A loopback HTTP endpoint that records every delivery to any path (answering 200), for webhook tests."""

    def __init__(self) -> None:
        self.received: list[ReceivedDelivery] = []
        self._changed = threading.Condition()
        self._server = BackgroundServer(Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])]))
        self.base = ""
        self.url = ""

    async def _receive(self, request: Request) -> Response:
        delivery = ReceivedDelivery({k.lower(): v for k, v in request.headers.items()}, await request.body())
        with self._changed:
            self.received.append(delivery)
            self._changed.notify_all()
        return Response(status_code=200)

    def start(self) -> None:
        """Listen on a free loopback port (`url` is `{base}/hook`; any path is accepted)."""
        self.base = self._server.start()
        self.url = self.base + "/hook"

    def stop(self) -> None:
        """Stop listening."""
        self._server.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedDelivery]:
        """Block until at least `count` deliveries arrived (or fail after `timeout`); returns them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} deliveries within {timeout}s, got {len(self.received)}"
                self._changed.wait(left)
            return list(self.received)

    def take(self, sim: GitHubSimulator) -> list[ReceivedDelivery]:
        """Every delivery the simulator has sent so far (waiting for its queue to drain), then forget them."""
        assert sim.wait_for_deliveries(), "the simulator did not finish sending webhooks"
        with self._changed:
            taken, self.received = list(self.received), []
        return taken


@pytest.fixture
def github_inbox(github_sim: GitHubSimulator) -> Iterator[WebhookInbox]:
    """An inbox receiving every change of `github_sim`, signed with GITHUB_WEBHOOK_SECRET."""
    inbox = WebhookInbox()
    inbox.start()
    github_sim.add_webhook_target(inbox.url, GITHUB_WEBHOOK_SECRET)
    try:
        yield inbox
    finally:
        inbox.stop()
