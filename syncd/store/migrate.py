"""Run the store's Alembic migrations from code: the script location is the package, no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from syncd.store.errors import StoreError, StoreNotMigrated, display_url, first_line

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key serialising concurrent upgrades ("syncd" + "mig" in ASCII).
MIGRATION_LOCK_KEY = 0x73796E6364_6D6967


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, bound to `connection` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {MIGRATIONS}; the installation is incomplete")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at, or None before the first migration."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as error:
        raise StoreError(f"cannot read the schema version of {_where(engine)}: {first_line(error)}") from None


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions not yet applied, oldest first; empty when the store is current."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    try:
        pending = [rev.revision for rev in script.iterate_revisions(head_revision(), current)]
    except (CommandError, RevisionError):
        raise StoreError(
            f"the store at {_where(engine)} is at revision {current}, which this syncd does not know; "
            "install the syncd version that migrated it, or a newer one"
        ) from None
    return list(reversed(pending))


def require_current(engine: Engine) -> None:
    """Raise `StoreNotMigrated` (saying to run `syncd db upgrade`) unless the store is at the newest revision."""
    if pending := pending_revisions(engine):
        current = current_revision(engine) or "empty"
        raise StoreNotMigrated(
            f"the store at {_where(engine)} is not migrated (at {current}, needs {pending[-1]}); "
            "run `syncd db upgrade` first"
        )


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the store to the newest revision; return (revision before, revision after).

    On PostgreSQL, replicas starting together take turns (a transaction-level advisory lock), so the
    second one finds the schema current instead of failing on tables the first one just created.
    """
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(alembic_config(conn), "head")
    except SQLAlchemyError as error:
        raise StoreError(f"migrating {_where(engine)} failed: {first_line(error)}") from None
    return before, head_revision()


def _where(engine: Engine) -> str:
    """The engine's URL without its password."""
    return display_url(engine.url.render_as_string(hide_password=False))
