"""Each source's health row (`source_state`): poll outcomes, budget, and tracker trouble seen by requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from syncd.store.tables import SOURCE_STATE
from syncd.store.upsert import upsert
from syncd.store.utc import as_utc, to_utc

#: The columns the request watch owns (the poller's columns are left alone).
TROUBLE_COLUMNS = ("trouble_since", "trouble", "trouble_seen_at")


def failing_since(conn: Connection, source: str) -> datetime | None:
    """Since when the source's polls fail, or None while they work."""
    query = select(SOURCE_STATE.c.failing_since).where(SOURCE_STATE.c.source == source)
    return as_utc(conn.execute(query).scalar_one_or_none())


def save_poll_outcome(conn: Connection, source: str, values: Mapping[str, object]) -> None:
    """Set `values` on the source's row, creating it on the first poll (other columns keep theirs); times are
    stored in UTC."""
    row = {name: to_utc(value) if isinstance(value, datetime) else value for name, value in values.items()}
    upsert(conn, SOURCE_STATE, [{"source": source, **row}], conflict=["source"], update=list(row))


def save_troubles(engine: Engine, troubles: Sequence[Mapping[str, object]]) -> None:
    """Write sources' trouble columns (`source` plus `TROUBLE_COLUMNS` per row) in one transaction of their own."""
    rows = [
        {name: to_utc(value) if isinstance(value, datetime) else value for name, value in row.items()}
        for row in troubles
    ]
    with engine.begin() as conn:
        upsert(conn, SOURCE_STATE, rows, conflict=["source"], update=list(TROUBLE_COLUMNS))
