"""The contract suite's bench: one registered tracker's simulator, its real adapter, and syncd's runtime.

    with contract_bench(descriptor, tmp_path) as bench:
        task = bench.tracker.create_task("Ship it", labels=["kr:ENG-1.1"])
        bench.backfill()                    # the first reconciliation, recompute, push
        bench.tracker.set_state(task, "done")
        bench.poll()                        # an incremental poll (the clock jumps past poll_interval)
        assert bench.progress("ENG-1.1") == 1.0

The tracker comes from the descriptor's `contract_simulator` only; the adapter is the descriptor's
`build_adapter` over the source entry the driver hands out. The runtime's clock is the wall clock plus
a shift the bench moves to make polls due; waits a tracker names (Retry-After) pass in real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Engine, func, select, update

from adapters.descriptor import TrackerDescriptor
from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.ingest.handshakes import install_webhooks
from syncd.runtime.poll.scheduler import Scheduler
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.worker import Worker
from syncd.simulators.contract import ContractTask, SimulatedTracker
from syncd.store.okr import sync_config
from syncd.store.tables import DELIVERIES, KEY_RESULTS, PUSH_TARGETS, TASK_LINKS, TASKS
from tests.support.served_app import serving_app
from tests.support.worker_env import migrated_copy

SOURCE = "contract"
KR = "ENG-1.1"
OTHER_KR = "ENG-1.2"
#: In-progress tasks count this much (so "in progress" shows in the progress, not only in the mirror).
IN_PROGRESS_CREDIT = 0.25
#: No poll or reconciliation falls due by itself: `poll()` moves the clock past this.
POLL_INTERVAL = timedelta(hours=1)
#: Each poll reaches back this far, past every clock jump a test makes (the simulators use the wall clock).
POLL_OVERLAP = timedelta(days=2)


class ShiftedClock:
    """The wall clock plus a shift that only grows (`advance`)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, by: timedelta) -> None:
        """Move the clock forward by `by`."""
        self.shift += by


def contract_config(source: Mapping[str, Any]) -> SyncdConfig:
    """One objective of two task KRs (ENG-1.1 credits in-progress tasks) and the tracker's source."""
    today = datetime.now(UTC).date()
    data = {
        "cycles": [
            {
                "id": "now",
                "start": (today - timedelta(days=30)).isoformat(),
                "end": (today + timedelta(days=60)).isoformat(),
            }
        ],
        "objectives": [
            {
                "id": "ENG-1",
                "title": "Delight new customers",
                "cycle": "now",
                "key_results": [
                    {"id": KR, "title": "Ship self-serve onboarding", "in_progress_credit": IN_PROGRESS_CREDIT},
                    {"id": OTHER_KR, "title": "Fix the top bugs"},
                ],
            }
        ],
        "sources": [
            {
                **source,
                "poll_interval": "1h",
                "reconcile_interval": "30d",
                "poll_overlap": "2d",
            }
        ],
        "push": {"coalesce_window": "1ms"},
    }
    return config_model().model_validate(data)


