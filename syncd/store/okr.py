"""Config -> store: upsert cycles, objectives and key results; archive (never delete) what the config dropped.

History (check-ins, last progress) stays with an archived row, and a row that comes back in the
config is un-archived. KRs that are new, changed or restored are marked dirty so the recompute step
gives them a fresh progress and status. Mirrored tasks of a source the config no longer names leave
their KRs (marked deleted, as if they had left their tracker); the source's next poll, once it is
configured again, brings them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, update

from syncd.config.models import SyncdConfig
from syncd.store.tables import CYCLES, KEY_RESULTS, OBJECTIVES, TASK_LINKS, TASKS
from syncd.store.upsert import upsert
from syncd.store.utc import to_utc

#: Columns the config owns per table; everything else (progress, status...) belongs to the engine.
_CONFIG_COLUMNS: dict[str, tuple[str, ...]] = {
    "cycles": ("title", "start", "end"),
    "objectives": ("title", "cycle_id", "parent_id", "weight", "rollup", "owner", "position"),
    "key_results": ("objective_id", "title", "measure", "spec", "position"),
}


@dataclass(frozen=True)
class TableChanges:
    """What one config load did to one table, by id."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything in this table moved."""
        return bool(self.added or self.updated or self.archived or self.restored)


@dataclass(frozen=True)
class SyncReport:
    """What loading a config into the store did to cycles, objectives and key results."""

    cycles: TableChanges
    objectives: TableChanges
    key_results: TableChanges
    #: Mirrored tasks that left their KRs because their source is no longer configured.
    retired_tasks: int = 0

    @property
    def changed(self) -> bool:
        """Whether the store differs from before the load."""
        tables = self.cycles.changed or self.objectives.changed or self.key_results.changed
        return tables or self.retired_tasks > 0


def config_rows(config: SyncdConfig) -> dict[str, list[dict[str, Any]]]:
    """The rows the config declares, per table, with only the columns the config owns."""
    cycles = [{"id": c.id, "title": c.title, "start": c.start, "end": c.end} for c in config.cycles]
    objectives: list[dict[str, Any]] = []
    key_results: list[dict[str, Any]] = []
    for position, objective in enumerate(config.objectives):
        objectives.append(
            {
                "id": objective.id,
                "title": objective.title,
                "cycle_id": objective.cycle,
                "parent_id": objective.parent,
                "weight": objective.weight,
                "rollup": objective.rollup,
                "owner": objective.owner,
                "position": position,
            }
        )
        for kr_position, kr in enumerate(objective.key_results):
            key_results.append(
                {
                    "id": kr.id,
                    "objective_id": objective.id,
                    "title": kr.title,
                    "measure": kr.measure,
                    "spec": kr.model_dump(mode="json"),
                    "position": kr_position,
                }
            )
    return {"cycles": cycles, "objectives": objectives, "key_results": key_results}


def sync_config(engine: Engine, config: SyncdConfig, now: datetime) -> SyncReport:
    """Make the store's cycles, objectives and KRs equal to `config`, in one transaction."""
    rows = config_rows(config)
    now = to_utc(now)  # SQLite stores times without their zone: always write UTC
    with engine.begin() as conn:
        cycles = _sync_table(conn, CYCLES, rows["cycles"], now)
        objectives = _sync_table(conn, OBJECTIVES, rows["objectives"], now)
        key_results = _sync_table(conn, KEY_RESULTS, rows["key_results"], now)
        mark_key_results_dirty(conn, (*key_results.added, *key_results.updated, *key_results.restored), now)
        retired = _retire_unconfigured_sources(conn, [source.name for source in config.sources], now)
    return SyncReport(cycles=cycles, objectives=objectives, key_results=key_results, retired_tasks=retired)


def _retire_unconfigured_sources(conn: Connection, sources: Sequence[str], now: datetime) -> int:
    """Mark deleted the live tasks of sources the config no longer names, and dirty the KRs they counted in."""
    orphaned = TASKS.c.deleted.is_(False) & TASKS.c.source.not_in(sources)
    kr_ids = conn.execute(
        select(TASK_LINKS.c.kr_id).distinct().join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id).where(orphaned)
    ).scalars()
    mark_key_results_dirty(conn, sorted(kr_ids), now)
    return conn.execute(update(TASKS).where(orphaned).values(deleted=True)).rowcount


def _sync_table(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], now: datetime) -> TableChanges:
    """Upsert the config's rows into `table`, archive the others, and say what changed."""
    columns = _CONFIG_COLUMNS[table.name]
    existing = {row.id: row for row in conn.execute(select(table.c.id, table.c.archived_at, *_cols(table, columns)))}
    wanted = {row["id"]: row for row in rows}
    added = tuple(key for key in wanted if key not in existing)
    updated = tuple(
        key
        for key, row in wanted.items()
        if key in existing and any(getattr(existing[key], name) != row[name] for name in columns)
    )
    restored = tuple(key for key in wanted if key in existing and existing[key].archived_at is not None)
    archived = tuple(key for key, row in existing.items() if key not in wanted and row.archived_at is None)
    upsert(conn, table, [{**row, "archived_at": None} for row in rows], ["id"], [*columns, "archived_at"])
    if archived:
        conn.execute(update(table).where(table.c.id.in_(archived)).values(archived_at=now))
    return TableChanges(added=added, updated=updated, archived=archived, restored=restored)


def _cols(table: Table, names: Sequence[str]) -> list[Any]:
    """The named columns of `table`."""
    return [table.c[name] for name in names]


def mark_key_results_dirty(conn: Connection, kr_ids: Sequence[str], now: datetime) -> None:
    """Ask the recompute step to look at these KRs again: an earlier mark's time is kept, every mark is
    counted in `dirty_marks` (a recompute computed before this mark must not clear it). `now` in UTC."""
    if kr_ids:
        conn.execute(
            update(KEY_RESULTS)
            .where(KEY_RESULTS.c.id.in_(kr_ids))
            .values(
                dirty_since=func.coalesce(KEY_RESULTS.c.dirty_since, now), dirty_marks=KEY_RESULTS.c.dirty_marks + 1
            )
        )
