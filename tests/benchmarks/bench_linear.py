"""Request- and complexity-count benchmark of the Linear adapter against the simulator (issue 20).

Run: `python -m tests.benchmarks.bench_linear` (not collected by pytest; about a minute). Seeds 10,000 issues in
team ENG (updates spread over a year, 50 KR labels) and 40 in team DES, then measures:

1. a full backfill of ENG: requests (target at most one per 100 issues plus a constant: 101), the complexity
   points Linear would charge (the simulator prices each query as Linear does and reports `X-Complexity`),
   and the adapter's wall time;
2. the next poll of ENG, which settles the bookmark on the overlap window (one page);
3. an idle poll of every team: requests (target one per team) and complexity.

Baseline: the request count at the Linear SDK's default page size (50 per connection, which also prices
every nested connection at 50). Seeded: the same figures every run.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ISSUES, OTHER_ISSUES, KRS = 10_000, 40, 50
SDK_DEFAULT_FIRST = 50
BACKFILL_TARGET_REQUESTS = ISSUES // 100 + 1
IDLE_TARGET_REQUESTS_PER_TEAM = 1


@dataclass(frozen=True)
class Figure:
    """One measured phase against its target and baseline."""

    name: str
    requests: int
    complexity: int
    seconds: float
    target: str
    baseline: str
    note: str = ""

    def line(self) -> str:
        """A printable row."""
        return (f"{self.name:<26} {self.requests:>8} {self.complexity:>11,} {self.seconds:>7.2f}s  "
                f"{self.target:<24} {self.baseline:<34} {self.note}")  # fmt: skip


class SeedClock:
    """A clock that walks through last year while seeding, then follows the wall clock."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.at: datetime | None = start
        self.step = step

    def __call__(self) -> datetime:
        if self.at is None:
            return datetime.now(UTC)
        self.at += self.step
        return self.at


def main() -> None:
    """Seed, measure each phase, print the table; exit non-zero when a target is missed."""
    _repo_on_path()
    _quiet_logs()
    from adapters.linear.adapter import PAGE_SIZE, LinearAdapter
    from syncd.simulators.linear import LinearSimulator
    from tests.linear.support import TOKEN, linear_config

    clock = SeedClock(datetime.now(UTC) - timedelta(days=366), timedelta(days=365) / ISSUES)
    sim = LinearSimulator(token=TOKEN, clock=clock, complexity_limit=10_000_000)
    sim.start()
    try:
        seed(sim)
        clock.at = None
        adapter = LinearAdapter(linear_config(sim.url, teams=["ENG", "DES"]))
        try:
            figures, missed = run_phases(sim, adapter)
        finally:
            adapter.close()
    finally:
        sim.stop()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Linear adapter: {ISSUES:,} issues in ENG and {OTHER_ISSUES} in DES, {KRS} KR labels, "
          f"{PAGE_SIZE} issues a page; load {load}")  # fmt: skip
    print(f"{'phase':<26} {'requests':>8} {'complexity':>11} {'time':>8}  {'target':<24} {'baseline':<34} note")
    for figure in figures:
        print(figure.line())
    print()
    if missed:
        raise SystemExit("missed: " + "; ".join(missed))


def seed(sim: Any) -> None:
    """ENG's 10,000 issues over 50 KR labels (a fifth done, estimates 1-5), DES's 40."""
    sim.create_team("ENG")
    sim.create_team("DES")
    labels = [sim.label(f"kr:ENG-1.{kr + 1}", "ENG").id for kr in range(KRS)]
    for number in range(ISSUES):
        state = "completed" if number % 5 == 0 else "unstarted"
        sim.state.create_issue("ENG", f"Task {number}", label_ids=[labels[number % KRS]], state_type=state,
                               estimate=float(number % 5 + 1), emit=False)  # fmt: skip
    for number in range(OTHER_ISSUES):
        sim.state.create_issue("DES", f"Design {number}", emit=False)


def run_phases(sim: Any, adapter: Any) -> tuple[list[Figure], list[str]]:
    """Backfill, settle, idle; with the misses against the targets."""
    started = datetime.now(UTC) + timedelta(seconds=1)
    result, backfill = phase(sim, "full backfill (ENG)", lambda: adapter.reconcile("ENG", started))
    assert len(result.snapshots) == ISSUES, f"the backfill listed {len(result.snapshots)} of {ISSUES}"
    naive = math.ceil(ISSUES / SDK_DEFAULT_FIRST)
    backfill = Figure(backfill.name, backfill.requests, backfill.complexity, backfill.seconds,
                      f"<= {BACKFILL_TARGET_REQUESTS} requests", f"SDK default first={SDK_DEFAULT_FIRST}: {naive} req",
                      f"{ISSUES / backfill.seconds:,.0f} issues/s; {backfill.complexity / backfill.requests:,.0f} points/page")  # fmt: skip
    other = adapter.reconcile("DES", started)
    settled, settle = phase(sim, "next poll (settles, ENG)", lambda: adapter.poll(result.bookmark, "ENG", started))
    settle = Figure(settle.name, settle.requests, settle.complexity, settle.seconds, "1 page", "-",
                    f"{len(settled.snapshots)} issue(s) new in the overlap window")  # fmt: skip
    bookmarks = {"ENG": settled.bookmark, "DES": other.bookmark}
    polls, idle = phase(sim, "idle poll (ENG + DES)",
                        lambda: [adapter.poll(bookmarks[t], t, started) for t in adapter.partitions()])  # fmt: skip
    teams = len(adapter.partitions())
    idle = Figure(idle.name, idle.requests, idle.complexity, idle.seconds,
                  f"{IDLE_TARGET_REQUESTS_PER_TEAM} request per team ({teams})", f"SDK default: {teams} req",
                  f"{sum(len(p.snapshots) for p in polls)} issue(s) delivered")  # fmt: skip
    missed = [
        *([f"backfill took {backfill.requests} requests"] if backfill.requests > BACKFILL_TARGET_REQUESTS else []),
        *([f"settling took {settle.requests} requests"] if settle.requests > 1 else []),
        *([f"idle poll took {idle.requests} requests"] if idle.requests > IDLE_TARGET_REQUESTS_PER_TEAM * teams else []),
        *([f"idle poll delivered {sum(len(p.snapshots) for p in polls)} issues"] if any(p.snapshots for p in polls) else []),
    ]  # fmt: skip
    return [backfill, settle, idle], missed


def phase(sim: Any, name: str, run: Callable[[], Any]) -> tuple[Any, Figure]:
    """Run `run`; its result, and the requests, complexity and seconds the simulator saw meanwhile."""
    before, started = len(sim.requests), time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    seen = sim.requests[before:]
    return result, Figure(name, len(seen), sum(r.complexity for r in seen), seconds, "", "")


def _quiet_logs() -> None:
    """Keep per-poll log lines out of the table."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


if __name__ == "__main__":
    main()