@dataclass
class ContractBench:
    """A tracker, the runtime over its real adapter, and the steps of a daemon taken one at a time."""

    descriptor: TrackerDescriptor
    tracker: SimulatedTracker
    runtime: Runtime
    engine: Engine
    clock: ShiftedClock
    webhook_url: str | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    def __post_init__(self) -> None:
        # One of each for the bench's life, as in the daemon: they keep holds and pacing between steps.
        self.scheduler = Scheduler(self.runtime)
        self.worker = Worker(self.runtime)
        self.pusher = Pusher(self.runtime)

    def __enter__(self) -> ContractBench:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop what the bench started (the served app, if any)."""
        self._stack.close()

    @property
    def adapter(self) -> Any:
        """The source's real adapter (as the runtime holds it)."""
        return self.runtime.adapter(SOURCE)

    # -- the daemon's steps ----------------------------------------------------------------------
    def backfill(self) -> None:
        """The first tick: every partition reconciled, then recomputed and pushed."""
        self.schedule()
        self.settle()

    def poll(self) -> None:
        """An incremental poll (the clock jumps past `poll_interval`), then recompute and push."""
        self.clock.advance(POLL_INTERVAL + timedelta(seconds=1))
        self.schedule()
        self.settle()

    def schedule(self) -> int:
        """One scheduler tick: polls that are due, refresh requests that are due."""
        return self.scheduler.run_once()

    def settle(self, rounds: int = 4) -> None:
        """Deliver queued webhooks, then apply deliveries, serve refreshes, recompute and push until quiet."""
        if self.webhook_url is not None:
            self.tracker.flush_webhooks()
        for _ in range(rounds):
            worked = self.worker.drain()
            self.clock.advance(timedelta(seconds=2))  # past the refresh debounce and the write pacing
            worked += self.schedule() + self.worker.drain() + self.pusher.run_once()
            if not worked:
                return

    def step(self) -> int:
        """Apply deliveries, tick the scheduler, recompute, push: one round of the daemon's loops, no clock jump."""
        return self.worker.drain() + self.schedule() + self.worker.drain() + self.pusher.run_once()

    def converge(self, done: Callable[[], bool], *, timeout: float = 20.0, what: str = "convergence") -> None:
        """Run the daemon's steps in real time (no clock jumps: holds end when the tracker said) until `done`."""
        deadline = time.monotonic() + timeout
        while True:
            self.step()
            if done():
                return
            assert time.monotonic() < deadline, f"no {what} within {timeout}s"
            time.sleep(0.05)

    def serve_webhooks(self) -> str:
        """Serve the daemon's web app and install the source's webhooks through it (handshakes included)."""
        url = self._stack.enter_context(serving_app(self.runtime))
        actions = install_webhooks(self.engine, self.adapter, url, dry_run=False, clock=self.clock)
        assert actions, "installing webhooks did nothing"
        self.webhook_url = url
        self.tracker.flush_webhooks()
        self.tracker.next_moment()
        return url

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> httpx.Response:
        """POST a delivery to the daemon."""
        return httpx.post(url, headers=dict(headers), content=body, timeout=10)

    # -- what the store says ---------------------------------------------------------------------
    def progress(self, kr: str = KR) -> float:
        """The KR's progress as stored."""
        with self.engine.connect() as conn:
            value = conn.scalar(select(KEY_RESULTS.c.progress).where(KEY_RESULTS.c.id == kr))
        return float(value or 0.0)

    def mirrored(self, task: ContractTask) -> Mapping[str, Any] | None:
        """The mirror's row of a task (None when it was never seen); `deleted` marks one that left."""
        query = select(TASKS).where(TASKS.c.source == SOURCE, TASKS.c.external_id == task.external_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def links(self, task: ContractTask) -> set[str]:
        """The KRs the mirrored task links to."""
        query = (
            select(TASK_LINKS.c.kr_id)
            .join(TASKS, TASKS.c.id == TASK_LINKS.c.task_id)
            .where(TASKS.c.source == SOURCE, TASKS.c.external_id == task.external_id)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def mirrored_ids(self) -> set[str]:
        """Every live task of the source in the mirror."""
        query = select(TASKS.c.external_id).where(TASKS.c.source == SOURCE, TASKS.c.deleted.is_(False))
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def deliveries(self, status: str | None = None) -> int:
        """Stored deliveries of the source (of one status)."""
        query = select(func.count()).select_from(DELIVERIES).where(DELIVERIES.c.source == SOURCE)
        if status is not None:
            query = query.where(DELIVERIES.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def forget_remote_ids(self, task: ContractTask) -> int:
        """Lose the stored remote ids of a task's writes (a store restored from an old backup); how many."""
        query = update(PUSH_TARGETS).where(PUSH_TARGETS.c.source == SOURCE, PUSH_TARGETS.c.key == task.external_id)
        with self.engine.begin() as conn:
            return int(conn.execute(query.values(remote_id=None)).rowcount)

    def unsynced_targets(self) -> int:
        """Push targets whose desired state is not applied yet."""
        query = (
            select(func.count())
            .select_from(PUSH_TARGETS)
            .where(
                PUSH_TARGETS.c.source == SOURCE,
                PUSH_TARGETS.c.desired_hash != func.coalesce(PUSH_TARGETS.c.applied_hash, ""),
            )
        )
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)


@contextmanager
def contract_bench(
    descriptor: TrackerDescriptor, directory: Path, *, field_write: bool = False
) -> Iterator[ContractBench]:
    """A started tracker of `descriptor`, a migrated SQLite store in `directory`, and a runtime over the
    tracker's real adapter; everything is stopped and closed afterwards."""
    tracker = cast(SimulatedTracker, descriptor.load_contract_simulator()())
    with ExitStack() as stack:
        tracker.start()
        stack.callback(tracker.stop)
        config = contract_config(tracker.source_config(SOURCE, field_write=field_write))
        (source,) = config.sources
        adapter = descriptor.build_adapter(source, lambda _outcome: None)
        stack.callback(adapter.close)
        engine = migrated_copy(directory)
        stack.callback(engine.dispose)
        clock = ShiftedClock()
        sync_config(engine, config, clock())
        runtime = Runtime(loaded=LoadedConfig(config, None, {SOURCE: adapter}), engine=engine, clock=clock)
        stack.callback(runtime.executor.shutdown, wait=True)
        bench = ContractBench(descriptor, tracker, runtime, engine, clock)
        with bench:
            yield bench
