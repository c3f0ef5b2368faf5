"""The store fixtures of tests.support.store, for every test in tests/store."""

from __future__ import annotations

from tests.support.store import postgres_engine, sqlite_engine, store_engine

__all__ = ["postgres_engine", "sqlite_engine", "store_engine"]
