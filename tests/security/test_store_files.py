"""Store files are private (issue 14, items 7 and 11): the SQLite database, its `-wal` and `-shm` and the daemon
lock are mode 0600 whatever the umask, a wider database is tightened once, and the lock never writes through
a link or into something that is not a regular file planted at its path."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs
from typer.testing import CliRunner

from adapters.registry import load_config
from syncd.cli.main import build_app
from syncd.daemon.process import DaemonOptions, prepare
from syncd.sandbox.config import SandboxPaths, new_secrets
from syncd.sandbox.world import SandboxWorld, fresh_store
from syncd.store.engine import open_store
from syncd.store.errors import StoreError
from syncd.store.lock import DaemonLock
from tests.support.store import write_config

CYCLE = {"start": date(2026, 10, 1), "end": date(2026, 12, 31)}


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which a plain `open` makes files world-readable (0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    """The permission bits of `path` itself (a link is not followed)."""
    return stat.S_IMODE(path.lstat().st_mode)


def store_files(directory: Path, name: str = "syncd.db") -> dict[str, int]:
    """Every file of the store `name` in `directory` (database, -wal, -shm, lock) with its permission bits."""
    return {path.name: mode(path) for path in sorted(directory.glob(f"{name}*"))}


def world_readable_store(database: Path) -> None:
    """A store as syncd made it before: one table, the file created 0644 by SQLite under umask 022."""
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert mode(database) == 0o644


class TestLockPath:
    """Whatever is planted at `<db>.lock`, the daemon writes only into a regular file of its own."""

    def test_a_symlink_is_refused_and_its_target_untouched(self, tmp_path: Path) -> None:
        """A link to another file is an error naming the lock path; the file it points at keeps its bytes and mode."""
        target = tmp_path / "precious.conf"
        target.write_text("keep me\n", encoding="utf-8")
        lock_path = tmp_path / "syncd.db.lock"
        lock_path.symlink_to(target)
        with pytest.raises(StoreError) as info:
            DaemonLock(f"sqlite:///{tmp_path / 'syncd.db'}").acquire()
        assert str(info.value) == (
            f"the daemon lock {lock_path} is a symbolic link; syncd does not write through links: remove it"
        )
        assert target.read_text(encoding="utf-8") == "keep me\n"
        assert mode(target) == 0o644

    def test_a_dangling_symlink_creates_nothing(self, tmp_path: Path) -> None:
        """A link to a missing file is refused too, and the file it names is not created."""
        target = tmp_path / "elsewhere" / "created-by-syncd"
        target.parent.mkdir()
        (tmp_path / "syncd.db.lock").symlink_to(target)
        with pytest.raises(StoreError, match="is a symbolic link"):
            DaemonLock(f"sqlite:///{tmp_path / 'syncd.db'}").acquire()
        assert not target.exists()

    @pytest.mark.parametrize("kind", ["fifo", "directory"])
    def test_something_other_than_a_regular_file_is_refused(self, tmp_path: Path, kind: str) -> None:
        """A FIFO (opening it could block or feed a reader) or a directory is a clear error naming the path."""
        lock_path = tmp_path / "syncd.db.lock"
        if kind == "fifo":
            os.mkfifo(lock_path)
        else:
            lock_path.mkdir()
        with pytest.raises(StoreError) as info:
            DaemonLock(f"sqlite:///{tmp_path / 'syncd.db'}").acquire()
        assert str(info.value) == f"the daemon lock {lock_path} is not a regular file; remove it"

    def test_a_daemon_refuses_to_start_on_a_planted_symlink(self, tmp_path: Path) -> None:
        """The daemon's start-up goes through the same lock: it stops with the error before writing anything."""
        target = tmp_path / "precious.conf"
        target.write_text("keep me\n", encoding="utf-8")
        (tmp_path / "syncd.db.lock").symlink_to(target)
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
        with pytest.raises(StoreError, match="symbolic link"):
            prepare(load_config(config), DaemonOptions(config_path=config, host="127.0.0.1", port=0))
        assert target.read_text(encoding="utf-8") == "keep me\n"

    def test_an_existing_lock_file_is_reused_and_tightened(self, tmp_path: Path) -> None:
        """The lock file an older syncd left (0644, another pid in it) is locked again in place, 0600."""
        lock_path = tmp_path / "syncd.db.lock"
        lock_path.write_text("12345\n", encoding="utf-8")
        inode = lock_path.stat().st_ino
        with DaemonLock(f"sqlite:///{tmp_path / 'syncd.db'}"):
            assert lock_path.read_text(encoding="utf-8") == f"{os.getpid()}\n"
            assert lock_path.stat().st_ino == inode
            assert mode(lock_path) == 0o600

    @pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
    def test_a_lock_file_of_another_user_is_refused(self, tmp_path: Path) -> None:
        """A regular file someone else planted (and could hold locked) is not taken for ours."""
        lock_path = tmp_path / "syncd.db.lock"
        lock_path.write_text("", encoding="utf-8")
        os.chown(lock_path, 65534, 65534)
        with pytest.raises(StoreError) as info:
            DaemonLock(f"sqlite:///{tmp_path / 'syncd.db'}").acquire()
        assert str(info.value) == (
            f"the daemon lock {lock_path} belongs to uid 65534, not to this user (uid 0); remove it"
        )
        assert lock_path.read_text(encoding="utf-8") == ""


