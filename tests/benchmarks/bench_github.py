"""Request-count and wall-time benchmark of the GitHub adapter against the simulator (issue 4).

Run: `python tests/benchmarks/bench_github.py` (not collected by pytest; under a minute). Seeds 10,000
issues in one repository (timestamps spread over a year, 50 KR labels), then measures:

1. a full backfill: requests (target 101, the minimum at 100 per page), the adapter's wall time, and
   the time to save it to a fresh SQLite store with its bookmark in one transaction (target under 5 s
   in all; github-to-sqlite takes about 36 s for the same mirror);
2. the next poll, which settles the bookmark on the overlap window (one page, 200);
3. an idle poll: requests (target 1, answered 304) and whether it cost any rate limit.

Baselines: PyGithub's defaults (30 per page, 0.25 s throttle per request) for requests and time, and
github-to-sqlite's 36 s for the backfill. Seeded: the same figures every run.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ISSUES, KRS, REPO = 10_000, 50, "acme/big"
PYGITHUB_DEFAULT_PER_PAGE, PYGITHUB_DEFAULT_THROTTLE_S = 30, 0.25
GITHUB_TO_SQLITE_S = 36.0
BACKFILL_TARGET_REQUESTS, BACKFILL_TARGET_S, IDLE_TARGET_REQUESTS = 101, 5.0, 1


@dataclass(frozen=True)
class Figure:
    """One measured phase against its target and baseline."""

    name: str
    requests: int
    seconds: float
    target: str
    baseline: str
    note: str = ""

    def line(self) -> str:
        """A printable row."""
        return f"{self.name:<28} {self.requests:>8} {self.seconds:>8.2f}s  {self.target:<22} {self.baseline:<30} {self.note}"


def main() -> None:
    """Seed, measure each phase, print the table; exit non-zero when a target is missed."""
    _repo_on_path()
    _quiet_logs()
    from adapters.github.adapter import build_adapter
    from tests.support.github_sim import github_source_config, start_github_sim

    sim = start_github_sim((REPO,))
    try:
        for kr in range(KRS):
            sim.seed_issues(REPO, ISSUES // KRS, labels=[f"kr:ENG-1.{kr + 1}"], spread=timedelta(days=365))
        adapter = build_adapter(github_source_config(sim, repos=(REPO,)))
        try:
            figures, missed = run_phases(sim, adapter)
        finally:
            adapter.close()
    finally:
        sim.stop()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"GitHub adapter: {ISSUES:,} issues in {REPO}, {KRS} KR labels, PyGithub {_pygithub_version()}; load {load}")
    print(f"{'phase':<28} {'requests':>8} {'time':>9}  {'target':<22} {'baseline':<30} note")
    for figure in figures:
        print(figure.line())
    print()
    if missed:
        raise SystemExit("missed: " + "; ".join(missed))


def run_phases(sim: Any, adapter: Any) -> tuple[list[Figure], list[str]]:
    """Backfill (adapter, then store), settle, idle; with the misses against the targets."""
    started = datetime.now(UTC) + timedelta(seconds=1)
    backfill, stored, result = backfill_phase(sim, adapter, started)
    settled, settle = settle_phase(sim, adapter, result.bookmark, started)
    idle, free = idle_phase(sim, adapter, settle.bookmark, started)
    missed = [
        *([f"backfill took {backfill.requests} requests"] if backfill.requests > BACKFILL_TARGET_REQUESTS else []),
        *([f"backfill + store took {stored.seconds:.2f}s"] if stored.seconds >= BACKFILL_TARGET_S else []),
        *([f"idle poll took {idle.requests} requests"] if idle.requests > IDLE_TARGET_REQUESTS else []),
        *([] if free else ["idle poll was not a free 304"]),
    ]
    return [backfill, stored, settled, idle], missed


def backfill_phase(sim: Any, adapter: Any, started: datetime) -> tuple[Figure, Figure, Any]:
    """The first poll of the repository, then saving it (with its bookmark) in one store transaction."""
    engine, rules = _store()
    cpu_before = time.process_time()
    result, requests, poll_s = measured(sim, lambda: adapter.poll(None, REPO, started))
    cpu_s = time.process_time() - cpu_before
    assert len(result.snapshots) == ISSUES, f"the backfill listed {len(result.snapshots)} of {ISSUES}"
    store_s = timed(lambda: _save(engine, result, rules))
    naive = math.ceil(ISSUES / PYGITHUB_DEFAULT_PER_PAGE)
    backfill = Figure(
        "full backfill (adapter)", requests, poll_s, f"<= {BACKFILL_TARGET_REQUESTS} requests",
        f"PyGithub defaults: {naive} req, >= {naive * PYGITHUB_DEFAULT_THROTTLE_S:.0f}s", f"{ISSUES / poll_s:,.0f} issues/s; CPU {cpu_s:.2f}s (client + simulator)",
    )  # fmt: skip
    total_s = poll_s + store_s
    stored = Figure(
        "full backfill + store", requests, total_s, f"< {BACKFILL_TARGET_S:g}s",
        f"github-to-sqlite ~{GITHUB_TO_SQLITE_S:g}s ({GITHUB_TO_SQLITE_S / total_s:.1f}x)",
        f"store {store_s:.2f}s (SQLite, bookmark in the same transaction)",
    )  # fmt: skip
    return backfill, stored, result


def settle_phase(sim: Any, adapter: Any, bookmark: Any, started: datetime) -> tuple[Figure, Any]:
    """The poll after the backfill: the overlap window fits one page, whose ETag is kept."""
    settle, requests, seconds = measured(sim, lambda: adapter.poll(bookmark, REPO, started))
    statuses = [r.status for r in sim.requests[-requests:]]
    note = f"{len(settle.snapshots)} issue(s) in the overlap window, status {statuses}"
    return Figure("next poll (settles)", requests, seconds, "1 page", "-", note), settle


def idle_phase(sim: Any, adapter: Any, bookmark: Any, started: datetime) -> tuple[Figure, bool]:
    """A poll with nothing changed: one conditional request answered 304, costing no rate limit."""
    remaining = sim.rate_limit.headers()["x-ratelimit-remaining"]
    idle, requests, seconds = measured(sim, lambda: adapter.poll(bookmark, REPO, started))
    free = idle.not_modified and sim.rate_limit.headers()["x-ratelimit-remaining"] == remaining
    note = (
        f"status {[r.status for r in sim.requests[-requests:]]}, not_modified={idle.not_modified}, "
        f"rate limit spent: {'none' if free else 'some'}"
    )
    naive = math.ceil(ISSUES / PYGITHUB_DEFAULT_PER_PAGE)
    target = f"{IDLE_TARGET_REQUESTS} request, 304"
    return Figure("idle poll", requests, seconds, target, f"PyGithub defaults: {naive} req", note), free


def measured(sim: Any, run: Callable[[], Any]) -> tuple[Any, int, float]:
    """Run `run`; return its result, the requests the simulator saw meanwhile, and the seconds taken."""
    before, started = len(sim.requests), time.perf_counter()
    result = run()
    return result, len(sim.requests) - before, time.perf_counter() - started


def timed(run: Callable[[], Any]) -> float:
    """Seconds `run` takes."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _store() -> tuple[Any, Any]:
    """A migrated SQLite store in a temp dir with the 50 KRs loaded, and the matching rules."""
    from adapters.registry import config_model
    from syncd.core.matching import MatchRules
    from syncd.store.engine import create_store_engine
    from syncd.store.migrate import upgrade
    from syncd.store.okr import sync_config

    directory = tempfile.mkdtemp(prefix="bench-github-")
    engine = create_store_engine(f"sqlite:///{directory}/syncd.db")
    upgrade(engine)
    krs = [{"id": f"ENG-1.{n + 1}", "title": f"KR {n + 1}"} for n in range(KRS)]
    config = config_model().model_validate(
        {
            "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [{"id": "ENG-1", "title": "Objective", "cycle": "2026-Q4", "key_results": krs}],
        }
    )
    sync_config(engine, config, datetime.now(UTC))
    return engine, MatchRules(label_prefix="kr:", known_krs=frozenset(kr["id"] for kr in krs))


def _save(engine: Any, result: Any, rules: Any) -> None:
    """What the scheduler does with a poll: snapshots and bookmark in one transaction."""
    from syncd.store.bookmarks import save_poll

    with engine.begin() as conn:
        save_poll(conn, "acme-github", result, rules, datetime.now(UTC))


def _pygithub_version() -> str:
    from importlib.metadata import version

    return version("PyGithub")


def _quiet_logs() -> None:
    """Keep per-poll log lines out of the table."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("github").setLevel(logging.WARNING)


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


if __name__ == "__main__":
    main()
