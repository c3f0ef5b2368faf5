"""Push economy: what 1,000 idle linked tasks cost over 30 days, and what one close costs.

Run: `python -m tests.benchmarks.bench_push_economy` from the repository root (not collected by pytest;
`--tasks 1000 --krs 50 --days 30 --seed N` optional; about a minute).

How: simulated time. One fake clock drives the runtime; the worker (hourly housekeeping marks every KR
dirty, since statuses follow the calendar), recompute, desired state and pusher are the daemon's own, on
SQLite, against the fake tracker (tests/support/fake_adapter.py) with an unbounded write pace. The tasks are
spread over the KRs with a seeded mix of done and open, in a cycle that runs from a month before the start
to a month after its end. After every first comment is written, the clock moves 30 days in one-hour steps
with no task changing; then one task is closed.

The same run is made twice: with the comment text of today (`quiet`) and, as the baseline, with the old
status words that carried the expected figure (`on track (expected 45%)`, which moves with the calendar).
Printed per variant: writes over the idle days, how many of them came with a change of the KR's status
(the only reason left to write an idle task's comment), how many comments are then out of date (the daemon
re-renders a task only when its KR's progress, status or task set moves, so the baseline's expected figure
goes stale instead of costing writes), and the writes one close causes against the number of comments it
affects (each at most once).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from pydantic import SecretStr
from sqlalchemy import func, select, update

import adapters.asana.render as asana_render
from adapters.registry import config_model
from syncd.core import render
from syncd.core.model import CycleView, Status, TaskState
from syncd.core.pacing import RateLimit
from syncd.core.progress import KrProgress
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.worker import Worker
from syncd.store.tables import KEY_RESULTS, PUSH_TARGETS, TASKS
from syncd.store.utc import to_utc
from tests.support.fake_adapter import task
from tests.support.worker_env import SOURCE, WorkerEnv, sqlite_bench

#: The coalescing window a change waits before its write (the config's default).
WINDOW = timedelta(seconds=5)


@dataclass(frozen=True)
class Figures:
    """One variant's counts."""

    variant: str
    first_writes: int
    idle_writes: int
    idle_writes_with_a_status_change: int
    status_changes: int
    stale_after_idle: int
    close_writes: int
    close_affected: int
    most_writes_of_one_comment_after_the_close: int
    seconds: float

    def line(self) -> str:
        """The variant's figures in one line."""
        return (
            f"{self.variant:>8}: first comments {self.first_writes}; idle {self.idle_writes} writes "
            f"({self.idle_writes_with_a_status_change} with a KR status change; {self.status_changes} status "
            f"changes in all), {self.stale_after_idle} comments then out of date; one close {self.close_writes} writes for {self.close_affected} affected comments "
            f"(at most {self.most_writes_of_one_comment_after_the_close} per comment); {self.seconds:.1f}s"
        )


