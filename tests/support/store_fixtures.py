"""Fixtures the runtime and web tests share: a fresh migrated SQLite store, and asyncio for the async tests.
A folder's conftest imports them (`from tests.support.store_fixtures import anyio_backend, engine`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.support.webhooks import migrated_sqlite


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
