"""The dry run behind `syncd plan`: what the daemon would write if it ran this config now.

Nothing is written anywhere. The store the config names is only read: its OKR rows, mirrored tasks,
links, check-ins and push targets are copied into a scratch SQLite store in a temporary directory.
There the config is loaded as a reload would (`sync_config`, everything marked dirty), every
partition of every source is listed in full with `adapter.reconcile` (read-only requests), and the
worker's own steps (`Worker.drain`: match, recompute, desired push state) run unchanged. The targets
whose desired content then differs from what was applied are the writes; `syncd.runtime.push.write_preview`
describes them (old -> new, diff) and the time the write budget needs. Goals that get no write because
their metric KR has no current value yet are listed with why (`Plan.held`).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.errors import TrackerError
from syncd.core.matching import MatchRules
from syncd.core.model import Aggregate, KeyResultView
from syncd.ports import OkrStore, PollResult, SourceAdapter
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.push.write_preview import PlannedWrite, SourcePlan, SourceRead, planned_writes, source_plan
from syncd.runtime.recompute.progress_book import ProgressBook
from syncd.runtime.reload import build_adapters, build_stores, close_adapters, mark_everything_dirty
from syncd.runtime.worker import Worker
from syncd.store.bookmarks import save_poll
from syncd.store.connection import Connection, Engine
from syncd.store.engine import create_store_engine
from syncd.store.errors import display_url
from syncd.store.okr import sync_config
from syncd.store.scratch import all_targets, copy_baseline, create_tables, task_urls
from syncd.store.transactions import run_in_transaction

log = structlog.get_logger("syncd.runtime.plan")


@dataclass(frozen=True)
class Plan:
    """Every write the config would make now, per-source totals, and what kept the plan from being complete."""

    generated_at: datetime
    baseline: str
    writes: tuple[PlannedWrite, ...]
    sources: tuple[SourcePlan, ...]
    problems: tuple[str, ...]
    dry_run: bool
    #: Targets the config asks for that get no write, and why (a metric KR's goal with no current value yet).
    held: tuple[str, ...] = ()


def make_plan(
    config: SyncdConfig,
    baseline: Engine | None,
    now: datetime,
    *,
    adapters: Callable[[SyncdConfig], Mapping[str, SourceAdapter]] = build_adapters,
    stores: Callable[[SyncdConfig], Mapping[str, OkrStore]] = build_stores,
) -> Plan:
    """Plan `config` against the `baseline` store (None: an empty one) and the live trackers, writing nothing
    (OKR stores are not even read: their targets are planned from what the store last recorded as applied)."""
    built = adapters(config)
    okr_stores = stores(config)
    try:
        with tempfile.TemporaryDirectory(prefix="syncd-plan-") as scratch_dir:
            scratch = create_store_engine(f"sqlite:///{Path(scratch_dir) / 'plan.db'}")
            try:
                return _plan(config, baseline, scratch, (built, okr_stores), now)
            finally:
                scratch.dispose()
    finally:
        close_adapters(built)
        close_adapters(okr_stores)


def _plan(
    config: SyncdConfig,
    baseline: Engine | None,
    scratch: Engine,
    built: tuple[Mapping[str, SourceAdapter], Mapping[str, OkrStore]],
    now: datetime,
) -> Plan:
    adapters, stores = built
    create_tables(scratch)
    where = "an empty store (no store yet)"
    if baseline is not None:
        where = display_url(baseline.url.render_as_string(hide_password=False))
        copy_baseline(baseline, scratch)
    applied = all_targets(scratch)
    runtime = Runtime(loaded=LoadedConfig(config, None, adapters, stores), engine=scratch, clock=lambda: now)
    try:
        sync_config(scratch, config, now)
        mark_everything_dirty(scratch, now)
        polled = {name: _poll_source(runtime, name, adapter, now) for name, adapter in adapters.items()}
        Worker(runtime).drain()
        writes = planned_writes(all_targets(scratch), applied, task_urls(scratch))
        held = held_goals(runtime, now)
    finally:
        runtime.executor.shutdown(wait=True)
    sources = tuple(
        source_plan(name, adapter, [w for w in writes if w.source == name], polled[name])
        for name, adapter in adapters.items()
    ) + tuple(
        source_plan(name, store, [w for w in writes if w.source == name], SourceRead())
        for name, store in stores.items()
    )
    problems = tuple(f"{s.source}: {s.problem}" for s in sources if s.problem)
    return Plan(now, where, tuple(writes), sources, problems, config.push.dry_run, held)


def held_goals(runtime: Runtime, now: datetime) -> tuple[str, ...]:
    """The goals the config feeds that get no value, each with why: a metric KR with no current value yet
    (no check-in, or no linked task with its number field) feeds nothing rather than its start value."""
    if not runtime.config.push.goals:
        return ()
    model = build_okr(runtime.config)
    notes: list[str] = []
    with runtime.engine.connect() as conn:
        book = ProgressBook(conn, model, now)
        for name, adapter in sorted(runtime.loaded.adapters.items()):
            for kr_id, progress in sorted(book.compute(adapter.goal_ids()).items()):
                if not progress.value_known:
                    notes.append(f"goal {kr_id} ({name}): nothing to write, {_no_value(model.key_results[kr_id])}")
        conn.rollback()
    return tuple(notes)


def _no_value(kr: KeyResultView) -> str:
    if kr.aggregate is Aggregate.CHECKINS:
        return f"no current value yet (no check-in); record one with `syncd checkin {kr.id} VALUE`"
    return f"no current value yet (no linked task has a number in its field {kr.field!r})"


def _poll_source(runtime: Runtime, name: str, adapter: SourceAdapter, now: datetime) -> SourceRead:
    """List every partition of one source in full into the scratch store; a tracker failure is kept, not raised."""
    polled = SourceRead()
    rules = build_okr(runtime.config).rules
    try:
        for partition in adapter.partitions():
            result = adapter.reconcile(partition, now)
            save = functools.partial(_save, name=name, result=result, rules=rules, now=now)
            run_in_transaction(runtime.engine, save, what=f"plan {name} {partition}")
            polled.partitions += 1
            polled.tasks += len(result.snapshots)
            polled.requests += result.requests
    except TrackerError as error:
        polled.problem = runtime.redact(
            f"could not list every task ({error}); the plan leaves this source's tasks as stored"
        )
        log.warning("plan.source_failed", source=name, error=str(error))
    return polled


def _save(conn: Connection, *, name: str, result: PollResult, rules: MatchRules, now: datetime) -> None:
    save_poll(conn, name, result, rules, now)
