"""One daemon per SQLite file: an exclusive OS lock on `<db>.lock` (0600, ours) holding the owner's pid.

SQLite serialises writers on one machine only, and two daemons would poll and push the same work
twice, so a second daemon is refused with the first one's pid. PostgreSQL coordinates several
processes itself (claims, leases), so there the lock does nothing.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from sqlalchemy.engine import make_url

from syncd.store.engine import normalize_url, resolve_url, sqlite_file
from syncd.store.errors import StoreLocked
from syncd.store.files import open_private_file


def lock_path_for(url: str) -> Path | None:
    """The lock file guarding a SQLite database file, or None (PostgreSQL, in-memory SQLite)."""
    database = sqlite_file(make_url(normalize_url(url)))
    return None if database is None else database.with_name(database.name + ".lock")


class DaemonLock:
    """Context manager that holds the SQLite file for this process, or raises `StoreLocked`."""

    def __init__(self, url: str) -> None:
        self._url = resolve_url(url)
        self.path = lock_path_for(self._url)
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock (idempotent); raise `StoreLocked` naming the holder's pid when another has it."""
        if self.path is None or self._handle is not None:
            return
        # Never through a link, into a FIFO or into another user's file: one planted at this path
        # would have the daemon truncate and overwrite whatever it points at.
        descriptor = open_private_file(self.path, "daemon lock", os.O_RDWR, follow=False, owned=True)
        handle = os.fdopen(descriptor, "r+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(handle)
            handle.close()
            database = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise StoreLocked(
                f"another syncd daemon (pid {holder}) already uses {database}; "
                "stop it or use PostgreSQL for several processes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock back (idempotent); the file stays, emptied, for the next daemon."""
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(handle: IO[str]) -> str:
    """The pid the holder wrote, or 'unknown' while it is still being written."""
    handle.seek(0)
    text = handle.read().strip()
    return text if text.isdigit() else "unknown"
