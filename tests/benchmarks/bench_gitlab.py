"""Request-count benchmark of the GitLab adapter (python-gitlab) against the simulator, and its first note wave
under gitlab.com's note-creation limit (issue 19).

Run: `python -m tests.benchmarks.bench_gitlab` (not collected by pytest; about five minutes here, most of it the two 1,000-write waves). Measures:

1. a full backfill of 10,000 issues in one project (timestamps spread over a year, 50 KR labels): list requests
   (target: one per 100 issues per project, plus one merge-request listing: 101), and its wall time;
2. the next poll, which reads the overlap window, and an idle poll of five projects: requests per project
   (target 1 with `include_merge_requests: false`; 2 with merge requests, one listing per kind);
3. the first note wave for 1,000 linked issues on a simulated clock, the simulator enforcing 60 note creations a
   minute: the most creations in any 60 s (target <= 60), 429s met (target 0), simulated duration, and the ETA
   `syncd status` shows ("Writes queued") after six minutes; then a sibling closes and every note is edited:
   creations during that wave (target 0).

Baseline: python-gitlab's default `per_page` of 20 (500 requests for the backfill). Seeded: the same every run.
"""

from __future__ import annotations

import logging
import math
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ISSUES, KRS, PROJECT = 10_000, 50, "acme/big"
IDLE_PROJECTS = ("acme/big", "acme/web", "acme/api", "acme/sales", "acme/platform/ops")
WAVE, CREATIONS_PER_MINUTE = 1_000, 60
DEFAULT_PER_PAGE = 20
#: When the `syncd status` ETA is read (its pace is measured over the last five minutes of writes).
ETA_AFTER_MINUTES = 6


def main() -> None:
    """Seed, measure each phase, print the figures; exit non-zero when a target is missed."""
    _repo_on_path()
    _quiet_logs()
    missed = reading_phases() + wave_phases()
    if missed:
        raise SystemExit("missed: " + "; ".join(missed))


def reading_phases() -> list[str]:
    """Backfill, settle and idle polls; prints their rows; returns the missed targets."""
    from adapters.gitlab.adapter import GitLabAdapter
    from syncd.simulators.gitlab import GitLabSimulator
    from tests.gitlab.support import TOKEN, gitlab_config

    missed: list[str] = []
    with GitLabSimulator(token=TOKEN) as sim:
        _seed(sim)
        started = datetime.now(UTC) + timedelta(seconds=1)
        with_mrs = GitLabAdapter(gitlab_config(sim.url, projects=list(IDLE_PROJECTS)))
        issues_only = GitLabAdapter(gitlab_config(sim.url, projects=list(IDLE_PROJECTS), include_merge_requests=False))
        backfill, requests, seconds = _measured(sim, lambda: with_mrs.reconcile(PROJECT, started))
        assert len(backfill.snapshots) == ISSUES, len(backfill.snapshots)
        target = math.ceil(ISSUES / 100) + 1
        print(f"GitLab adapter: {ISSUES:,} issues in {PROJECT}, {KRS} KR labels, python-gitlab {_version()}")
        print(f"full backfill: {requests} requests in {seconds:.2f}s ({ISSUES / seconds:,.0f} issues/s); target <= "
              f"{target} (100 issue pages + 1 MR listing); python-gitlab default per_page 20: "
              f"{math.ceil(ISSUES / DEFAULT_PER_PAGE) + 1} requests")  # fmt: skip
        missed += [f"backfill took {requests} requests"] if requests > target else []
        settle, requests, seconds = _measured(sim, lambda: with_mrs.poll(backfill.bookmark, PROJECT, started))
        print(f"next poll (settles): {requests} requests, {len(settle.snapshots)} issues in the overlap window")
        for adapter, per_project, what in ((issues_only, 1, "issues only"), (with_mrs, 2, "issues + merge requests")):
            bookmarks = {p: adapter.reconcile(p, started).bookmark for p in IDLE_PROJECTS}
            results, requests, seconds = _measured(
                sim, lambda a=adapter, b=bookmarks: [a.poll(b[p], p, started) for p in IDLE_PROJECTS]
            )
            changed = sum(len(r.snapshots) for r in results)
            print(f"idle poll, {len(IDLE_PROJECTS)} projects, {what}: {requests} requests "
                  f"({requests / len(IDLE_PROJECTS):g} per project; target {per_project}), {changed} changes, "
                  f"{seconds * 1000:.0f} ms")  # fmt: skip
            missed += [f"idle poll ({what}) took {requests}"] if requests > per_project * len(IDLE_PROJECTS) else []
        with_mrs.close()
        issues_only.close()
    return missed


