"""Migrations: run up on SQLite and PostgreSQL and produce exactly the tables of syncd/store/schema.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from syncd.store.migrate import head_revision, pending_revisions, upgrade
from syncd.store.schema import Base


def test_migrations_equal_the_models(store_engine: Engine) -> None:
    """Autogenerate finds no difference between the migrated store and the models (types included)."""
    with store_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []


def test_every_table_exists(store_engine: Engine) -> None:
    """All tables of the design are created."""
    assert set(inspect(store_engine).get_table_names()) >= set(Base.metadata.tables)


def test_upgrade_is_idempotent(store_engine: Engine) -> None:
    """A second upgrade stays at head and nothing is pending."""
    assert upgrade(store_engine) == (head_revision(), head_revision())
    assert pending_revisions(store_engine) == []
