"""Fixtures shared by the runtime tests: a migrated SQLite store, and asyncio for the async tests."""

from __future__ import annotations

from tests.support.store_fixtures import anyio_backend, engine

__all__ = ["anyio_backend", "engine"]
