"""A realistic world for the admin tools: a GitHub simulator with labelled issues, a config pointed at
it (secrets by `${ENV}`), a migrated SQLite store, and `sync_once` (poll, recompute, push) to fill it.

    world = AdminWorld.create(tmp_path, github_sim)
    world.sync_once()                                  # mirror, compute and write comments
    world.syncd("explain", "acme-github:acme/web#1")   # the real CLI, in-process

Its fixtures `world` and `shared_world` are imported by the conftests of the folders that use them
(`tests/admin`, `tests/web`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from adapters.registry import load_config
from syncd.cli.main import build_app
from syncd.config.models import SyncdConfig
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.poll.scheduler import Scheduler
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.runtime.worker import Worker
from syncd.simulators.github import GitHubSimulator
from syncd.simulators.kit.server import BackgroundServer
from syncd.store.engine import create_store_engine
from syncd.store.migrate import upgrade
from syncd.store.okr import sync_config
from syncd.web.app import create_app
from tests.support.asana_sim import TOKEN as ASANA_TOKEN
from tests.support.github_sim import (
    GITHUB_SOURCE,
    GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET,
    assert_conforms,
    start_github_sim,
)

API_TOKEN = "admin-api-token-0123456789"
#: What the config's `${...}` references resolve to.
ENV = {
    "GITHUB_TOKEN": GITHUB_TOKEN,
    "GITHUB_WEBHOOK_SECRET": GITHUB_WEBHOOK_SECRET,
    "SYNCD_API_TOKEN": API_TOKEN,
    "ASANA_TOKEN": ASANA_TOKEN,
}
TODAY = datetime.now(UTC).date()
#: A cycle running now, so check-ins "now" fall inside it and statuses do not depend on the test date.
CYCLE = {
    "id": "2026-Q4",
    "start": (TODAY - timedelta(days=30)).isoformat(),
    "end": (TODAY + timedelta(days=60)).isoformat(),
}

#: The issues of acme/web: (title, labels, closed as).
ISSUES: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("Ship the signup form", ("kr:ENG-1.1",), "completed"),  # 1: linked, done
    ("Add single sign-on", ("kr:ENG-1.1", "points:3"), None),  # 2: linked, open
    ("Polish the onboarding tour", ("onboarding",), None),  # 3: linked by the rule label "onboarding"
    ("Fix the welcome email", ("kr:ENG-1.l",), None),  # 4: near miss (l for 1)
    ("Upgrade the build image", ("chore",), None),  # 5: unlinked
    ("Cache the pricing page", ("kr:ENG-1.4",), None),  # 6: names a KR the config does not have yet
    ("Instrument time to first value", ("kr:ENG-1.2",), None),  # 7: linked to the metric KR
)


def objectives(*, extra_kr: bool = False) -> list[dict[str, Any]]:
    """ENG-1 with a tasks KR, a metric KR fed by check-ins and a count KR (and ENG-1.4 with `extra_kr`)."""
    krs: list[dict[str, Any]] = [
        {"id": "ENG-1.1", "title": "Ship self-serve onboarding"},
        {
            "id": "ENG-1.2",
            "title": "Cut time to first value",
            "measure": "metric",
            "start": 7,
            "target": 2,
            "unit": "days",
        },
        {"id": "ENG-1.3", "title": "Close five onboarding epics", "measure": "count", "target": 5},
    ]
    if extra_kr:
        krs.append({"id": "ENG-1.4", "title": "Make the pricing page fast"})
    return [{"id": "ENG-1", "title": "Delight new customers", "cycle": CYCLE["id"], "key_results": krs}]


def github_source(sim: GitHubSimulator, **overrides: Any) -> dict[str, Any]:
    """The `acme-github` source on the simulator's `acme/web` (secrets by `${ENV}` reference)."""
    source: dict[str, Any] = {
        "name": GITHUB_SOURCE,
        "kind": "github",
        "base_url": sim.api_url,
        "token": "${GITHUB_TOKEN}",
        "webhook_secret": "${GITHUB_WEBHOOK_SECRET}",
        "repos": ["acme/web"],
    }
    source.update(overrides)
    return source


