"""Fixtures of the web app's tests: a migrated SQLite store, asyncio for the async tests, and the admin tools'
synced world (`tests.support.admin_world`) for the read API."""

from __future__ import annotations

from tests.support.admin_world import shared_world, world
from tests.support.github_sim import github_sim
from tests.support.store_fixtures import anyio_backend, engine

__all__ = ["anyio_backend", "engine", "github_sim", "shared_world", "world"]
