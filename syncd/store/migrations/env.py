"""Alembic environment: runs on the connection `syncd.store.migrate` hands over (batch mode on SQLite)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from syncd.store.schema import Base


def run_migrations_online() -> None:
    """Migrate through the connection passed in `config.attributes['connection']`."""
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("syncd migrations run through syncd.store.migrate.upgrade(engine), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("syncd migrations run online only: use `syncd db upgrade`")
run_migrations_online()
