"""Claiming rows so that two replicas never take the same work.

Work done inside one transaction (applying deliveries, recomputing KRs) claims with row locks:
PostgreSQL `FOR UPDATE SKIP LOCKED` hands each replica different rows, and a crash releases them
with the transaction. SQLite has a single daemon whose write transactions are serial, so a plain
SELECT is the claim there. Work that outlives a transaction (a tracker write) is also marked with
`claimed_by`/`claimed_until`, which lapse on their own if the claimant dies.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, or_, update

S = TypeVar("S", bound=Select[Any])


def skip_locked(conn: Connection, stmt: S, *, of: Any = None) -> S:
    """`stmt` taking row locks and skipping rows another transaction holds (PostgreSQL); only the rows of `of`
    when given (a query that joins aggregates locks only the table it claims from).

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: a claimed task must not block another transaction's
    foreign-key check on it (inserting a push target for that task), or replicas deadlock."""
    if conn.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, key_share=True, of=of)
    return stmt


def locked(conn: Connection, stmt: S) -> S:
    """`stmt` taking row locks (`FOR NO KEY UPDATE`), waiting for rows another transaction holds (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return stmt.with_for_update(key_share=True)
    return stmt


def claimable(table: Table, holder: str, now: datetime) -> Any:
    """SQL condition: the row is unclaimed, its claim lapsed, or `holder` already has it."""
    return or_(table.c.claimed_until.is_(None), table.c.claimed_until < now, table.c.claimed_by == holder)


def mark_claimed(conn: Connection, table: Table, ids: list[int], holder: str, until: datetime) -> None:
    """Record that `holder` works on rows `ids` until `until`."""
    if ids:
        conn.execute(update(table).where(table.c.id.in_(ids)).values(claimed_by=holder, claimed_until=until))


def holder_is_gone(holder: str) -> bool:
    """True when `holder` (`host:pid`) names a process on this host that no longer runs.

    A daemon restarted after `kill -9` takes over its predecessor's leases and claims at once instead
    of waiting for them to lapse; holders on other hosts are only ever waited out."""
    host, _, pid_text = holder.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
