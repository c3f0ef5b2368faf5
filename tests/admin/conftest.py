"""Admin-tool tests run against the GitHub simulator with a seeded, synced world (`tests.support.admin_world`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.simulators.github import GitHubSimulator
from tests.support.admin_world import AdminWorld
from tests.support.github_sim import assert_conforms, github_sim, start_github_sim

__all__ = ["github_sim"]


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
