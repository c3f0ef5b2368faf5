"""open_store: the URL in force, SQLite pragmas, and one clear line for every way opening can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from syncd.store.engine import DATABASE_URL_ENV, open_store
from syncd.store.errors import StoreError


class TestSqlite:
    """The default SQLite store."""

    def test_pragmas_are_in_force(self, tmp_path: Path) -> None:
        """WAL journal, foreign keys on and a busy timeout, on every connection."""
        engine = open_store(f"sqlite:///{tmp_path / 'syncd.db'}")
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
        engine.dispose()

    def test_relative_path_is_relative_to_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """sqlite:///relative.db creates the file in the current directory."""
        monkeypatch.chdir(tmp_path)
        open_store("sqlite:///relative.db").dispose()
        assert (tmp_path / "relative.db").exists()

    def test_environment_overrides_configured_url(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """SYNCD_DATABASE_URL wins over store.url."""
        monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'from-env.db'}")
        engine = open_store(f"sqlite:///{tmp_path / 'from-config.db'}")
        assert engine.url.database == str(tmp_path / "from-env.db")
        engine.dispose()

    def test_missing_directory_is_named(self, tmp_path: Path) -> None:
        """A SQLite file in a directory that does not exist names the directory and what to do."""
        with pytest.raises(StoreError, match=r"the directory .*nowhere does not exist; create it first"):
            open_store(f"sqlite:///{tmp_path / 'nowhere' / 'syncd.db'}")


class TestBadUrls:
    """Bad URLs fail with one line that names the URL without its password."""

    def test_unparsable_url(self) -> None:
        """Text that is not a URL at all."""
        with pytest.raises(StoreError, match="is not a database URL; write sqlite:///FILE or postgresql://") as info:
            open_store("just-a-file.db")
        assert "\n" not in str(info.value)

    def test_unknown_driver(self) -> None:
        """A scheme no driver answers to."""
        with pytest.raises(StoreError, match="unknown database driver 'mongodb'"):
            open_store("mongodb://db.example:27017/okrs")

    def test_unreachable_postgresql_hides_password(self) -> None:
        """Nothing listens on port 1: one line, the host and port, and no password."""
        with pytest.raises(StoreError) as info:
            open_store("postgresql://admin:hunter2@127.0.0.1:1/okrs")
        message = str(info.value)
        assert message.startswith("cannot reach the store at postgresql://admin:***@127.0.0.1:1/okrs: ")
        assert "refused" in message.lower()
        assert "hunter2" not in message
        assert "\n" not in message


def test_postgresql_opens_with_psycopg3(postgres_url: str) -> None:
    """The test database answers through the psycopg 3 driver."""
    engine = open_store(postgres_url)
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
