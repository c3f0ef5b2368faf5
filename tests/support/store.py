"""Store helpers for any test layer: a migrated SQLite engine in a temp dir, a migrated PostgreSQL
engine in a throwaway schema (dropped afterwards), and pytest fixtures wrapping both.

Use from a conftest.py:  `from tests.support.store import sqlite_engine, postgres_engine, store_engine`
or build your own with `migrated_sqlite(path)` / `postgres_schema(url)`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from syncd.store.engine import create_store_engine, normalize_url
from syncd.store.migrate import upgrade


def sqlite_url(directory: Path, name: str = "syncd.db") -> str:
    """A SQLite URL for a file in `directory`."""
    return f"sqlite:///{directory / name}"


@contextmanager
def migrated_sqlite(directory: Path) -> Iterator[Engine]:
    """A SQLite store in `directory`, migrated to head; disposed afterwards."""
    engine = create_store_engine(sqlite_url(directory))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def with_search_path(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` (libpq `options`)."""
    parsed = make_url(normalize_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """Create a throwaway schema `t_<random>` and yield a URL that lives in it; drop it afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield with_search_path(url, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_postgres(url: str) -> Iterator[Engine]:
    """A PostgreSQL store in a throwaway schema, migrated to head; schema dropped afterwards."""
    with postgres_schema(url) as schema_url:
        engine = create_store_engine(schema_url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store in tmp_path."""
    with migrated_sqlite(tmp_path) as engine:
        yield engine


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL store in a throwaway schema (skips when SYNCD_TEST_POSTGRES_URL is unset)."""
    with migrated_postgres(postgres_url) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store, once on SQLite and once on PostgreSQL (that one skips without the test URL)."""
    if request.param == "sqlite":
        with migrated_sqlite(tmp_path) as engine:
            yield engine
    else:
        with migrated_postgres(request.getfixturevalue("postgres_url")) as engine:
            yield engine


def write_config(directory: Path, store_url: str, *, start: date, end: date, sources: bool = False) -> Path:
    """A `syncd.yaml` in `directory`: one cycle from `start` to `end`, the contract's objective and two KRs.

    With `sources`, the contract's GitHub and Asana sources too (they need GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET and ASANA_TOKEN in the environment).
    """
    text = f"""\
store:
  url: {store_url}
cycles:
  - {{id: 2026-Q4, start: {start.isoformat()}, end: {end.isoformat()}}}
objectives:
  - id: ENG-1
    title: Delight new customers
    cycle: 2026-Q4
    key_results:
      - {{id: ENG-1.1, title: Ship self-serve onboarding, measure: tasks}}
      - {{id: ENG-1.2, title: Cut time to first value, measure: metric, start: 7, target: 2, unit: days}}
"""
    if sources:
        text += """\
sources:
  - {name: acme-github, kind: github, base_url: "https://api.github.com", token: "${GITHUB_TOKEN}",
     webhook_secret: "${GITHUB_WEBHOOK_SECRET}", repos: [acme/web, acme/api]}
  - {name: acme-asana, kind: asana, base_url: "https://app.asana.com/api/1.0", token: "${ASANA_TOKEN}",
     workspace: "1200000000000001", projects: ["1200000000000002"]}
"""
    path = directory / "syncd.yaml"
    path.write_text(text, encoding="utf-8")
    return path
