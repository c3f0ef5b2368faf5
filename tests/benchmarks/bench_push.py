"""Push benchmark: 1,000 task changes over 50 KRs within one minute, against the GitHub simulator.

Run: `python tests/benchmarks/bench_push.py` (not collected by pytest; `--changes`, `--seed` optional).

How: simulated time. One fake clock drives the runtime (coalescing window, write pace, `now`) and the
simulator's `updated_at`, advanced in 100 ms ticks; everything else is real: the simulator over HTTP,
the GitHub adapter (PyGithub), its webhook payloads (captured from the simulator's sender and stored
as the webhook endpoint would), the worker (apply, recompute, desired state) and the pusher on
SQLite. 100 issues (two per KR) get their first comments, then 1,000 close/reopen changes land at
random moments of one simulated minute. Printed: content writes against the naive count (one write per
affected comment per change), the shortest gap between two writes of one comment (must be at least the
coalescing window) and the most writes in any 60 s (must be at most 80), and wall time.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.ports import PushWrite, SourceAdapter, WriteResult
    from syncd.runtime.context import Runtime
    from syncd.simulators.github import GitHubSimulator

KRS, ISSUES_PER_KR, REPO, TICK = 50, 2, "acme/web", 0.1
PACE, WINDOW = 80, 2.0
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class SimClock:
    """The one clock of the benchmark (runtime and simulator alike)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def whole_seconds(self) -> datetime:
        """What the simulator stamps `updated_at` with (GitHub has whole seconds)."""
        return self.now.replace(microsecond=0)


@dataclass
class WriteLog:
    """Every content write the pusher made, by comment, in simulated time."""

    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    def all(self) -> list[datetime]:
        """Every write's time, sorted."""
        return sorted(t for times in self.times.values() for t in times)


def _config(sim: GitHubSimulator) -> Any:
    from adapters.registry import config_model

    krs = [{"id": f"OBJ-1.{i + 1}", "title": f"Key result {i + 1}"} for i in range(KRS)]
    return config_model().model_validate(
        {
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [{"id": "OBJ-1", "title": "Objective", "cycle": "2026-Q4", "key_results": krs}],
            "sources": [
                {
                    "name": "acme-github",
                    "kind": "github",
                    "base_url": sim.api_url,
                    "token": "sim-token",
                    "webhook_secret": "sim-webhook-secret",
                    "repos": [REPO],
                }
            ],
            "push": {"coalesce_window": f"{WINDOW:g}s"},
        }
    )


def _recording(adapter: SourceAdapter, clock: SimClock, log: WriteLog) -> SourceAdapter:
    """The adapter, with every comment write noted in simulated time."""
    original = adapter.apply

    def apply(task: Any, write: PushWrite) -> WriteResult:
        result = original(task, write)
        log.times[write.key].append(clock())
        return result

    adapter.apply = apply  # type: ignore[method-assign]
    return adapter


