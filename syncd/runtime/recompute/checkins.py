"""Metric check-ins: validate one reported value, keep it as a `check_ins` row, recompute at once.

Only metric KRs whose current value comes from check-ins (`aggregate: checkins`) take them. A check-in
is refused, with a message saying what to do, for an unknown KR (close ids suggested), a `tasks` or
`count` KR, a value that is not a finite number, or a time outside the KR's cycle or in the future.
A recorded check-in marks its KR dirty and runs the worker's own recompute step right away, so progress,
history and desired push state follow in the same call (a running daemon would do the same moments later).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from syncd.config.views import OkrModel
from syncd.core.errors import SyncdError
from syncd.core.model import Aggregate, CheckIn, KeyResultView, Measure
from syncd.core.progress import kr_progress
from syncd.core.status import as_utc, cycle_bounds
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.recompute.dirty import Recompute
from syncd.store.connection import Connection
from syncd.store.key_results import insert_check_in, key_result_row
from syncd.store.mirror import mark_krs_dirty
from syncd.store.okr import sync_config
from syncd.store.transactions import run_in_transaction

#: How far ahead of the clock a check-in's time may be (clock skew between a laptop and the server).
FUTURE_SLACK = timedelta(minutes=5)

log = structlog.get_logger("syncd.runtime.checkins")


class CheckInRefused(SyncdError):
    """A check-in syncd will not record. `reason` is one of `unknown_kr`, `not_checkin_kr`,
    `not_a_number`, `outside_cycle`, `in_future`, `bad_time`; the message says what to do."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RecordedCheckIn:
    """A check-in as recorded (with the progress its value alone means), and the KR's standing right after it."""

    kr_id: str
    at: datetime
    value: float
    note: str
    cause: str
    value_progress: float
    progress: float
    status: str
    current: float | None


def parse_value(text: str) -> float:
    """A check-in value typed by a person (`42`, `2.5`, `-3`); refuses words, NaN and infinities."""
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise CheckInRefused(
            f"{text!r} is not a number; give the KR's current value, e.g. 42 or 2.5", reason="not_a_number"
        ) from None
    return finite(value)


def finite(value: float) -> float:
    """`value` when it is a finite number; NaN and infinities are refused."""
    if not math.isfinite(value):
        raise CheckInRefused(f"{value} is not a finite number; give the KR's current value", reason="not_a_number")
    return value


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (`2026-11-02T09:30`, `2026-11-02T09:30:00+01:00`, `2026-11-02`); naive means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CheckInRefused(
            f"{text!r} is not a time; write ISO 8601 like 2026-11-02T09:30:00Z or 2026-11-02", reason="bad_time"
        ) from None
    return as_utc(moment)


def check_in_key_result(okr: OkrModel, kr_id: str) -> KeyResultView:
    """The metric KR `kr_id` names (any case), or a refusal naming close ids or what the KR measures."""
    canonical = okr.rules.canonical(kr_id)
    if canonical is None:
        close = okr.rules.suggestions(kr_id)
        hint = f"did you mean {', '.join(close)}?" if close else "check the id in the config (`syncd check`)"
        raise CheckInRefused(f"no key result {kr_id!r} in the config; {hint}", reason="unknown_kr")
    kr = okr.key_results[canonical]
    if kr.measure is not Measure.METRIC:
        raise CheckInRefused(
            f"{kr.id} measures {kr.measure.value}: its progress comes from linked tasks, not check-ins; "
            "only metric key results (measure: metric, aggregate: checkins) take check-ins",
            reason="not_checkin_kr",
        )
    if kr.aggregate is not Aggregate.CHECKINS:
        raise CheckInRefused(
            f"{kr.id} takes its value from the {kr.aggregate.value} of the tasks' {kr.field!r} field, not check-ins; "
            "set aggregate: checkins in the config to report values by hand",
            reason="not_checkin_kr",
        )
    return kr


def check_in_time(okr: OkrModel, kr: KeyResultView, at: datetime | None, now: datetime) -> datetime:
    """When the check-in counts: `at` (default now), which must lie in the KR's cycle and not ahead of now."""
    moment = as_utc(at or now)
    cycle = okr.cycles[kr.cycle_id]
    start, end = cycle_bounds(cycle)
    if not start <= moment < end:
        raise CheckInRefused(
            f"{moment:%Y-%m-%d %H:%M} UTC is outside {kr.id}'s cycle {cycle.id} ({cycle.start} .. {cycle.end}); "
            "give a time within the cycle with --at (API: at)",
            reason="outside_cycle",
        )
    if moment > as_utc(now) + FUTURE_SLACK:
        raise CheckInRefused(
            f"{moment:%Y-%m-%d %H:%M} UTC is in the future; check in values that were measured already",
            reason="in_future",
        )
    return moment


class CheckIns:
    """Records check-ins into the runtime's store and recomputes their KRs with the worker's step."""

    def __init__(self, runtime: Runtime, okr: OkrCache | None = None) -> None:
        self.runtime = runtime
        self.okr = okr or OkrCache()

    def record(
        self, kr_id: str, value: float, *, note: str = "", at: datetime | None = None, via: str
    ) -> RecordedCheckIn:
        """Validate, insert the `metric` check-in, mark the KR dirty and recompute; `via` is `cli` or `api`."""
        now = self.runtime.clock()
        model = self.okr.model(self.runtime.loaded)
        kr = check_in_key_result(model, kr_id)
        moment = check_in_time(model, kr, at, now)
        value = finite(value)
        self._ensure_in_store(kr.id, now)
        row = _metric_row(model, CheckIn(kr.id, moment, value, note), via)
        run_in_transaction(self.runtime.engine, lambda conn: _insert(conn, row, now), what="record check-in")
        Recompute(self.runtime, self.okr).recompute_krs()
        log.info("checkin.recorded", kr=kr.id, value=value, at=moment.isoformat(), via=via)
        return self._standing(row)

    def _ensure_in_store(self, kr_id: str, now: datetime) -> None:
        """A KR the config has but the store lacks (no daemon ran this config yet) is loaded from the config."""
        with self.runtime.engine.connect() as conn:
            row = key_result_row(conn, kr_id)
        if row is None or row.archived_at is not None:
            sync_config(self.runtime.engine, self.runtime.config, now)

    def _standing(self, check_in: dict[str, Any]) -> RecordedCheckIn:
        with self.runtime.engine.connect() as conn:
            kr = key_result_row(conn, check_in["kr_id"])
        assert kr is not None  # recorded just now, into a KR that was in the store
        return RecordedCheckIn(
            kr_id=check_in["kr_id"],
            at=check_in["at"],
            value=check_in["value"],
            note=check_in["note"],
            cause=check_in["cause"],
            value_progress=check_in["progress"],
            progress=kr.progress,
            status=kr.status,
            current=kr.current,
        )


def _metric_row(model: OkrModel, check_in: CheckIn, via: str) -> dict[str, Any]:
    """The `check_ins` row of one metric input, with the progress that value alone means."""
    kr = model.key_results[check_in.kr_id]
    reading = kr_progress(kr, [], [check_in], model.cycles[kr.cycle_id], check_in.at)
    return {
        "kr_id": kr.id,
        "at": check_in.at,
        "kind": "metric",
        "value": check_in.value,
        "progress": reading.progress,
        "cause": f"check-in ({via})",
        "note": check_in.note,
    }


def _insert(conn: Connection, row: dict[str, Any], now: datetime) -> None:
    insert_check_in(conn, row)
    mark_krs_dirty(conn, [str(row["kr_id"])], now)
