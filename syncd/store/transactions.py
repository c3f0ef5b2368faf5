"""Write transactions for the worker side: one unit of work, committed whole or not at all.

SQLite starts each write transaction with `BEGIN IMMEDIATE`, so a unit that reads before it writes
waits for the write lock up front (busy timeout) instead of failing when another writer committed
in between. PostgreSQL runs at READ COMMITTED; a deadlock or serialization failure between replicas
rolls the unit back and it is run again, a few times, before the error surfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from syncd.store.write_gate import write_gate

T = TypeVar("T")

#: PostgreSQL SQLSTATEs that mean "run the transaction again": deadlock, serialization failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 5

log = structlog.get_logger("syncd.runtime.transactions")


@contextmanager
def write_transaction(engine: Engine, *, derived: bool = False) -> Iterator[Connection]:
    """A connection inside one write transaction: committed when the block ends, rolled back on error.

    `derived`: the transaction writes only what is derived from rows already durable (applying stored
    deliveries, recomputing), so on PostgreSQL its commit does not wait for the WAL flush. A crash of the
    database can lose such a commit only together with its whole transaction, which is then done again
    (the deliveries are still pending, the KRs still dirty); the flushes it no longer forces leave the
    disk to the webhook commits that acknowledge deliveries."""
    with write_gate(engine), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif derived and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def is_retryable(error: BaseException) -> bool:
    """A failure that a fresh attempt of the same transaction can clear (deadlock, serialization, busy)."""
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def is_store_unavailable(error: BaseException) -> bool:
    """The store itself is unreachable (connection refused or lost): nothing the unit of work did wrong."""
    return isinstance(error, DBAPIError) and (error.connection_invalidated or isinstance(error, OperationalError))


def run_in_transaction(engine: Engine, work: Callable[[Connection], T], *, what: str, derived: bool = False) -> T:
    """Run `work` in one write transaction (see `write_transaction` for `derived`), again after a deadlock
    or serialization failure."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with write_transaction(engine, derived=derived) as conn:
                return work(conn)
        except DBAPIError as error:
            if attempt == TRANSACTION_ATTEMPTS or not is_retryable(error):
                raise
            log.info("store.transaction_retried", unit=what, attempt=attempt, reason=type(error.orig).__name__)
    raise AssertionError("unreachable: the last attempt either returned or raised")
