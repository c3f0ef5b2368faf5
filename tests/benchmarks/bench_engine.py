"""Benchmark of the progress engine the daemon runs: the worker's recompute of one KR on SQLite (issue 17).

Run: `python -m tests.benchmarks.bench_engine` (not collected by pytest; `--sizes 1000,10000`, `--changes 20`,
`--profile` for where a task change's time goes).

How: one KR (ENG-1.1 of the worker bench's config, tests/support/worker_env.py) links N tasks of the fake tracker.
They arrive as stored deliveries and are applied by the real worker, so the mirror, links, KR rows and push
targets are the daemon's own, in a migrated SQLite file. Then, with the worker's own calls, it times:
- recompute of one KR: the KR marked dirty with nothing changed (what the hourly housekeeping asks): `recompute_krs()`;
- a task change: one task closes or reopens (a delivery), `apply_batch()` then `recompute_krs()`; progress moves,
  a check-in is kept, and the desired comment of each of the KR's N tasks is rendered again (each shows the
  KR's progress), so its cost grows with N whatever computes the progress;
- the core alone: `kr_progress` over the same N tasks in memory (the part an in-memory board could keep).
After the changes the stored progress must equal `kr_progress` over the tasks as last delivered, or it exits 1.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.core.model import TaskSnapshot
    from syncd.runtime.worker import Worker
    from tests.support.worker_env import WorkerEnv

KR = "ENG-1.1"
SIZES = (1_000, 10_000)
CHANGES, IDLE_RUNS, CORE_RUNS = 20, 10, 50
SEED_CHUNK = 1_000


@dataclass(frozen=True)
class Figures:
    """What one size measured, in seconds (lists are per run)."""

    tasks: int
    seed: float
    idle: list[float]
    apply: list[float]
    recompute: list[float]
    core: list[float]
    agree: bool
    profile: str


def main(argv: Sequence[str] | None = None) -> None:
    """Measure each size, print the figures; exit 1 if a stored progress disagrees with the core."""
    args = _arguments(argv)
    _repo_on_path()
    from syncd.logs import configure_logging

    configure_logging(level="warning")
    results = [measure(size, args.changes, profile=args.profile) for size in args.sizes]
    report(results)
    if not all(figures.agree for figures in results):
        raise SystemExit("the stored progress differs from kr_progress over the same tasks")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=list(SIZES))
    parser.add_argument("--changes", type=int, default=CHANGES)
    parser.add_argument("--profile", action="store_true", help="profile the task changes of each size")
    return parser.parse_args(argv)


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout's `syncd` and `tests` importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


def measure(size: int, changes: int, *, profile: bool) -> Figures:
    """Seed one KR with `size` tasks in a fresh store and time the worker on it."""
    from syncd.runtime.worker import Worker
    from tests.support.worker_env import sqlite_bench

    with tempfile.TemporaryDirectory(prefix="syncd-bench-engine-") as directory, sqlite_bench(Path(directory)) as env:
        worker = Worker(env.runtime)
        tasks, seed_s = seed(env, worker, size)
        idle = [idle_recompute(env, worker) for _ in range(IDLE_RUNS)]
        profiler = cProfile.Profile() if profile else None
        apply_s, recompute_s = task_changes(env, worker, tasks, changes, profiler)
        core = [timed(lambda: core_progress(env, tasks)) for _ in range(CORE_RUNS)]
        agree = abs(float(env.kr(KR)["progress"]) - core_progress(env, tasks)) < 1e-9
        return Figures(size, seed_s, idle, apply_s, recompute_s, core, agree, _top(profiler))


def seed(env: WorkerEnv, worker: Worker, size: int) -> tuple[dict[str, TaskSnapshot], float]:
    """Store `size` deliveries of tasks linked to the KR (a third done), apply them, recompute; return the tasks."""
    from sqlalchemy import insert

    from syncd.core.model import TaskState
    from syncd.store.tables import DELIVERIES
    from tests.support.fake_adapter import task
    from tests.support.worker_env import SOURCE

    started = time.perf_counter()
    now = env.clock()
    tasks = {
        f"acme/web#{n}": task(
            f"acme/web#{n}", labels=[f"kr:{KR}"], state=TaskState.DONE if n % 3 == 0 else TaskState.OPEN, updated_at=now
        )
        for n in range(size)
    }
    rows = [
        {
            "source": SOURCE,
            "delivery_id": f"seed-{n}",
            "event": "task.changed",
            "body": env.adapter.delivery("task.changed", snapshot=snapshot),
            "received_at": now,
        }
        for n, snapshot in enumerate(tasks.values())
    ]
    for start in range(0, len(rows), SEED_CHUNK):
        with env.engine.begin() as conn:
            conn.execute(insert(DELIVERIES), rows[start : start + SEED_CHUNK])
    while worker.deliveries.apply_batch():
        pass
    worker.drain()
    return tasks, time.perf_counter() - started


def idle_recompute(env: WorkerEnv, worker: Worker) -> float:
    """Mark the KR dirty as the housekeeping does (nothing changed) and time the worker's recompute of it."""
    from syncd.runtime.recompute.dirty import lock_rollup
    from syncd.store.mirror import mark_krs_dirty

    now = env.clock.advance(1)
    with env.engine.begin() as conn:
        lock_rollup(conn)
        mark_krs_dirty(conn, [KR], now)
    return timed(lambda: _expect_one(worker.recompute.recompute_krs()))


