"""The scratch store of a dry run (`syncd plan`): the schema, a read-only copy of a store's baseline, and
what the run left in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from syncd.store.errors import StoreError, display_url, first_line
from syncd.store.schema import Base
from syncd.store.tables import PUSH_TARGETS, TABLES, TASKS

#: The tables a plan starts from, in foreign-key order (the rest is about deliveries and leases).
BASELINE_TABLES = ("cycles", "objectives", "key_results", "tasks", "task_links", "check_ins", "push_targets")
COPY_CHUNK = 1000


def create_tables(engine: Engine) -> None:
    """Create every table of the schema in an empty scratch store."""
    Base.metadata.create_all(engine)


def copy_baseline(source: Engine, target: Engine) -> int:
    """Copy the baseline tables from `source` (read only) into `target` (of `check_ins`, the metric inputs
    only); returns the rows copied."""
    copied = 0
    try:
        with source.connect() as reading, target.begin() as writing:
            for name in BASELINE_TABLES:
                table: Table = TABLES[name]
                query = select(table)
                if name == "check_ins":  # computing needs the metric inputs, not the history of progress
                    query = query.where(table.c.kind == "metric")
                result = reading.execution_options(stream_results=True).execute(query)
                while rows := result.fetchmany(COPY_CHUNK):
                    writing.execute(insert(table), [dict(row._mapping) for row in rows])
                    copied += len(rows)
            reading.rollback()
    except SQLAlchemyError as error:
        where = display_url(source.url.render_as_string(hide_password=False))
        raise StoreError(f"cannot read the store at {where} for the plan: {first_line(error)}") from None
    return copied


def all_targets(engine: Engine) -> dict[tuple[str, str, str], Any]:
    """Every push target's row by (source, kind, key)."""
    with engine.connect() as conn:
        return {(row.source, row.kind, row.key): row for row in conn.execute(select(PUSH_TARGETS))}


def task_urls(engine: Engine) -> dict[tuple[str, str], str]:
    """Each mirrored task's URL by (source, external id), for tasks that have one."""
    with engine.connect() as conn:
        query = select(TASKS.c.source, TASKS.c.external_id, TASKS.c.url).where(func.length(TASKS.c.url) > 0)
        return {(row.source, row.external_id): row.url for row in conn.execute(query)}
