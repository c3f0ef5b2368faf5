"""Request-count and write-economy benchmark of the Jira adapter against the simulator (issue 18), both flavours.

Run: `python tests/benchmarks/bench_jira.py` (not collected by pytest; `--changes`, `--seed` optional; about a
minute). Two parts, each on Jira Cloud and on Jira Data Center:

1. Reads (the approach of bench_github.py): 10,000 issues in two projects (ENG, OPS, one source, so one
   partition), `updated` spread over a year, 50 KR labels. A full backfill (target: at most one search request per 100 issues plus a constant of 3: serverInfo,
   GET /field for the story-points field, and room for one more), the next poll (settles on the overlap window),
   and an idle poll (target: 1 request per source, whatever its projects; Jira has no conditional search, so it is
   one search page over `project in ("ENG", "OPS")`).
2. Writes (the approach of bench_push.py: one simulated clock for runtime and site, 100 ms ticks, everything
   else real): 100 issues (two per KR) with a progress comment and the progress field, then 1,000 done/reopen
   changes at random moments of one simulated minute, delivered by the site's signed admin webhook. Counted from
   the adapter's writes and the site's request log: writes against the naive count (every affected issue's
   comment and field per change), the shortest gap between two writes of one target (at least the coalescing
   window), and each issue's HTTP writes in any 2 s and any 30 s against Jira's per-issue limit (20 and 100),
   which the site also enforces on the same clock (a 429 answer counts as a miss).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ISSUES, KRS, PROJECT, PAGE = 10_000, 50, "ENG", 100
#: The projects part 1 reads, all followed by the one source.
READ_PROJECTS = ("ENG", "OPS")
BACKFILL_CONSTANT, IDLE_TARGET_REQUESTS = 3, 1
ISSUES_PER_KR, TICK, WINDOW = 2, 0.1, 2.0
#: Jira's per-issue write limits: (writes, seconds).
ISSUE_LIMITS = ((20, 2.0), (100, 30.0))
START = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
EMAIL, TOKEN, PAT, SECRET = "bench@acme.example", "bench-jira-token", "bench-jira-pat", "bench-jira-secret"
FLAVOURS = ("Cloud", "DataCenter")
WRITE_METHODS = ("POST", "PUT", "DELETE")


class SimClock:
    """The one clock of a run (the site's `updated` stamps and, in part 2, the runtime)."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def source_entry(sim: Any, **extra: Any) -> dict[str, Any]:
    """The `kind: jira` source on `sim` with the credentials its flavour takes."""
    entry: dict[str, Any] = {"name": "acme-jira", "kind": "jira", "base_url": sim.url, "projects": [PROJECT],
                             "webhook_secret": SECRET} | extra  # fmt: skip
    return entry | ({"email": EMAIL, "token": TOKEN} if sim.site.cloud else {"token": PAT})


def site(deployment: str, clock: SimClock) -> Any:
    """A started simulated site of `deployment` with project ENG."""
    from syncd.simulators.jira import JiraSimulator

    sim = JiraSimulator(email=EMAIL, token=TOKEN, personal_access_token=PAT, clock=clock, deployment=deployment)
    sim.start()
    sim.create_project(PROJECT)
    return sim


# -- part 1: reads ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadFigure:
    """One poll of part 1."""

    name: str
    requests: int
    seconds: float
    target: str
    ok: bool
    note: str = ""

    def line(self) -> str:
        """A printable row."""
        verdict = "OK" if self.ok else "MISSED"
        return f"  {self.name:<22} {self.requests:>8} {self.seconds:>8.2f}s  {self.target:<26} {verdict:<7} {self.note}"


def reads(deployment: str) -> list[ReadFigure]:
    """Seed 10,000 issues over a year in two projects, then backfill, settle and idle-poll the source's partition."""
    from adapters.jira.adapter import JiraAdapter
    from adapters.jira.config import JiraSourceConfig

    clock = SimClock()
    sim = site(deployment, clock)
    try:
        for project in READ_PROJECTS[1:]:
            sim.create_project(project)
        step = timedelta(days=365) / ISSUES
        for number in range(ISSUES):
            clock.now = START + number * step
            project = READ_PROJECTS[number % len(READ_PROJECTS)]
            sim.create_issue(project, f"Task {number}", labels=[f"kr:ENG-1.{number % KRS + 1}"], emit=False)
        started = clock.now + timedelta(seconds=1)
        adapter = JiraAdapter(JiraSourceConfig.model_validate(source_entry(sim, projects=list(READ_PROJECTS))))
        try:
            (partition,) = adapter.partitions()
            backfill, requests, seconds = measured(sim, lambda: adapter.poll(None, partition, started))
            assert len(backfill.snapshots) == ISSUES, f"the backfill listed {len(backfill.snapshots)} of {ISSUES}"
            target = math.ceil(ISSUES / PAGE) + BACKFILL_CONSTANT
            pages = sum(1 for r in sim.requests if r.path == sim.site.search_path)
            figures = [
                ReadFigure("full backfill", requests, seconds, f"<= {target} ({ISSUES // PAGE} pages + 3)",
                           requests <= target, f"{pages} search pages; {ISSUES / seconds:,.0f} issues/s"),
            ]  # fmt: skip
            settle, requests, seconds = measured(sim, lambda: adapter.poll(backfill.bookmark, partition, started))
            figures.append(ReadFigure("next poll (settles)", requests, seconds, "1 page + /myself once", requests <= 2,
                                      f"{len(settle.snapshots)} issue(s) new in the overlap window"))  # fmt: skip
            idle, requests, seconds = measured(sim, lambda: adapter.poll(settle.bookmark, partition, started))
            figures.append(ReadFigure("idle poll", requests, seconds, f"{IDLE_TARGET_REQUESTS} request",
                                      requests <= IDLE_TARGET_REQUESTS and not idle.snapshots,
                                      f"{len(idle.snapshots)} issue(s) delivered"))  # fmt: skip
        finally:
            adapter.close()
    finally:
        sim.stop()
    return figures


def measured(sim: Any, run: Callable[[], Any]) -> tuple[Any, int, float]:
    """Run `run`; its result, the requests the site saw meanwhile, and the seconds taken."""
    before, started = len(sim.requests), time.perf_counter()
    result = run()
    return result, len(sim.requests) - before, time.perf_counter() - started


# -- part 2: writes --------------------------------------------------------------------------------------------


@dataclass
class WriteLog:
    """Each write the pusher made (by target) and each HTTP write it cost (by issue), in simulated time."""

    targets: dict[tuple[str, str], list[datetime]] = field(default_factory=lambda: defaultdict(list))
    http: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    def clear(self) -> None:
        """Forget what was logged."""
        self.targets.clear()
        self.http.clear()


class WriteBench:
    """The runtime over a simulated site and a simulated clock (see bench_push.py's `Bench`)."""

    def __init__(self, deployment: str, directory: Path, seed: int) -> None:
        from adapters.jira.adapter import JiraAdapter
        from adapters.registry import config_model
        from syncd.runtime.context import LoadedConfig, Runtime
        from syncd.runtime.poll.scheduler import Scheduler
        from syncd.runtime.push.pusher import Pusher
        from syncd.runtime.worker import Worker
        from syncd.store.engine import create_store_engine
        from syncd.store.migrate import upgrade
        from syncd.store.okr import sync_config

        self.clock, self.log, self.rng = SimClock(), WriteLog(), random.Random(seed)
        self.sim = site(deployment, self.clock)
        self.sim.state.add_hook("syncd", "http://127.0.0.1:9/webhooks/acme-jira", ["jira:issue_updated"], "", SECRET)
        krs = [{"id": f"OBJ-1.{i + 1}", "title": f"Key result {i + 1}"} for i in range(KRS)]
        config = config_model().model_validate(
            {
                "cycles": [{"id": "2026-Q4", "start": "2025-10-01", "end": "2026-12-31"}],
                "objectives": [{"id": "OBJ-1", "title": "Objective", "cycle": "2026-Q4", "key_results": krs}],
                "sources": [source_entry(self.sim, progress_field="KR progress")],
                "push": {"coalesce_window": f"{WINDOW:g}s"},
            }
        )
        engine = create_store_engine(f"sqlite:///{directory / 'bench.db'}")
        upgrade(engine)
        sync_config(engine, config, self.clock())
        adapter = JiraAdapter(config.sources[0])
        self._record(adapter)
        self.runtime = Runtime(loaded=LoadedConfig(config, None, {"acme-jira": adapter}), engine=engine,
                               clock=self.clock, worker_id="bench")  # fmt: skip
        self.worker, self.pusher, self.scheduler = Worker(self.runtime), Pusher(self.runtime), Scheduler(self.runtime)
        self.issues = [
            self.sim.create_issue(PROJECT, f"Task {i}", labels=[f"kr:OBJ-1.{i // ISSUES_PER_KR + 1}"], emit=False)
            for i in range(KRS * ISSUES_PER_KR)
        ]
        self._ingested = len(self.sim.deliveries)

    def _record(self, adapter: Any) -> None:
        """Note every write (and the HTTP writes it made to its issue) at the simulated time it happened."""
        original = adapter.apply

        def apply(task: Any, write: Any) -> Any:
            before = len(self.sim.requests)
            try:
                return original(task, write)
            finally:
                issue = f"/issue/{write.key}"
                made = [r for r in self.sim.requests[before:] if r.method in WRITE_METHODS and issue in r.path]
                self.log.targets[(write.key, write.kind.value)].append(self.clock())
                self.log.http[write.key] += [self.clock()] * len(made)

        adapter.apply = apply

    def tick(self) -> None:
        """Ingest new deliveries, apply and recompute, push what is due and allowed, advance 100 ms."""
        self._ingest()
        self.worker.drain()
        self.pusher.run_once()
        self.clock.now += timedelta(seconds=TICK)

    def _ingest(self) -> None:
        from syncd.ports import WebhookAccepted
        from syncd.store.tables import DELIVERIES

        self.sim.wait_for_deliveries(30)
        fresh, self._ingested = self.sim.deliveries[self._ingested :], len(self.sim.deliveries)
        adapter = self.runtime.adapter("acme-jira")
        assert adapter is not None
        rows = []
        for delivery in fresh:
            headers = {key.lower(): value for key, value in delivery.headers.items()}
            intake = adapter.intake(headers, delivery.body, {}, [])
            if isinstance(intake, WebhookAccepted):
                rows.append({"source": "acme-jira", "delivery_id": intake.delivery_id, "event": intake.event,
                             "body": delivery.body, "received_at": self.clock()})  # fmt: skip
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
        """Tick until every target is written; the simulated time it took."""
        started = self.clock()
        self.tick()
        while not self.synced():
            assert self.clock() - started < limit, "the pusher did not catch up"
            self.tick()
        return self.clock() - started

    def storm(self, changes: int) -> int:
        """`changes` done/reopen transitions at random moments of one simulated minute; the naive write count."""
        moments = sorted(self.rng.uniform(0, 60) for _ in range(changes))
        started, naive = self.clock(), 0
        while moments:
            while moments and (self.clock() - started).total_seconds() >= moments[0]:
                moments.pop(0)
                key = self.rng.choice(self.issues)
                if self.sim.issue(key).category == "done":
                    self.sim.transition(key, "new")
                else:
                    self.sim.transition(key, "done", "Done")
                naive += ISSUES_PER_KR * 2  # the comment and the field of every issue of the task's KR
            self.tick()
        return naive


def most_within(times: list[datetime], seconds: float) -> int:
    """The most of `times` (sorted) inside any `seconds`-long span."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while (moment - times[start]).total_seconds() >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def writes(deployment: str, changes: int, seed: int) -> tuple[list[str], bool]:
    """Part 2 on one flavour: printed lines, and whether every target was met."""
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        bench = WriteBench(deployment, Path(directory), seed)
        try:
            bench.scheduler.run_once()  # backfill: 100 issues mirrored
            first = bench.run_until_synced(timedelta(minutes=10))
            initial = sum(map(len, bench.log.targets.values()))
            bench.log.clear()
            naive = bench.storm(changes)
            drain = bench.run_until_synced(timedelta(minutes=30))
        finally:
            bench.sim.stop()
            bench.runtime.executor.shutdown()
    made = sum(map(len, bench.log.targets.values()))
    gaps = [(b - a).total_seconds() for times in bench.log.targets.values() for a, b in itertools.pairwise(times)]
    gap = min(gaps, default=float("inf"))
    per_issue = {limit: max((most_within(sorted(t), span) for t in bench.log.http.values()), default=0)
                 for limit, span in ISSUE_LIMITS}  # fmt: skip
    windows = max(math.ceil((60 + drain.total_seconds()) / WINDOW), 1)
    refused = sum(1 for r in bench.sim.requests if r.status == 429)  # the site enforces the per-issue limits
    ok = gap >= WINDOW and refused == 0 and all(per_issue[limit] <= limit for limit, _ in ISSUE_LIMITS)
    lines = [
        f"  first comments and fields: {initial} writes in {first.total_seconds():.0f} s simulated",
        f"  storm: {changes} changes over {KRS} KRs in 60 s simulated; caught up {drain.total_seconds():.0f} s later",
        f"  writes: {made} (naive, comment + field of every affected issue per change: {naive}; "
        f"ratio {made / naive:.3f}); HTTP writes {sum(map(len, bench.log.http.values()))}",
        f"  targets written: {len(bench.log.targets)}; most writes of one target: "
        f"{max(map(len, bench.log.targets.values()), default=0)} (at most one per {WINDOW:g} s window: {windows})",
        f"  shortest gap between writes of one target: {gap:.1f} s (coalescing window {WINDOW:g} s) -> "
        f"{'OK' if gap >= WINDOW else 'FAIL'}",
        *(
            f"  most HTTP writes to one issue in any {span:g} s: {per_issue[limit]} (Jira's limit {limit}) -> "
            f"{'OK' if per_issue[limit] <= limit else 'FAIL'}"
            for limit, span in ISSUE_LIMITS
        ),
        f"  429 answers (the site refuses writes past the per-issue limits): {refused} -> "
        f"{'OK' if refused == 0 else 'FAIL'}",
        f"  wall time: {time.perf_counter() - wall:.1f} s",
    ]
    return lines, ok


def main() -> None:
    """Both parts on both flavours; exit non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from syncd.logs import configure_logging

    configure_logging(level="warning")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    missed: list[str] = []
    for deployment in FLAVOURS:
        projects = ", ".join(READ_PROJECTS)
        print(f"Jira {deployment}: reads, {ISSUES:,} issues in {projects} (one partition), {KRS} KR labels")
        print(f"  {'phase':<22} {'requests':>8} {'time':>9}  {'target':<26} {'verdict':<7} note")
        for figure in reads(deployment):
            print(figure.line())
            missed += [] if figure.ok else [f"{deployment} {figure.name}"]
        print(f"Jira {deployment}: writes, {KRS * ISSUES_PER_KR} issues with comment + progress field")
        lines, ok = writes(deployment, args.changes, args.seed)
        print("\n".join(lines))
        missed += [] if ok else [f"{deployment} writes"]
        print()
    if missed:
        raise SystemExit("missed: " + "; ".join(missed))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main()