def task_changes(
    env: WorkerEnv, worker: Worker, tasks: dict[str, TaskSnapshot], changes: int, profiler: cProfile.Profile | None
) -> tuple[list[float], list[float]]:
    """Close or reopen one task at a time; time applying its delivery and recomputing its KR."""
    from syncd.core.model import TaskState

    apply_s: list[float] = []
    recompute_s: list[float] = []
    ids = list(tasks)
    for number in range(changes):
        external_id = ids[(number * 7919) % len(ids)]  # spread over the KR's tasks, same every run
        before = tasks[external_id]
        state = TaskState.OPEN if before.state is TaskState.DONE else TaskState.DONE
        tasks[external_id] = replace(before, state=state, updated_at=env.clock.advance(1))
        env.deliver("task.changed", snapshot=tasks[external_id])
        if profiler is not None:
            profiler.enable()
        apply_s.append(timed(lambda: _expect_one(worker.deliveries.apply_batch())))
        recompute_s.append(timed(lambda: _expect_one(worker.recompute.recompute_krs())))
        if profiler is not None:
            profiler.disable()
    return apply_s, recompute_s


def core_progress(env: WorkerEnv, tasks: dict[str, TaskSnapshot]) -> float:
    """The KR's progress by the core over the tasks in memory (no store)."""
    from syncd.core.progress import kr_progress
    from syncd.runtime.okr_cache import OkrCache

    model = OkrCache().model(env.runtime.loaded)
    view = model.key_results[KR]
    result = kr_progress(
        view,
        list(tasks.values()),
        [],
        model.cycles[view.cycle_id],
        env.clock(),
        points_prefix=model.rules.points_prefix,
    )
    return result.progress


def _expect_one(handled: int) -> None:
    if handled != 1:
        raise SystemExit(f"expected the worker to handle one row, it handled {handled}")


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _top(profiler: cProfile.Profile | None) -> str:
    if profiler is None:
        return ""
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"syncd/(runtime|store|core)", 30)
    return out.getvalue()


def report(results: list[Figures]) -> None:
    """Print one block per size: medians with p95, in milliseconds."""
    print(f"engine benchmark: the worker's recompute of one KR on SQLite (python {sys.version.split()[0]})")
    for figures in results:
        change = [a + r for a, r in zip(figures.apply, figures.recompute, strict=True)]
        print(f"  {figures.tasks:,} tasks in the KR (seeded through the worker in {figures.seed:.1f} s)")
        print(f"    recompute of the KR, nothing changed  {_ms(figures.idle)}")
        print(f"    task change: apply its delivery       {_ms(figures.apply)}")
        print(f"    task change: recompute its KR         {_ms(figures.recompute)}")
        print(f"    task change: total                    {_ms(change)}")
        print(f"    core alone: kr_progress in memory     {_ms(figures.core)}")
        ratio = statistics.median(figures.recompute) / statistics.median(figures.core)
        print(f"    ratio recompute of the KR / core alone: {ratio:,.0f}x")
        print(f"    stored progress equals the core's: {'yes' if figures.agree else 'NO'}")
        if figures.profile:
            print(figures.profile)


def _ms(runs: list[float]) -> str:
    p95 = statistics.quantiles(runs, n=20)[-1] if len(runs) > 1 else runs[0]
    return f"median {statistics.median(runs) * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms  (n={len(runs)})"


if __name__ == "__main__":
    main()
