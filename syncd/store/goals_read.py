"""What the goals dashboard reads: a KR's page (status, tasks, history) and an objective's KRs with their histories.

Read-only, one connection per page; frozen rows. The overview reads `status_query.objective_statuses` and the sources
page `status_query.read_status`, so the dashboard shows exactly the numbers the CLI and the API show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from syncd.config.views import OkrModel
from syncd.store.chunks import chunks
from syncd.store.key_result_detail import HISTORY_LIMIT, CheckInRecord, LinkedTask, check_in_record, linked_tasks
from syncd.store.read_only import read_only
from syncd.store.status_query import KeyResultStatus, ObjectiveStatus, key_result_status, objective_statuses
from syncd.store.tables import CHECK_INS
from syncd.store.utc import to_utc


@dataclass(frozen=True)
class KrPage:
    """One KR as its page shows it: status, linked tasks, check-ins (oldest first)."""

    key_result: KeyResultStatus
    objective: str
    tasks: tuple[LinkedTask, ...]
    history: tuple[CheckInRecord, ...]


@dataclass(frozen=True)
class KrSummary:
    """One KR of an objective's page: its status and its progress history (oldest first)."""

    key_result: KeyResultStatus
    history: tuple[CheckInRecord, ...]


def read_overview(engine: Engine, okr: OkrModel, now: datetime) -> tuple[ObjectiveStatus, ...]:
    """Every objective with its KRs at `now`, as `syncd status` shows them (without the operational half)."""
    return read_only(engine, "the objectives", lambda conn: objective_statuses(conn, okr, to_utc(now)))


def read_kr_page(engine: Engine, okr: OkrModel, kr_id: str, now: datetime) -> KrPage:
    """The page of the configured KR `kr_id` (exact id) at `now`."""
    objective = okr.key_results[kr_id].objective_id

    def read(conn: Connection) -> KrPage:
        status = key_result_status(conn, okr, kr_id, now)
        return KrPage(status, objective, linked_tasks(conn, kr_id), history(conn, [kr_id]).get(kr_id, ()))

    return read_only(engine, f"key result {kr_id}", read)


def read_objective_krs(engine: Engine, okr: OkrModel, objective_id: str, now: datetime) -> tuple[KrSummary, ...]:
    """The KRs of the configured objective `objective_id` (config order), each with its progress history."""
    kr_ids = okr.objectives[objective_id].key_result_ids

    def read(conn: Connection) -> tuple[KrSummary, ...]:
        found = history(conn, kr_ids, kinds=("progress",))
        return tuple(KrSummary(key_result_status(conn, okr, kr, now), found.get(kr, ())) for kr in kr_ids)

    return read_only(engine, f"objective {objective_id}", read)


def history(
    conn: Connection,
    kr_ids: Iterable[str],
    *,
    kinds: Iterable[str] = ("progress", "metric"),
    limit: int = HISTORY_LIMIT,
) -> dict[str, tuple[CheckInRecord, ...]]:
    """Per KR, its newest `limit` check-ins of these kinds, oldest first (one query per chunk of KRs)."""
    found: dict[str, list[CheckInRecord]] = defaultdict(list)
    for chunk in chunks(sorted(set(kr_ids))):
        query = (
            select(CHECK_INS)
            .where(CHECK_INS.c.kr_id.in_(chunk), CHECK_INS.c.kind.in_(list(kinds)))
            .order_by(CHECK_INS.c.kr_id, CHECK_INS.c.at.desc(), CHECK_INS.c.id.desc())
        )
        for row in conn.execute(query):
            points = found[row.kr_id]
            if len(points) < limit:
                points.append(check_in_record(row))
    return {kr: tuple(reversed(points)) for kr, points in found.items()}
