"""KR progress computed from the mirror with the core, for one unit of work.

Loads the linked non-deleted tasks and the metric check-ins of the KRs asked for (in one query each)
and runs `kr_progress`; results are kept for the rest of the unit, so a task linked to several KRs
renders against one consistent set of numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from syncd.config.views import OkrModel
from syncd.core.model import CheckIn
from syncd.core.progress import KrProgress, kr_progress
from syncd.store.chunks import chunks
from syncd.store.tables import CHECK_INS, KEY_RESULTS
from syncd.store.task_reads import linked_tasks
from syncd.store.utc import as_utc


def metric_checkins(conn: Connection, kr_ids: Iterable[str]) -> dict[str, list[CheckIn]]:
    """Metric check-ins (inputs from the API/CLI) of each KR."""
    found: dict[str, list[CheckIn]] = defaultdict(list)
    for chunk in chunks(sorted(set(kr_ids))):
        for row in conn.execute(_METRIC_CHECK_INS, {"kr_ids": list(chunk)}):
            at = as_utc(row.at)
            assert at is not None  # NOT NULL column
            found[row.kr_id].append(CheckIn(kr_id=row.kr_id, at=at, value=row.value, note=row.note or ""))
    return found


#: Index-backed (`ix_check_ins_kr_kind_at`): not a walk through the KR's whole progress history.
_METRIC_CHECK_INS = select(CHECK_INS.c.kr_id, CHECK_INS.c.at, CHECK_INS.c.value, CHECK_INS.c.note).where(
    CHECK_INS.c.kr_id.in_(bindparam("kr_ids", expanding=True)), CHECK_INS.c.kind == "metric"
)


class ProgressBook:
    """Fresh `KrProgress` per KR and each KR's last progress change, computed on first use."""

    def __init__(self, conn: Connection, model: OkrModel, now: datetime) -> None:
        self.conn = conn
        self.model = model
        self.now = now
        self._progress: dict[str, KrProgress] = {}
        self._changed_at: dict[str, datetime | None] = {}

    def adopt(self, progress: Mapping[str, KrProgress]) -> None:
        """Take progress already computed at this book's `now` from the same tasks (not read again)."""
        self._progress.update(progress)

    def compute(self, kr_ids: Iterable[str]) -> Mapping[str, KrProgress]:
        """Progress of the given KRs (those the config knows), loading what is not known yet."""
        wanted = [kr for kr in dict.fromkeys(kr_ids) if kr in self.model.key_results]
        missing = [kr for kr in wanted if kr not in self._progress]
        if missing:
            tasks, checkins = linked_tasks(self.conn, missing), metric_checkins(self.conn, missing)
            for kr_id in missing:
                view = self.model.key_results[kr_id]
                cycle = self.model.cycles[view.cycle_id]
                self._progress[kr_id] = kr_progress(
                    view,
                    tasks.get(kr_id, []),
                    checkins.get(kr_id, []),
                    cycle,
                    self.now,
                    points_prefix=self.model.rules.points_prefix,
                )
        return {kr: self._progress[kr] for kr in wanted}

    def changed_at(self, kr_ids: Iterable[str]) -> Mapping[str, datetime | None]:
        """When each KR's progress last changed, as stored."""
        missing = sorted(set(kr_ids) - set(self._changed_at))
        for chunk in chunks(missing):
            query = select(KEY_RESULTS.c.id, KEY_RESULTS.c.progress_changed_at).where(KEY_RESULTS.c.id.in_(chunk))
            for row in self.conn.execute(query):
                self._changed_at[row.id] = as_utc(row.progress_changed_at)
        return {kr: self._changed_at.get(kr) for kr in kr_ids}
