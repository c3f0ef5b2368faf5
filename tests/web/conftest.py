"""Fixtures of the web app's tests: a migrated SQLite store, asyncio for the async tests, and the admin tools'
synced world (`tests.support.admin_world`) for the read API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.support.admin_world import shared_world, world
from tests.support.github_sim import github_sim
from tests.support.webhooks import migrated_sqlite

__all__ = ["github_sim", "shared_world", "world"]


@pytest.fixture
def anyio_backend() -> str:
    """The daemon runs on asyncio."""
    return "asyncio"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh store in a temporary SQLite file."""
    engine = migrated_sqlite(tmp_path / "syncd.db")
    yield engine
    engine.dispose()
