"""Benchmark of the progress engine: 100,000 tasks, 1,000 KRs, 200 objectives (issue 3).

Run: `python tests/benchmarks/bench_engine.py` (not collected by pytest). Prints the full recompute
time, the single-task incremental recompute time (only that task's KRs and their objectives) and the
ratio of the two, against the targets (full < 1 s, single < 1 ms). The data is seeded: same every run.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.core.board import ProgressBoard
    from syncd.core.model import CycleView, KeyResultView, ObjectiveView, TaskSnapshot

TASKS, KRS, OBJECTIVES = 100_000, 1_000, 200
FULL_TARGET_S, SINGLE_TARGET_S = 1.0, 0.001
FULL_RUNS, SINGLE_RUNS = 5, 2_000
NOW = datetime(2025, 2, 15, 12, tzinfo=UTC)


def main() -> None:
    """Build the data, time both paths, check they agree, print the figures."""
    _repo_on_path()
    from syncd.core.board import ProgressBoard
    from syncd.core.matching import MatchRules

    rng = random.Random(20250215)
    cycle, objectives, krs = okr()
    tasks = make_tasks(rng, krs)
    rules = MatchRules(label_prefix="kr:", known_krs=frozenset(krs))
    board = ProgressBoard({cycle.id: cycle}, objectives, krs, rules)
    load_s = timed(lambda: board.links.upsert_all(tasks))
    full = [timed(lambda: board.recompute_all(NOW)) for _ in range(FULL_RUNS)]
    single, touched = incremental(board, rng, tasks)
    agree = agrees_with_full_recompute(board)
    report(load_s, full, single, touched, agree)
    if not agree:
        raise SystemExit("incremental results differ from a full recompute")


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout's `syncd` importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


def okr() -> tuple[CycleView, dict[str, ObjectiveView], dict[str, KeyResultView]]:
    """One quarter; 200 objectives in three levels (20 rolling-up roots, 40 rolling-up middles, 140
    leaves); 5 KRs each: mostly `tasks` (half weighted by points), some `count` and `metric` (sum)."""
    from syncd.core.model import Aggregate, CycleView, KeyResultView, Measure, ObjectiveView, TaskWeight

    cycle = CycleView(id="2025-Q1", start=date(2025, 1, 1), end=date(2025, 3, 31))
    objectives: dict[str, ObjectiveView] = {}
    krs: dict[str, KeyResultView] = {}
    per_objective = KRS // OBJECTIVES
    for index in range(OBJECTIVES):
        parent = None if index < 20 else f"O-{index % 20}" if index < 60 else f"O-{20 + index % 40}"
        kr_ids = tuple(f"KR-{index * per_objective + k}" for k in range(per_objective))
        objectives[f"O-{index}"] = ObjectiveView(
            f"O-{index}", f"Objective {index}", cycle.id, parent, 1.0, index < 60, kr_ids
        )
        for number, kr_id in enumerate(kr_ids):
            view = KeyResultView(kr_id, f"Key result {kr_id}", f"O-{index}", cycle.id, weight=1.0 + number % 3)
            if number == 3:
                view = dataclasses.replace(view, measure=Measure.COUNT, target=50.0)
            elif number == 4:
                view = dataclasses.replace(
                    view, measure=Measure.METRIC, target=5_000.0, aggregate=Aggregate.SUM, field="estimate"
                )
            elif index % 2:
                view = dataclasses.replace(view, task_weight=TaskWeight.POINTS, in_progress_credit=0.5)
            krs[kr_id] = view
    return cycle, objectives, krs


def make_tasks(rng: random.Random, krs: dict[str, KeyResultView]) -> list[TaskSnapshot]:
    """100,000 tasks: one KR label each, a second one on 30%, points on 20%, 1% unknown KR labels (50 ids)."""
    kr_ids = list(krs)
    return [make_task(rng, number, kr_ids) for number in range(TASKS)]


def make_task(rng: random.Random, number: int, kr_ids: list[str]) -> TaskSnapshot:
    """One GitHub-like task with realistic label noise."""
    from syncd.core.model import TaskSnapshot, TaskState

    labels = ["bug" if number % 3 else "feature", f"area:{number % 17}", f"kr:{rng.choice(kr_ids)}"]
    if rng.random() < 0.3:
        labels.append(f"KR:{rng.choice(kr_ids).lower()}")
    if rng.random() < 0.2:
        labels.append(f"points:{rng.choice((1, 2, 3, 5, 8))}")
    if rng.random() < 0.01:
        labels.append(f"kr:KR-{rng.randint(5_000, 5_049)}")  # 50 distinct typos, as teams make them
    state = rng.choices(list(TaskState), weights=(50, 15, 30, 5))[0]
    return TaskSnapshot(
        source="bench",
        external_id=f"acme/web#{number}",
        url=f"https://example.invalid/{number}",
        title=f"Task {number}",
        state=state,
        updated_at=NOW,
        labels=tuple(labels),
        points=float(rng.choice((1, 2, 3))) if rng.random() < 0.5 else None,
        numbers=(("estimate", float(rng.randint(1, 20))),),
        container="acme/web",
    )


def incremental(board: ProgressBoard, rng: random.Random, tasks: list[TaskSnapshot]) -> tuple[list[float], list[int]]:
    """Change one task at a time (new state, sometimes a moved label) and time `board.apply`."""
    from syncd.core.model import TaskState

    durations: list[float] = []
    touched: list[int] = []
    for _ in range(SINGLE_RUNS):
        task = tasks[rng.randrange(len(tasks))]
        labels = task.labels if rng.random() < 0.8 else (*task.labels[:-1], f"kr:KR-{rng.randrange(KRS)}")
        changed = dataclasses.replace(task, state=rng.choice(list(TaskState)), labels=labels)
        started = time.perf_counter()
        change = board.apply(changed, NOW)
        durations.append(time.perf_counter() - started)
        touched.append(len(change.key_results) + len(change.objectives))
    return durations, touched


def agrees_with_full_recompute(board: ProgressBoard) -> bool:
    """The incrementally maintained results equal a full recompute over the same tasks."""
    kr_before = dict(board.key_results)
    objective_before = dict(board.objectives)
    board.recompute_all(NOW)
    return kr_before == dict(board.key_results) and objective_before == dict(board.objectives)


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def report(load_s: float, full: list[float], single: list[float], touched: list[int], agree: bool) -> None:
    """Print the figures and whether they meet the targets."""
    full_s = statistics.median(full)
    single_s = statistics.median(single)
    p95 = statistics.quantiles(single, n=20)[-1]
    print(
        f"engine benchmark: {TASKS:,} tasks, {KRS:,} key results, {OBJECTIVES} objectives (python {sys.version.split()[0]})"
    )
    print(f"  index (match + link all tasks, once at start-up): {load_s * 1000:9.1f} ms")
    print(
        f"  full recompute   median of {FULL_RUNS}: {full_s * 1000:9.1f} ms  (best {min(full) * 1000:.1f} ms)  target < {FULL_TARGET_S * 1000:.0f} ms: {verdict(full_s, FULL_TARGET_S)}"
    )
    print(
        f"  single-task update median of {len(single)}: {single_s * 1e6:7.1f} us  (p95 {p95 * 1e6:.1f} us, max {max(single) * 1e6:.1f} us)  target < {SINGLE_TARGET_S * 1e6:.0f} us: {verdict(single_s, SINGLE_TARGET_S)}"
    )
    print(f"  recomputed per update: {statistics.mean(touched):.1f} KRs+objectives on average")
    print(f"  ratio full / single: {full_s / single_s:,.0f}x")
    print(f"  incremental results equal a full recompute: {'yes' if agree else 'NO'}")


def verdict(value: float, target: float) -> str:
    """`ok` when under target, else `MISSED`."""
    return "ok" if value < target else "MISSED"


if __name__ == "__main__":
    main()
