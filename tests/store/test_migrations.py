"""Migrations: run up on SQLite and PostgreSQL and produce exactly the tables of syncd/store/schema.py."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from syncd.store.engine import create_store_engine
from syncd.store.errors import StoreError, StoreNotMigrated
from syncd.store.migrate import alembic_config, head_revision, pending_revisions, require_current, upgrade
from syncd.store.schema import Base
from tests.support.store import postgres_schema


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


def test_replicas_upgrading_together_take_turns(postgres_url: str) -> None:
    """Two processes migrating one fresh PostgreSQL schema at once: one migrates, the other finds it current."""
    with postgres_schema(postgres_url) as url:
        engines = [create_store_engine(url), create_store_engine(url)]
        start = threading.Barrier(2)

        def migrate(engine: Engine) -> tuple[str | None, str]:
            start.wait(timeout=30)
            return upgrade(engine)

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(migrate, engines), key=lambda outcome: outcome[0] or "")
        for engine in engines:
            engine.dispose()
    assert outcomes == [(None, head_revision()), (head_revision(), head_revision())]


def test_status_of_unmigrated_store_says_to_upgrade(tmp_path: Path) -> None:
    """An empty store is not current; the message names the command that fixes it."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    assert pending_revisions(engine) == ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"]
    with pytest.raises(
        StoreNotMigrated, match=r"is not migrated \(at empty, needs 0008\); run `syncd db upgrade` first"
    ):
        require_current(engine)
    engine.dispose()


def test_unknown_revision_is_explained(sqlite_engine: Engine) -> None:
    """A store migrated by a newer syncd is not silently treated as current."""
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="is at revision 9999, which this syncd does not know"):
        pending_revisions(sqlite_engine)


def test_a_store_of_the_first_release_upgrades_in_place(tmp_path: Path) -> None:
    """A store left at 0001 (with data) upgrades to head, keeping its rows and adding the new table and index."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cycles (id, title, start, \"end\") VALUES ('Q', '', '2026-10-01', '2026-12-31')"
        )
    assert pending_revisions(engine) == ["0002", "0003", "0004", "0005", "0006", "0007", "0008"]
    assert upgrade(engine) == ("0001", "0008")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id FROM cycles").scalars().all() == ["Q"]
        assert conn.exec_driver_sql("SELECT count(*) FROM handshake_windows").scalar_one() == 0
    assert "ix_check_ins_kr_kind_at" in {index["name"] for index in inspect(engine).get_indexes("check_ins")}
    engine.dispose()


def test_an_asana_secret_stored_before_the_install_binding_keeps_verifying_its_resource(tmp_path: Path) -> None:
    """Upgrading a store at 0005 keeps each Asana secret (bound to its resource, no webhook id yet) and drops
    the windows of installs that were running: their handshakes carried no nonce."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
        conn.exec_driver_sql(
            "INSERT INTO webhook_secrets (source, resource, secret, created_at) "
            "VALUES ('as', '123', 'old-secret', '2026-11-30 10:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO handshake_windows (source, resource, expires_at) VALUES ('as', '456', '2026-12-30 10:00:00')"
        )
    assert upgrade(engine) == ("0005", "0008")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT resource, secret, webhook_gid FROM webhook_secrets").all()
        assert [tuple(row) for row in rows] == [("123", "old-secret", None)]
        assert conn.exec_driver_sql("SELECT count(*) FROM handshake_windows").scalar_one() == 0
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT secret FROM webhook_secrets").scalars().all() == ["old-secret"]
    engine.dispose()


def test_check_ins_of_a_store_at_0006_keep_no_scope_counts(tmp_path: Path) -> None:
    """Upgrading to 0007 adds check-ins' task counts and the KRs' scope basis, NULL on the rows already there."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
        conn.exec_driver_sql(
            "INSERT INTO cycles (id, title, start, \"end\") VALUES ('Q', '', '2026-10-01', '2026-12-31')"
        )
        conn.exec_driver_sql(
            "INSERT INTO objectives (id, title, cycle_id, weight, rollup, owner, position, progress, status) VALUES ('O', '', 'Q', 1, 0, '', 0, 0, 'on_track')"
        )
        conn.exec_driver_sql(
            "INSERT INTO key_results (id, objective_id, title, measure, spec, position, progress, status, dirty_marks) VALUES ('K', 'O', '', 'tasks', '{}', 0, 0.5, 'on_track', 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO check_ins (kr_id, at, kind, value, progress, cause, note) VALUES ('K', '2026-11-01 00:00:00', 'progress', 1, 0.5, '', '')"
        )
    assert upgrade(engine) == ("0006", "0008")
    with engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT tasks_added, tasks_removed FROM check_ins").one()) == (None, None)
        assert conn.exec_driver_sql("SELECT scope_tasks FROM key_results").scalar_one() is None
    engine.dispose()


def test_a_store_at_0007_gets_the_uncounted_tasks_index_and_loses_it_on_downgrade(store_engine: Engine) -> None:
    """0008 adds the partial index of dropped or deleted tasks (only those rows), on SQLite and PostgreSQL alike."""
    assert "ix_tasks_uncounted" in {index["name"] for index in inspect(store_engine).get_indexes("tasks")}
    with store_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0007")
    assert "ix_tasks_uncounted" not in {index["name"] for index in inspect(store_engine).get_indexes("tasks")}
    assert upgrade(store_engine) == ("0007", "0008")
    assert "ix_tasks_uncounted" in {index["name"] for index in inspect(store_engine).get_indexes("tasks")}
