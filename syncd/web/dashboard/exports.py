"""CSV exports: a KR's check-in history (`/kr/<id>.csv`) and the overview (`/export/overview.csv?cycle=`).

Times are ISO 8601 UTC; numbers as stored. The API's JSON stays the machine interface; these are for
spreadsheets. Cells that a spreadsheet would read as a formula are prefixed with `'` (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from syncd.config.views import OkrModel
from syncd.runtime.context import Runtime
from syncd.store.goals_read import read_kr_page, read_overview
from syncd.store.key_result_detail import CheckInRecord
from syncd.store.status_query import ObjectiveStatus
from syncd.store.utc import to_utc

HISTORY_COLUMNS = ("at", "kind", "value", "progress", "done", "total", "tasks_added", "tasks_removed", "cause", "note")
OVERVIEW_COLUMNS = ("cycle", "objective", "key_result", "title", "percent", "status", "amount", "last_change")


async def kr_history(runtime: Runtime, okr: OkrModel, kr_id: str) -> Response:
    """The CSV of the KR's check-ins, oldest first, or 404."""
    canonical = okr.rules.canonical(kr_id)
    if canonical is None:
        return PlainTextResponse("Not Found", 404)
    page = await run_in_threadpool(read_kr_page, runtime.engine, okr, canonical, runtime.clock())
    return _csv(f"{canonical}.csv", HISTORY_COLUMNS, history_rows(page.history))


async def overview(runtime: Runtime, okr: OkrModel, cycle: str | None) -> Response:
    """The CSV of every objective (and its KRs) of `cycle` (all cycles when None)."""
    objectives = await run_in_threadpool(read_overview, runtime.engine, okr, runtime.clock())
    chosen = [o for o in objectives if cycle is None or o.cycle == cycle]
    return _csv("overview.csv", OVERVIEW_COLUMNS, overview_rows(chosen))


def history_rows(history: Iterable[CheckInRecord]) -> list[list[object]]:
    """One row per check-in."""
    return [
        [_time(p.at), p.kind, p.value, p.progress, p.done, p.total, p.tasks_added, p.tasks_removed, p.cause, p.note]
        for p in history
    ]


def overview_rows(objectives: Iterable[ObjectiveStatus]) -> list[list[object]]:
    """One row per objective (empty KR column), then one per KR of it."""
    rows: list[list[object]] = []
    for o in objectives:
        rows.append([o.cycle, o.id, "", o.title, o.percent, o.status, "", ""])
        for kr in o.key_results:
            last = _time(kr.last_change) if kr.last_change is not None else ""
            rows.append([o.cycle, o.id, kr.id, kr.title, kr.percent, kr.status, kr.amount, last])
    return rows


def _time(moment: datetime) -> str:
    """ISO 8601 UTC with a Z."""
    return to_utc(moment).isoformat().replace("+00:00", "Z")


def spreadsheet_safe(cell: object) -> object:
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading apostrophe."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return "" if cell is None else cell


def _csv(name: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
