"""A worker-side test bench: an OKR config, a migrated store, a fake tracker and a `Runtime` on a fake clock.

env = make_env(engine)            # or the `env` fixture (SQLite in tmp_path)
env.tracker.put(task("acme/web#1", labels=["kr:ENG-1.1"]))
env.deliver("task.changed", snapshot=...)   # stores a delivery row as the webhook would
env.clock.advance(5)
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, insert, select

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.core.model import TaskSnapshot
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.store.engine import create_store_engine
from syncd.store.okr import sync_config
from syncd.store.tables import DELIVERIES, KEY_RESULTS, PUSH_TARGETS, TASKS
from syncd.store.utc import as_utc
from tests.support.fake_adapter import EPOCH, FakeAdapter, FakeTracker
from tests.support.store import migrated_sqlite, sqlite_url

SOURCE = "fake"


class FakeClock:
    """A clock that moves only when told; also usable as `Runtime.clock`."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move forward and return the new now."""
        self.now += timedelta(seconds=seconds)
        return self.now


def okr_config(**overrides: Any) -> SyncdConfig:
    """Two objectives, five KRs (tasks, points, metric, count), one source named `fake`."""
    data: dict[str, Any] = {
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "title": "Q4"}],
        "objectives": [
            {
                "id": "ENG-1",
                "title": "Delight new customers",
                "cycle": "2026-Q4",
                "key_results": [
                    {"id": "ENG-1.1", "title": "Ship self-serve onboarding"},
                    {"id": "ENG-1.2", "title": "Fix the top bugs", "task_weight": "points"},
                    {"id": "ENG-1.3", "title": "Cut time to value", "measure": "metric", "start": 7, "target": 2},
                ],
            },
            {
                "id": "ENG-2",
                "title": "Scale",
                "cycle": "2026-Q4",
                "key_results": [{"id": "ENG-2.1", "title": "Close five epics", "measure": "count", "target": 5}],
            },
        ],
        "sources": [
            {
                "name": SOURCE,
                "kind": "github",
                "base_url": "http://tracker.test",
                "token": SecretStr("t"),
                "repos": ["acme/web"],
                "poll_interval": "60s",
                "reconcile_interval": "1h",
            }
        ],
    }
    data.update(overrides)
    return config_model().model_validate(data)


@dataclass
class WorkerEnv:
    """Everything a worker-side test touches."""

    runtime: Runtime
    tracker: FakeTracker
    adapter: FakeAdapter
    clock: FakeClock
    engine: Engine

    def deliver(self, event: str, *, snapshot: TaskSnapshot | None = None, key: str = "") -> str:
        """Store one delivery as the webhook endpoint would (status pending); return its delivery id."""
        delivery_id = f"d-{next(_delivery_ids)}"
        body = self.adapter.delivery(event, snapshot=snapshot, key=key)
        with self.engine.begin() as conn:
            conn.execute(
                insert(DELIVERIES).values(
                    source=SOURCE, delivery_id=delivery_id, event=event, body=body, received_at=self.clock()
                )
            )
        return delivery_id

    def rows(self, table: Any, **where: Any) -> list[Mapping[str, Any]]:
        """Rows of a table (optionally filtered by column equality) as dicts, times as aware UTC, by id."""
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        if "id" in table.c:
            query = query.order_by(table.c.id)
        with self.engine.connect() as conn:
            return [_aware(row._mapping) for row in conn.execute(query)]

    def task_row(self, external_id: str) -> Mapping[str, Any]:
        """The mirrored task."""
        (row,) = self.rows(TASKS, external_id=external_id)
        return row

    def kr(self, kr_id: str) -> Mapping[str, Any]:
        """The stored KR row."""
        (row,) = self.rows(KEY_RESULTS, id=kr_id)
        return row

    def targets(self, **where: Any) -> list[Mapping[str, Any]]:
        """Push target rows."""
        return self.rows(PUSH_TARGETS, **where)


_delivery_ids = itertools.count(1)


def _aware(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with naive times (SQLite) marked UTC, so tests compare alike on both dialects."""
    return {key: as_utc(value) if isinstance(value, datetime) else value for key, value in row.items()}


def make_env(engine: Engine, config: SyncdConfig | None = None, **adapter_options: Any) -> WorkerEnv:
    """Sync the config into a migrated store and build a runtime over a fake tracker."""
    clock = FakeClock()
    config = config or okr_config()
    sync_config(engine, config, clock())
    tracker = FakeTracker(clock=clock)
    adapter = FakeAdapter(tracker, name=SOURCE, **adapter_options)
    loaded = LoadedConfig(config=config, path=None, adapters={SOURCE: adapter})
    runtime = Runtime(loaded=loaded, engine=engine, clock=clock, worker_id="test-worker")
    return WorkerEnv(runtime=runtime, tracker=tracker, adapter=adapter, clock=clock, engine=engine)


_TEMPLATES: dict[str, Path] = {}


def migrated_copy(directory: Path) -> Engine:
    """A migrated SQLite store in `directory`, copied from one migrated once per test session (fast)."""
    if "sqlite" not in _TEMPLATES:
        template_dir = Path(tempfile.mkdtemp(prefix="syncd-template-"))
        with migrated_sqlite(template_dir):
            pass
        _TEMPLATES["sqlite"] = template_dir / "syncd.db"
    shutil.copyfile(_TEMPLATES["sqlite"], directory / "syncd.db")
    return create_store_engine(sqlite_url(directory))


@contextmanager
def sqlite_bench(directory: Path, config: SyncdConfig | None = None, **adapter_options: Any) -> Iterator[WorkerEnv]:
    """A worker bench on a migrated SQLite store in `directory`; use it in a fixture of your test module."""
    engine = migrated_copy(directory)
    bench = make_env(engine, config, **adapter_options)
    try:
        yield bench
    finally:
        bench.runtime.executor.shutdown(wait=True)
        engine.dispose()