def _config(krs: int) -> Any:
    per_objective = 10
    objectives = [
        {
            "id": f"OBJ-{o + 1}",
            "title": f"Objective {o + 1}",
            "cycle": "2026-Q4",
            "key_results": [
                {"id": f"OBJ-{o + 1}.{k + 1}", "title": f"Key result {o + 1}.{k + 1}"}
                for k in range(min(per_objective, krs - o * per_objective))
            ],
        }
        for o in range((krs + per_objective - 1) // per_objective)
    ]
    source = {
        "name": SOURCE,
        "kind": "github",
        "base_url": "http://tracker.test",
        "token": SecretStr("benchmark-token-000000"),
        "repos": ["acme/web"],
    }
    cycle = {"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "title": "Q4"}
    return config_model().model_validate({"cycles": [cycle], "objectives": objectives, "sources": [source]})


def _kr_ids(krs: int) -> list[str]:
    return [f"OBJ-{k // 10 + 1}.{k % 10 + 1}" for k in range(krs)]


def _push_all(env: WorkerEnv, pusher: Pusher) -> int:
    """Let the window pass and write everything due; returns the writes made."""
    before = len(env.tracker.writes)
    env.clock.advance(WINDOW.total_seconds())
    while pusher.run_once():
        env.clock.advance(1)
    return len(env.tracker.writes) - before


def _statuses(env: WorkerEnv) -> dict[str, str]:
    return {row["id"]: str(row["status"]) for row in env.rows(KEY_RESULTS)}


def _stale_comments(env: WorkerEnv, worker: Worker) -> int:
    """How many comments say something other than a fresh rendering of every task would now (the daemon
    re-renders a task when its KR's progress, status or task set moves, not for the calendar alone)."""
    with env.engine.begin() as conn:
        conn.execute(update(TASKS).values(dirty_since=to_utc(env.clock())))
    worker.drain()
    with env.engine.connect() as conn:
        query = select(func.count()).select_from(PUSH_TARGETS)
        return int(conn.scalar(query.where(PUSH_TARGETS.c.desired_hash != PUSH_TARGETS.c.applied_hash)) or 0)


@contextmanager
def _variant(name: str) -> Iterator[None]:
    """`quiet`: today's comments; `baseline`: comments whose status words carry the expected figure."""
    if name == "quiet":
        yield
        return
    quiet_words = render.comment_status_text

    def old_words(progress: KrProgress, cycle: CycleView) -> str:
        """The status words before the quiet rendering: with the expected figure, as `status_text` says."""
        words = quiet_words(progress, cycle)
        if progress.status in (Status.NOT_STARTED, Status.NO_TASKS, Status.DONE):
            return words
        return f"{words} (expected {render.format_percent(progress.expected)})"

    with (
        mock.patch.object(render, "comment_status_text", old_words),
        mock.patch.object(asana_render, "comment_status_text", old_words),
    ):
        yield


def run(variant: str, tasks: int, krs: int, days: int, seed: int) -> Figures:
    """One variant, from an empty store to the close."""
    started = time.monotonic()
    rng = random.Random(seed)
    ids = _kr_ids(krs)
    with (
        tempfile.TemporaryDirectory() as directory,
        _variant(variant),
        sqlite_bench(Path(directory), _config(krs), write_limits=[RateLimit(1_000_000, timedelta(minutes=1))]) as env,
    ):
        numbers: list[int] = []
        for number in range(1, tasks + 1):
            kr_id = ids[(number - 1) % krs]
            state = TaskState.DONE if rng.random() < rng.choice((0.2, 0.45, 0.7)) else TaskState.OPEN
            snapshot = env.tracker.put(task(f"acme/web#{number}", labels=[f"kr:{kr_id}"], state=state))
            env.deliver("task.changed", snapshot=snapshot)
            numbers.append(number)
        worker, pusher = Worker(env.runtime), Pusher(env.runtime)
        worker.drain()
        first = _push_all(env, pusher)

        idle, with_change, changes = 0, 0, 0
        for _ in range(days * 24):
            before = _statuses(env)
            env.clock.advance(3600)
            worker.drain()
            after = _statuses(env)
            changed = {kr for kr in after if after[kr] != before.get(kr)}
            changes += len(changed)
            writes = _push_all(env, pusher)
            idle += writes
            if changed:
                with_change += writes

        stale = _stale_comments(env, worker)
        _push_all(env, pusher)  # bring them up to date before the close (not counted)

        open_ones = [n for n in numbers if env.tracker.tasks[f"acme/web#{n}"].state is TaskState.OPEN]
        closed = f"acme/web#{rng.choice(open_ones)}"
        kr_of_closed = ids[(int(closed.rsplit("#", 1)[1]) - 1) % krs]
        affected = sum(1 for n in numbers if ids[(n - 1) % krs] == kr_of_closed)
        before = len(env.tracker.writes)
        env.clock.advance(1)
        snapshot = env.tracker.put(
            task(closed, labels=[f"kr:{kr_of_closed}"], state=TaskState.DONE, updated_at=env.clock())
        )
        env.deliver("task.changed", snapshot=snapshot)
        worker.drain()
        close_writes = _push_all(env, pusher)
        for _ in range(3):  # a few more windows: nothing else may follow
            env.clock.advance(WINDOW.total_seconds())
            worker.drain()
            close_writes += _push_all(env, pusher)
        per_comment = Counter(w.key for w in env.tracker.writes[before:])
    return Figures(
        variant, first, idle, with_change, changes, stale, close_writes, affected,
        max(per_comment.values(), default=0), time.monotonic() - started,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run both variants and print their figures; exit 1 when the quiet one misses the issue's targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--krs", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args(argv)
    print(f"push economy: {args.tasks} linked tasks over {args.krs} KRs, {args.days} idle days, seed {args.seed}")
    results = [run(variant, args.tasks, args.krs, args.days, args.seed) for variant in ("baseline", "quiet")]
    for figures in results:
        print(figures.line())
    baseline, quiet = results
    print(
        f"idle writes: baseline {baseline.idle_writes}, quiet {quiet.idle_writes}; comments out of date after "
        f"{args.days} idle days: baseline {baseline.stale_after_idle} of {args.tasks}, quiet {quiet.stale_after_idle}"
    )
    wasted = quiet.idle_writes - quiet.idle_writes_with_a_status_change
    ok = wasted == 0 and quiet.stale_after_idle == 0 and quiet.most_writes_of_one_comment_after_the_close <= 1
    print("targets met" if ok else f"TARGETS MISSED: {wasted} idle writes without a status change")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
