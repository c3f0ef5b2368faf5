"""Reads of the mirror: tasks by id, the tasks linked to KRs, each with its links and warnings.

A recompute reads a KR's linked tasks once (`linked_tasks_to_render`): the same rows give the KR's
progress and the tasks whose comments must be rendered again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskSnapshot
from syncd.store.chunks import chunks
from syncd.store.tables import TASK_LINKS, TASKS
from syncd.store.task_rows import SNAPSHOT_COLUMNS, row_snapshot, unknown_from_json


@dataclass(frozen=True)
class TaskToRender:
    """A mirrored task with its links and warnings, as the renderer needs it."""

    task_id: int
    snapshot: TaskSnapshot
    kr_ids: tuple[str, ...]
    unknown: tuple[UnknownKr, ...]


def load_tasks(conn: Connection, task_ids: Iterable[int]) -> list[TaskToRender]:
    """The tasks by id (deleted ones included), with their linked KR ids in id order."""
    ordered = sorted(set(task_ids))
    links: dict[int, list[str]] = {}
    found: list[TaskToRender] = []
    for chunk in chunks(ordered):
        for link in conn.execute(
            select(TASK_LINKS.c.task_id, TASK_LINKS.c.kr_id).where(TASK_LINKS.c.task_id.in_(chunk))
        ):
            links.setdefault(link.task_id, []).append(link.kr_id)
        for row in conn.execute(select(TASKS).where(TASKS.c.id.in_(chunk))):
            snapshot = row_snapshot(row)
            kr_ids = tuple(sorted(links.get(row.id, [])))
            found.append(TaskToRender(row.id, snapshot, kr_ids, unknown_from_json(row.unknown_krs)))
    return found


def tasks_linked_to(conn: Connection, kr_ids: Iterable[str]) -> list[int]:
    """Ids of the non-deleted tasks linked to any of these KRs."""
    found: set[int] = set()
    for chunk in chunks(sorted(set(kr_ids))):
        query = (
            select(TASK_LINKS.c.task_id)
            .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
            .where(TASK_LINKS.c.kr_id.in_(chunk), TASKS.c.deleted.is_(False))
        )
        found.update(conn.execute(query).scalars())
    return sorted(found)


def linked_tasks(conn: Connection, kr_ids: Iterable[str]) -> dict[str, list[TaskSnapshot]]:
    """The non-deleted tasks linked to each KR."""
    found: dict[str, list[TaskSnapshot]] = defaultdict(list)
    for chunk in chunks(sorted(set(kr_ids))):
        for row in conn.execute(_LINKED_TASKS, {"kr_ids": list(chunk)}):
            found[row.kr_id].append(row_snapshot(row))
    return found


#: Built once: a recompute reads every task of its KRs, so this runs hot (a KR may have thousands).
_LINKED_TASKS = (
    select(TASK_LINKS.c.kr_id, *SNAPSHOT_COLUMNS)
    .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
    .where(TASK_LINKS.c.kr_id.in_(bindparam("kr_ids", expanding=True)), TASKS.c.deleted.is_(False))
    .order_by(TASKS.c.id)
)


def linked_tasks_to_render(conn: Connection, kr_ids: Iterable[str]) -> list[TaskToRender]:
    """The non-deleted tasks linked to any of these KRs, each with all its links and warnings, in id order.

    One statement per chunk of KRs: every link of every such task, joined to its task. The rows give
    both each KR's tasks (for its progress) and the tasks to render, so a recompute reads them once."""
    links: dict[int, list[str]] = defaultdict(list)
    rows: dict[int, TaskToRender] = {}
    for chunk in chunks(sorted(set(kr_ids))):
        for row in conn.execute(_LINKED_TASKS_WITH_LINKS, {"kr_ids": list(chunk)}):
            links[row.id].append(row.kr_id)
            if row.id not in rows:
                rows[row.id] = TaskToRender(row.id, row_snapshot(row), (), unknown_from_json(row.unknown_krs))
    return [
        TaskToRender(task_id, item.snapshot, tuple(sorted(set(links[task_id]))), item.unknown)
        for task_id, item in sorted(rows.items())
    ]


#: Every link of every non-deleted task linked to one of `:kr_ids`, with the task's columns.
_LINKED_TASKS_WITH_LINKS = (
    select(TASK_LINKS.c.kr_id, TASKS.c.id, TASKS.c.unknown_krs, *SNAPSHOT_COLUMNS)
    .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
    .where(
        TASKS.c.deleted.is_(False),
        TASK_LINKS.c.task_id.in_(
            select(TASK_LINKS.c.task_id).where(TASK_LINKS.c.kr_id.in_(bindparam("kr_ids", expanding=True)))
        ),
    )
    .order_by(TASKS.c.id)
)


def tasks_by_kr(tasks: Iterable[TaskToRender], kr_ids: Iterable[str]) -> dict[str, list[TaskSnapshot]]:
    """Of `tasks`, the snapshots linked to each of `kr_ids` (in the order given)."""
    wanted = set(kr_ids)
    found: dict[str, list[TaskSnapshot]] = defaultdict(list)
    for item in tasks:
        for kr_id in item.kr_ids:
            if kr_id in wanted:
                found[kr_id].append(item.snapshot)
    return found


def task_by_url(conn: Connection, urls: Sequence[str]) -> Any:
    """The first mirrored task (by id) whose URL is one of `urls`, or None."""
    return conn.execute(select(TASKS).where(TASKS.c.url.in_(list(urls))).order_by(TASKS.c.id)).first()


def tasks_by_external_id(conn: Connection, sources: Sequence[str], external_ids: Sequence[str]) -> list[Any]:
    """The mirrored tasks of `sources` whose external id is one of `external_ids`, in any case (`Acme/Web#1`)."""
    wanted = [external_id.lower() for external_id in external_ids]
    query = select(TASKS).where(TASKS.c.source.in_(list(sources)), func.lower(TASKS.c.external_id).in_(wanted))
    return list(conn.execute(query))


def stored_links(conn: Connection, task_id: int) -> tuple[str, ...]:
    """The KR ids the mirror links task `task_id` to, in id order."""
    query = select(TASK_LINKS.c.kr_id).where(TASK_LINKS.c.task_id == task_id).order_by(TASK_LINKS.c.kr_id)
    return tuple(conn.execute(query).scalars())
