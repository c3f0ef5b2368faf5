"""Admin-tool tests run against the GitHub simulator with a seeded, synced world (`tests.support.admin_world`)."""

from __future__ import annotations

from tests.support.admin_world import shared_world, world
from tests.support.github_sim import github_sim

__all__ = ["github_sim", "shared_world", "world"]