def config_data(
    sim: GitHubSimulator, store_url: str, *, rule_label: str = "onboarding", **extra: Any
) -> dict[str, Any]:
    """The config as data: the simulator's `acme/web`, the rule `rule_label` -> ENG-1.1, writes due at once.
    `extra` replaces top-level keys (`sources=[...]`); `extra_kr=True` adds ENG-1.4."""
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "server": {"public_url": "https://syncd.example.com", "api_token": "${SYNCD_API_TOKEN}"},
        "cycles": [CYCLE],
        "objectives": objectives(extra_kr=extra.pop("extra_kr", False)),
        "sources": [github_source(sim)],
        "matching": {"rules": [{"label": rule_label, "key_results": ["ENG-1.1"]}]},
        "push": {"coalesce_window": "1ms"},
    }
    data.update(extra)
    return data


def seed_issues(sim: GitHubSimulator, repo: str = "acme/web") -> None:
    """Create `ISSUES` in `repo` (numbers 1..7), closing those with a close reason."""
    for title, labels, closed in ISSUES:
        number = sim.create_issue(repo, title, labels=labels)
        if closed is not None:
            sim.close_issue(repo, number, closed)


@dataclass
class AdminWorld:
    """The simulator, the config file and the store of one admin-tools test."""

    sim: GitHubSimulator
    directory: Path
    config_path: Path
    store_url: str

    @classmethod
    def create(
        cls, directory: Path, sim: GitHubSimulator, *, store_url: str | None = None, **config: Any
    ) -> AdminWorld:
        """Seed the issues, write the config, migrate the store (SQLite in `directory` unless `store_url`)."""
        seed_issues(sim)
        store_url = store_url or f"sqlite:///{directory / 'syncd.db'}"
        world = cls(sim, directory, directory / "syncd.yaml", store_url)
        world.write_config(**config)
        engine = create_store_engine(store_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        return world

    def write_config(self, path: Path | None = None, **options: Any) -> Path:
        """Write the config (to `path`, default the world's own file) and return its path."""
        target = path or self.config_path
        target.write_text(yaml.safe_dump(config_data(self.sim, self.store_url, **options), sort_keys=False))
        return target

    def config(self) -> SyncdConfig:
        """The world's config, validated."""
        return load_config(self.config_path, ENV)

    def engine(self) -> Engine:
        """A new engine on the store (dispose it after use)."""
        return create_store_engine(self.store_url)

    def sync_once(self) -> None:
        """What a daemon does for this config: load it into the store, poll everything, recompute, push."""
        config = self.config()
        engine = self.engine()
        adapters = build_adapters(config)
        runtime = Runtime(loaded=LoadedConfig(config, self.config_path, adapters), engine=engine)
        try:
            sync_config(engine, config, runtime.clock())
            Scheduler(runtime).run_once()
            Worker(runtime).drain()
            Pusher(runtime).run_once()
        finally:
            runtime.executor.shutdown(wait=True)
            close_adapters(adapters)
            engine.dispose()

    def syncd(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        """Run the real `syncd` CLI in-process with the world's config and secrets."""
        argv = [*args, "--config", str(self.config_path)] if "--config" not in args else list(args)
        return CliRunner().invoke(build_app(), argv, env={"COLUMNS": "200", **ENV, **(env or {})})


@contextmanager
def serving_api(world: AdminWorld, config: SyncdConfig | None = None) -> Iterator[tuple[str, Runtime]]:
    """The daemon's web app (`create_app`) for the world's config, served over real HTTP on a loopback port."""
    config = config or world.config()
    engine = world.engine()
    adapters = build_adapters(config)
    runtime = Runtime(loaded=LoadedConfig(config, world.config_path, adapters), engine=engine)
    app = create_app(runtime)
    server = BackgroundServer(app)
    try:
        yield server.start(), runtime
    finally:
        server.stop()
        app.state.writer.close()
        runtime.executor.shutdown(wait=True)
        close_adapters(adapters)
        engine.dispose()


@pytest.fixture
def world(tmp_path: Path, github_sim: GitHubSimulator) -> AdminWorld:
    """Seven issues in acme/web mirrored, computed and commented on, as a daemon would leave them."""
    world = AdminWorld.create(tmp_path, github_sim)
    world.sync_once()
    return world


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminWorld]:
    """`world`, built once per module, for tests that only read (its simulator traffic is checked at the end)."""
    sim = start_github_sim()
    try:
        world = AdminWorld.create(tmp_path_factory.mktemp("world"), sim)
        world.sync_once()
        yield world
        assert_conforms(sim)
    finally:
        sim.stop()
