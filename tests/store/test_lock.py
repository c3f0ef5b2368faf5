"""DaemonLock: one daemon per SQLite file; nothing to lock on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.store.errors import StoreLocked
from syncd.store.lock import DaemonLock

HOLD = "import sys, time; from syncd.store.lock import DaemonLock\nwith DaemonLock(sys.argv[1]):\n    print('held', flush=True); sys.stdin.readline()"


def test_second_daemon_is_refused_with_first_pid(tmp_path: Path) -> None:
    """While another process holds the file, the lock names its pid and suggests PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'syncd.db'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked) as info, DaemonLock(url):
            pass
        assert str(info.value) == (
            f"another syncd daemon (pid {holder.pid}) already uses {tmp_path / 'syncd.db'}; "
            "stop it or use PostgreSQL for several processes"
        )
    finally:
        holder.communicate("\n", timeout=30)
    with DaemonLock(url) as lock:
        assert lock.path is not None
        assert lock.path.read_text().strip() == str(os.getpid())


def test_lock_is_released_on_exit(tmp_path: Path) -> None:
    """Leaving the block lets the next daemon in."""
    url = f"sqlite:///{tmp_path / 'syncd.db'}"
    with DaemonLock(url):
        pass
    with DaemonLock(url) as again:
        assert again.path == tmp_path / "syncd.db.lock"


def test_postgresql_needs_no_lock() -> None:
    """Several processes may share PostgreSQL: the lock takes nothing."""
    with (
        DaemonLock("postgresql://postgres@127.0.0.1:5432/test") as lock,
        DaemonLock("postgresql://postgres@127.0.0.1:5432/test"),
    ):
        assert lock.path is None
