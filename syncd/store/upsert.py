"""Dialect-aware INSERT .. ON CONFLICT for SQLite and PostgreSQL, in SQLAlchemy Core (no ORM overhead).

Both dialects share `ON CONFLICT (cols) DO NOTHING / DO UPDATE SET col = excluded.col`, so one code
path builds the statement with the dialect's own `insert` construct, executed with the rows as
parameters so the compiled statement is cached and SQLAlchemy batches it. Rows in one call must carry
the same keys; rows repeating a conflict key are collapsed to the last one (PostgreSQL refuses to
update one row twice in a statement).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, TableClause
from sqlalchemy.dialects import postgresql, sqlite

from syncd.store.errors import StoreError


def dialect_insert(conn: Connection, table: FromClause) -> sqlite.Insert | postgresql.Insert:
    """The dialect's own INSERT construct, which knows ON CONFLICT."""
    if not isinstance(table, TableClause):
        raise TypeError(f"upserts need a table, not {type(table).__name__}")
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise StoreError(f"the store dialect {name!r} is not supported; use sqlite:/// or postgresql://")


def _parameters(rows: Sequence[Mapping[str, Any]], conflict: Sequence[str]) -> list[dict[str, Any]] | dict[str, Any]:
    """One row per conflict key (the last one wins, first-seen order); a lone row as a single execute."""
    columns = set(rows[0])
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if set(row) != columns:
            # executemany would silently drop the keys the first row lacks
            raise ValueError(f"rows of one upsert must name the same columns: {sorted(columns)} vs {sorted(row)}")
        by_key[tuple(row[name] for name in conflict)] = dict(row)
    unique = list(by_key.values())
    return unique[0] if len(unique) == 1 else unique


def insert_ignore(
    conn: Connection, table: FromClause, rows: Sequence[Mapping[str, Any]], conflict: Sequence[str]
) -> int:
    """INSERT rows, skipping those that clash on the `conflict` columns; return how many were inserted."""
    if not rows:
        return 0
    stmt = dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(conflict))
    # RETURNING counts what was inserted on both dialects; rowcount is unreliable for multi-row inserts.
    result = conn.execute(stmt.returning(table.c[conflict[0]]), _parameters(rows, conflict))
    return len(result.all())


def upsert(
    conn: Connection,
    table: FromClause,
    rows: Sequence[Mapping[str, Any]],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """INSERT rows, or UPDATE the `update` columns with the new values where the `conflict` columns clash."""
    if not rows:
        return
    stmt = dialect_insert(conn, table)
    if update:
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict), set_={name: excluded[name] for name in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    conn.execute(stmt, _parameters(rows, conflict))