def _seed(sim: Any) -> None:
    """10,000 issues in acme/big (updated over the last year, 50 KR labels), four more empty projects."""
    for path in IDLE_PROJECTS:
        sim.create_project(path)
    year_ago = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=364) / ISSUES
    for i in range(ISSUES):
        ref = sim.create_issue(PROJECT, f"Issue {i}", labels=[f"kr:ENG-1.{i % KRS + 1}"], emit=False)
        item = sim.item(ref)
        item.created_at = item.updated_at = year_ago + step * i


def wave_phases() -> list[str]:
    """The first note wave for 1,000 issues, then the edit wave, on a simulated clock."""
    from adapters.gitlab.descriptor import GITLAB
    from syncd.runtime.push.write_preview import budget_seconds
    from tests.contract.bench import KR, contract_bench

    missed: list[str] = []
    with contract_bench(GITLAB, Path(tempfile.mkdtemp(prefix="bench-gitlab-"))) as bench:
        sim = bench.tracker.sim  # type: ignore[attr-defined]
        tasks = bench.tracker.seed_tasks(WAVE, labels=[f"kr:{KR}"])
        moments: list[datetime] = []

        def creation_clock() -> float:
            # The simulator reads its note-limit clock once per note creation: the moments it counts by.
            moments.append(bench.clock())
            return moments[-1].timestamp()

        sim.limit_note_creations(CREATIONS_PER_MINUTE, clock=creation_clock)
        bench.schedule()
        bench.worker.drain()
        first = bench.clock()
        eta = _push_until_synced(bench, stop_eta_at=first + timedelta(minutes=ETA_AFTER_MINUTES))
        planned = budget_seconds(bench.adapter.write_limits, WAVE)
        duration = (bench.clock() - first).total_seconds()
        peak = _peak(moments)
        limited = sum(r.status == 429 for r in sim.requests)
        print(f"first wave, {WAVE:,} issues: {len(moments)} note creations over {duration / 60:.1f} simulated min; "
              f"most in any 60 s: {peak} (target <= {CREATIONS_PER_MINUTE}); 429s: {limited} (target 0); "
              f"`syncd status` after {ETA_AFTER_MINUTES} min: {eta}; `syncd plan` budget: {planned / 60:.1f} min")  # fmt: skip
        missed += [f"{peak} creations in one minute"] if peak > CREATIONS_PER_MINUTE else []
        missed += [f"{limited} 429s"] if limited else []
        missed += [f"{len(moments)} creations for {WAVE} issues"] if len(moments) != WAVE else []
        before = len(sim.requests)
        bench.tracker.set_state(tasks[0], "done")
        bench.schedule()
        bench.clock.advance(timedelta(hours=2))
        bench.schedule()
        bench.worker.drain()
        edits_started = bench.clock()
        _push_until_synced(bench)
        wave = sim.requests[before:]
        posts = sum(r.method == "POST" for r in wave)
        puts = sum(r.method == "PUT" for r in wave)
        print(f"after a close: {puts} note edits over {(bench.clock() - edits_started).total_seconds() / 60:.1f} "
              f"simulated min, {posts} creations (target 0)")  # fmt: skip
        missed += [f"{posts} creations in the edit wave"] if posts else []
    return missed


def _push_until_synced(bench: Any, stop_eta_at: datetime | None = None) -> str:
    """Run the pusher a simulated second at a time until nothing is queued; the ETA `syncd status` showed."""
    from syncd.store.status_rows import source_statuses

    eta = "-"
    for _ in range(20_000):
        bench.pusher.run_once()
        if stop_eta_at is not None and eta == "-" and bench.clock() >= stop_eta_at:
            with bench.engine.connect() as conn:
                (status,) = source_statuses(conn, bench.runtime.config, bench.clock())
            eta = f"{status.queued_writes} queued, about {status.queue_eta_seconds / 60:.1f} min"
        if bench.unsynced_targets() == 0:
            break
        bench.clock.advance(timedelta(seconds=1))
    return eta


def _peak(moments: list[datetime]) -> int:
    """The most moments in any 60-second window."""
    peak, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= timedelta(seconds=60):
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _measured(sim: Any, run: Callable[[], Any]) -> tuple[Any, int, float]:
    before, started = len(sim.requests), time.perf_counter()
    result = run()
    return result, len(sim.requests) - before, time.perf_counter() - started


def _version() -> str:
    from importlib.metadata import version

    return version("python-gitlab")


def _quiet_logs() -> None:
    """Keep per-poll and per-write log lines out of the figures."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


if __name__ == "__main__":
    main()