class Bench:
    """The runtime, simulator and loop of one benchmark run."""

    def __init__(self, directory: Path, seed: int) -> None:
        from adapters.github.adapter import build_adapter
        from syncd.runtime.context import LoadedConfig, Runtime
        from syncd.runtime.poll.scheduler import Scheduler
        from syncd.runtime.push.pusher import Pusher
        from syncd.runtime.worker import Worker
        from syncd.simulators.github import GitHubSimulator
        from syncd.store.engine import create_store_engine
        from syncd.store.migrate import upgrade
        from syncd.store.okr import sync_config

        self.clock, self.writes, self.rng = SimClock(), WriteLog(), random.Random(seed)
        self.sim = GitHubSimulator(clock=self.clock.whole_seconds, writes_per_minute=None)
        self.sim.start()
        self.sim.create_repo(REPO)
        self.sim.add_webhook_target("http://127.0.0.1:9/webhooks/acme-github", "sim-webhook-secret")
        config = _config(self.sim)
        engine = create_store_engine(f"sqlite:///{directory / 'bench.db'}")
        upgrade(engine)
        sync_config(engine, config, self.clock())
        adapter = _recording(build_adapter(config.sources[0]), self.clock, self.writes)
        loaded = LoadedConfig(config, None, {"acme-github": adapter})
        self.runtime: Runtime = Runtime(loaded=loaded, engine=engine, clock=self.clock, worker_id="bench")
        self.worker, self.pusher, self.scheduler = Worker(self.runtime), Pusher(self.runtime), Scheduler(self.runtime)
        self.issues = [
            self.sim.create_issue(REPO, f"Task {i}", labels=[f"kr:OBJ-1.{i // ISSUES_PER_KR + 1}"])
            for i in range(KRS * ISSUES_PER_KR)
        ]
        self._ingested = len(self.sim.deliveries)

    def tick(self) -> None:
        """Ingest new webhooks, apply and recompute, push what is due and allowed, advance 100 ms."""
        self._ingest()
        self.worker.drain()
        self.pusher.run_once()
        self.clock.now += timedelta(seconds=TICK)

    def _ingest(self) -> None:
        from syncd.ports import WebhookAccepted
        from syncd.store.tables import DELIVERIES

        self.sim.wait_for_deliveries(30)
        fresh, self._ingested = self.sim.deliveries[self._ingested :], len(self.sim.deliveries)
        adapter = self.runtime.adapter("acme-github")
        assert adapter is not None
        rows = []
        for delivery in fresh:
            headers = {key.lower(): value for key, value in delivery.headers.items()}
            intake = adapter.intake(headers, delivery.body, {}, [])
            if isinstance(intake, WebhookAccepted):
                rows.append(
                    {"source": "acme-github", "delivery_id": intake.delivery_id, "event": intake.event,
                     "body": delivery.body, "received_at": self.clock()}
                )  # fmt: skip
        if rows:
            with self.runtime.engine.begin() as conn:
                conn.execute(DELIVERIES.insert(), rows)

    def synced(self) -> bool:
        """No push target waits for a write."""
        from sqlalchemy import func, select

        from syncd.store.tables import PUSH_TARGETS

        query = select(func.count()).where(
            PUSH_TARGETS.c.desired_hash != func.coalesce(PUSH_TARGETS.c.applied_hash, "")
        )
        with self.runtime.engine.connect() as conn:
            return int(conn.execute(query).scalar_one()) == 0

    def run_until_synced(self, limit: timedelta) -> timedelta:
        """Tick until every target is written; return the simulated time it took."""
        started = self.clock()
        self.tick()
        while not self.synced():
            assert self.clock() - started < limit, "the pusher did not catch up"
            self.tick()
        return self.clock() - started

    def storm(self, changes: int) -> int:
        """`changes` closes/reopens at random moments of one simulated minute; returns the naive write count."""
        moments = sorted(self.rng.uniform(0, 60) for _ in range(changes))
        started, naive = self.clock(), 0
        while moments:
            while moments and (self.clock() - started).total_seconds() >= moments[0]:
                moments.pop(0)
                number = self.rng.choice(self.issues)
                if self.sim.issue(REPO, number)["state"] == "open":
                    self.sim.close_issue(REPO, number)
                else:
                    self.sim.reopen_issue(REPO, number)
                naive += ISSUES_PER_KR  # every comment of the task's KR changes
            self.tick()
        return naive


def _most_in_a_minute(times: list[datetime]) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= timedelta(minutes=1):
            start += 1
        best = max(best, end - start + 1)
    return best


def _shortest_gap(log: WriteLog) -> float:
    gaps = [(b - a).total_seconds() for times in log.times.values() for a, b in itertools.pairwise(times)]
    return min(gaps, default=float("inf"))


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from syncd.logs import configure_logging

    configure_logging(level="warning")
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        bench = Bench(Path(directory), args.seed)
        try:
            bench.scheduler.run_once()  # backfill: 100 issues mirrored
            first = bench.run_until_synced(timedelta(minutes=10))
            initial = len(bench.writes.all())
            bench.writes.times.clear()
            naive = bench.storm(args.changes)
            drain = bench.run_until_synced(timedelta(minutes=30))
        finally:
            bench.sim.stop()
            bench.runtime.executor.shutdown()
    writes = bench.writes.all()
    most, gap = _most_in_a_minute(writes), _shortest_gap(bench.writes)
    print(f"first comments: {initial} writes in {first.total_seconds():.0f} s simulated")
    print(
        f"storm: {args.changes} changes over {KRS} KRs in 60 s simulated; caught up {drain.total_seconds():.0f} s later"
    )
    print(
        f"content writes: {len(writes)} (naive, one per affected comment per change: {naive}; ratio {len(writes) / naive:.3f})"
    )
    print(
        f"comments written: {len(bench.writes.times)}; most writes of one comment: {max(map(len, bench.writes.times.values()))}"
    )
    print(
        f"shortest gap between writes of one comment: {gap:.1f} s (coalescing window {WINDOW:g} s) -> {'OK' if gap >= WINDOW else 'FAIL'}"
    )
    print(f"most writes in any 60 s: {most} (pace {PACE}/min) -> {'OK' if most <= PACE else 'FAIL'}")
    print(f"wall time: {time.perf_counter() - wall:.1f} s")
    if gap < WINDOW or most > PACE:
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main()
