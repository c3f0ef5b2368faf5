"""`syncd db upgrade` through the real CLI: migrates SQLite and PostgreSQL, says what it did, fails in one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner, Result

from syncd.cli.main import build_app
from syncd.store.engine import create_store_engine
from syncd.store.migrate import head_revision
from tests.support.store import postgres_schema, write_config

CYCLE = {"start": date(2026, 10, 1), "end": date(2026, 12, 31)}

HEAD = head_revision()


def syncd(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the `syncd` CLI in-process."""
    return CliRunner().invoke(build_app(), list(args), env=env)


def assert_one_line_failure(result: Result, *, contains: str) -> None:
    """Exit 1 with exactly one line on stderr, and no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert contains in result.stderr
    assert "Traceback" not in result.output


def test_upgrade_creates_sqlite_store_then_is_current(tmp_path: Path) -> None:
    """First run migrates from an empty store; the second says it is already current."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
    first = syncd("db", "upgrade", "--config", str(config))
    assert first.exit_code == 0, first.output
    assert first.stdout == f"store at sqlite:///{tmp_path / 'syncd.db'}: upgraded from empty to {HEAD}\n"
    second = syncd("db", "upgrade", "--config", str(config))
    assert second.stdout == f"store at sqlite:///{tmp_path / 'syncd.db'}: already at {HEAD}\n"
    engine = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    assert "key_results" in inspect(engine).get_table_names()
    engine.dispose()


def test_relative_sqlite_path_is_created_in_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default-style `sqlite:///syncd.db` lands in the current directory."""
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "sqlite:///syncd.db", **CYCLE)
    result = syncd("db", "upgrade")
    assert result.stdout == f"store at sqlite:///syncd.db: upgraded from empty to {HEAD}\n"
    assert (tmp_path / "syncd.db").is_file()


def test_upgrade_on_postgresql_via_environment(tmp_path: Path, postgres_url: str) -> None:
    """SYNCD_DATABASE_URL overrides store.url, and PostgreSQL is migrated by the same migrations."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", **CYCLE)
    with postgres_schema(postgres_url) as url:
        result = syncd("db", "upgrade", "--config", str(config), env={"SYNCD_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"store at {url}: ")
        assert result.stdout.endswith(f": upgraded from empty to {HEAD}\n")
        again = syncd("db", "upgrade", "--config", str(config), env={"SYNCD_DATABASE_URL": url})
        assert again.stdout.endswith(f": already at {HEAD}\n")
    assert not (tmp_path / "unused.db").exists()


def test_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    """Nothing listens on port 1: exit 1, one line naming the store, the password hidden."""
    config = write_config(tmp_path, "postgresql://syncd:s3cret-pw@127.0.0.1:1/okrs", **CYCLE)
    result = syncd("db", "upgrade", "--config", str(config))
    assert_one_line_failure(result, contains="error: cannot reach the store at postgresql://syncd:***@127.0.0.1:1/okrs")
    assert "s3cret-pw" not in result.output


def test_bad_url_is_one_line(tmp_path: Path) -> None:
    """A store URL that is not a URL says how to write one."""
    config = write_config(tmp_path, "syncd.db", **CYCLE)
    result = syncd("db", "upgrade", "--config", str(config))
    assert_one_line_failure(result, contains="is not a database URL; write sqlite:///FILE or postgresql://")


def test_unknown_driver_is_one_line(tmp_path: Path) -> None:
    """A scheme without a driver is named."""
    config = write_config(tmp_path, "mysql+nosuchdriver://db/okrs", **CYCLE)
    result = syncd("db", "upgrade", "--config", str(config))
    assert_one_line_failure(result, contains="unknown database driver 'mysql+nosuchdriver'")


def test_missing_sqlite_directory_is_one_line(tmp_path: Path) -> None:
    """A SQLite file in a missing directory names the directory."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'syncd.db'}", **CYCLE)
    result = syncd("db", "upgrade", "--config", str(config))
    assert_one_line_failure(result, contains=f"the directory {tmp_path / 'missing'} does not exist")


def test_help_describes_upgrade() -> None:
    """`syncd db --help` lists the upgrade command."""
    result = syncd("db", "--help")
    assert result.exit_code == 0
    assert "upgrade" in result.stdout


def test_wait_returns_once_the_store_is_migrated(tmp_path: Path) -> None:
    """`db wait` (a pod's init container) exits 0 as soon as another process has migrated the store."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
    assert syncd("db", "upgrade", "--config", str(config)).exit_code == 0
    result = syncd("db", "wait", "--config", str(config), "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"store at sqlite:///{tmp_path / 'syncd.db'}: at {HEAD}\n"


def test_wait_gives_up_on_a_store_nobody_migrates(tmp_path: Path) -> None:
    """An empty store stays unmigrated: exit 1 after the timeout, in one line saying what to run; nothing is created."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
    result = syncd("db", "wait", "--config", str(config), "--timeout", "1", "--interval", "0.2")
    assert_one_line_failure(result, contains="still not ready after 1s")
    assert "no store at" in result.stderr
    assert "syncd db upgrade" in result.stderr
    assert not (tmp_path / "syncd.db").exists()


def test_wait_keeps_waiting_through_an_unreachable_postgresql(tmp_path: Path) -> None:
    """A database that does not answer yet (still starting) is waited for, then reported in one line."""
    config = write_config(tmp_path, "postgresql://postgres@127.0.0.1:1/none", **CYCLE)
    result = syncd("db", "wait", "--config", str(config), "--timeout", "1", "--interval", "0.2")
    assert_one_line_failure(result, contains="after 1s")