class TestNewStore:
    """A store syncd creates is readable by its own user only, under umask 022."""

    def test_db_upgrade_creates_the_database_0600(self, tmp_path: Path) -> None:
        """`syncd db upgrade` on a new file: the database (and anything beside it) is 0600."""
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
        result = CliRunner().invoke(build_app(), ["db", "upgrade", "--config", str(config)])
        assert result.exit_code == 0, result.output
        files = store_files(tmp_path)
        assert "syncd.db" in files
        assert files == dict.fromkeys(files, 0o600)

    def test_daemon_start_makes_database_wal_shm_and_lock_0600(self, tmp_path: Path) -> None:
        """While the daemon runs, all four files exist and none is readable by group or others."""
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", **CYCLE)
        prepared = prepare(load_config(config), DaemonOptions(config_path=config, host="127.0.0.1", port=0))
        try:
            assert store_files(tmp_path) == dict.fromkeys(
                ["syncd.db", "syncd.db-shm", "syncd.db-wal", "syncd.db.lock"], 0o600
            )
        finally:
            prepared.close()

    def test_even_a_permissive_umask_does_not_widen_them(self, tmp_path: Path) -> None:
        """Under umask 000 the files are still 0600, not 0666."""
        os.umask(0)
        database = tmp_path / "syncd.db"
        engine = open_store(f"sqlite:///{database}")
        try:
            with DaemonLock(f"sqlite:///{database}"), engine.begin() as conn:
                conn.execute(text("CREATE TABLE t (x)"))
                assert store_files(tmp_path) == dict.fromkeys(
                    ["syncd.db", "syncd.db-shm", "syncd.db-wal", "syncd.db.lock"], 0o600
                )
        finally:
            engine.dispose()

    def test_the_sandbox_store_is_0600(self, tmp_path: Path) -> None:
        """`syncd sandbox` prepares its store like the daemon: database, -wal, -shm and lock are 0600."""
        paths = SandboxPaths(tmp_path / "sandbox")
        fresh_store(paths)
        world = SandboxWorld.start(paths, new_secrets())
        try:
            files = store_files(paths.directory)
            assert files == dict.fromkeys(["syncd.db", "syncd.db-shm", "syncd.db-wal", "syncd.db.lock"], 0o600)
            assert mode(paths.env) == 0o600
        finally:
            world.close()


class TestExistingStore:
    """A store an older syncd left world-readable is tightened when a writer opens it."""

    def test_a_0644_database_becomes_0600_and_says_so_once(self, tmp_path: Path) -> None:
        """The first open logs `store.file_mode_tightened` with the old mode; the next finds nothing to do."""
        database = tmp_path / "syncd.db"
        world_readable_store(database)
        with capture_logs() as first:
            open_store(f"sqlite:///{database}").dispose()
        assert mode(database) == 0o600
        assert [entry for entry in first if entry["event"] == "store.file_mode_tightened"] == [
            {"event": "store.file_mode_tightened", "log_level": "warning", "path": str(database), "mode": "0644"}
        ]
        with capture_logs() as second:
            open_store(f"sqlite:///{database}").dispose()
        assert not [entry for entry in second if entry["event"] == "store.file_mode_tightened"]

    def test_leftover_wal_and_shm_are_tightened_too(self, tmp_path: Path) -> None:
        """After a crash under an older syncd the -wal and -shm stay on disk, 0644: SQLite would reuse them as they are."""
        database = tmp_path / "syncd.db"
        world_readable_store(database)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").write_bytes(b"")
        engine = open_store(f"sqlite:///{database}")
        try:
            with engine.connect():
                assert store_files(tmp_path) == dict.fromkeys(["syncd.db", "syncd.db-shm", "syncd.db-wal"], 0o600)
        finally:
            engine.dispose()

    def test_read_only_commands_change_nothing(self, tmp_path: Path) -> None:
        """`syncd status` and the like (create=False) leave the mode to the daemon or `syncd db upgrade`."""
        database = tmp_path / "syncd.db"
        world_readable_store(database)
        open_store(f"sqlite:///{database}", create=False).dispose()
        assert mode(database) == 0o644

    def test_a_database_syncd_may_not_tighten_is_refused(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the file is another user's (chmod refused), the writer stops and says what to run."""
        database = tmp_path / "syncd.db"
        world_readable_store(database)

        def refuse(_descriptor: int, _mode: int) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "fchmod", refuse)
        with pytest.raises(StoreError) as info:
            open_store(f"sqlite:///{database}")
        assert str(info.value) == (
            f"the store file {database} is open to other users (mode 0644) and syncd may not change that "
            f"(not its owner): run `chmod 600 {database}` as its owner"
        )
