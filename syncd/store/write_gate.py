"""One writer at a time per SQLite file, within this process, handed over without polling.

SQLite lets one transaction write the whole file. A writer that finds the lock taken sleeps in the
busy handler (1, 2, 5, 10 ms ...) and retries, so the webhook writer could sleep for milliseconds
after the worker's transaction had already ended. Writers of this process that take the gate first
queue on a mutex instead and start the moment the previous one commits; SQLite's own lock (busy
timeout) still guards against other processes, such as an admin command. PostgreSQL locks rows, so
its gate is a no-op.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine

_GATES: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def write_gate(engine: Engine) -> AbstractContextManager[object]:
    """A context to hold around one write transaction on `engine` (a mutex for SQLite, nothing otherwise)."""
    gate = sqlite_write_lock(engine)
    return nullcontext() if gate is None else gate


def sqlite_write_lock(engine: Engine) -> threading.Lock | None:
    """The gate of a SQLite `engine` as the mutex itself (to take it without waiting); None for PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return None
    with _GUARD:
        gate = _GATES.get(engine)
        if gate is None:
            gate = _GATES[engine] = threading.Lock()
    return gate
