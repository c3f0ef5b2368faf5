"""Soak: `kill -9` a real `syncd run` 20 times during 2,000 signed GitHub webhooks, five runs over.

Run: `python -m tests.benchmarks.soak_kill` from the repository root (not collected by pytest; about two
minutes a run). Options: `--runs 5 --kills 20 --deliveries 2000 --seed N`, `--store postgresql` (a throwaway
schema of SYNCD_TEST_POSTGRES_URL instead of a SQLite file).

Each run: a GitHub simulator with 60 issues in two repos over 20 KRs, a fresh store and a daemon polling
every 2 s; about 40 tracker changes a second (close, reopen, relabel, edit) until the deliveries were sent
and the kills done, each kill 20 to 150 deliveries after the daemon came back. Then it waits for the store
to settle and equal the ground truth, and prints per run:
- `lost`: deliveries the daemon acknowledged (202 for an event it stores) that were never applied;
- `duplicates`: syncd comments beyond one on an issue;
- `wrong`: linked issues whose syncd comment is missing or differs from what the store says it should be
  (the store itself equal to the truth computed from the simulator).
Exits 1 when any run counts anything, or did not converge.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from syncd.ports import WebhookAccepted
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import create_store_engine
from syncd.store.tables import PUSH_TARGETS
from tests.support.daemon import DaemonProcess, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, start_github_sim
from tests.support.sim_daemon import (
    DAEMON_ENV,
    SOURCE,
    applied_delivery_ids,
    github_adapter_for,
    ground_truth,
    kr_ids,
    okr_sim_config,
    random_change,
    store_counts,
    store_progress,
)
from tests.support.store import postgres_schema

KR_COUNT, ISSUES_PER_REPO, REPOS = 20, 30, ("acme/web", "acme/api")
MARKER = "<!-- syncd:task="
#: How long the store may take to settle after the burst (polls every 2 s, writes unpaced).
SETTLE_TIMEOUT = 120.0


@dataclass
class RunResult:
    """The figures of one run."""

    seed: int
    sent: int
    acknowledged: int
    lost: int
    duplicates: int
    wrong: int
    converged: bool
    seconds: float

    def line(self) -> str:
        """One printed line."""
        state = "converged" if self.converged else "NOT CONVERGED"
        return (
            f"seed {self.seed}: {self.sent} deliveries sent, {self.acknowledged} acknowledged; lost {self.lost}, "
            f"duplicate comments {self.duplicates}, wrong comments {self.wrong}; {state}; {self.seconds:.0f}s"
        )

    @property
    def clean(self) -> bool:
        """Nothing lost, nothing twice, nothing wrong."""
        return self.converged and not (self.lost or self.duplicates or self.wrong)


@contextmanager
def _store(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'syncd.db'}"
        return
    url = os.environ.get("SYNCD_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("--store postgresql needs SYNCD_TEST_POSTGRES_URL")
    with postgres_schema(url) as schema_url:
        yield schema_url


def _burst(sim: GitHubSimulator, rng: random.Random, issues: list[tuple[str, int]], until: threading.Event) -> None:
    krs = kr_ids(KR_COUNT)
    while not until.is_set():
        random_change(sim, rng, rng.choice(issues), krs)
        time.sleep(0.025)


def _sent(sim: GitHubSimulator) -> int:
    return sum(1 for d in sim.deliveries if d.event != "issue_comment")


def _kill_repeatedly(sim: GitHubSimulator, daemon: DaemonProcess, rng: random.Random, kills: int, total: int) -> None:
    base = 0
    for _ in range(kills):
        moment = base + rng.randint(20, 150)
        wait_until(lambda m=moment: _sent(sim) >= m, timeout=120, what=f"{moment} deliveries sent")
        daemon.kill()
        daemon.restart(ready_timeout=60)
        base = _sent(sim)
    wait_until(lambda: _sent(sim) >= total, timeout=300, what=f"{total} deliveries sent")


def _converged(sim: GitHubSimulator, config: Path, store_url: str) -> bool:
    counts = store_counts(store_url)
    if counts.get("deliveries_pending", 0) or counts["dirty_krs"] or counts["unsynced_targets"]:
        return False
    return store_progress(store_url) == ground_truth(sim, config)


def _lost(sim: GitHubSimulator, config: Path, store_url: str) -> tuple[int, int]:
    adapter = github_adapter_for(config)
    stored = [
        d
        for d in sim.deliveries
        if d.event != "issue_comment"
        and d.status == 202
        and isinstance(adapter.intake({k.lower(): v for k, v in d.headers.items()}, d.body, {}, []), WebhookAccepted)
    ]
    applied = applied_delivery_ids(store_url)
    return len(stored), sum(1 for d in stored if d.delivery_id not in applied)


def _comments(sim: GitHubSimulator, store_url: str, issues: list[tuple[str, int]]) -> tuple[int, int]:
    """(duplicate comments, wrong or missing comments) against the store's desired texts."""
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            query = select(PUSH_TARGETS.c.key, PUSH_TARGETS.c.desired_text).where(
                PUSH_TARGETS.c.source == SOURCE, PUSH_TARGETS.c.kind == "comment"
            )
            desired = {row.key: row.desired_text for row in conn.execute(query)}
    finally:
        engine.dispose()
    duplicates = wrong = 0
    for repo, number in issues:
        ours = [c.body for c in sim.comments(repo, number) if MARKER in c.body]
        duplicates += max(0, len(ours) - 1)
        wanted = desired.get(f"{repo}#{number}")
        if wanted is not None and (not ours or any(body != wanted for body in ours)):
            wrong += 1
    return duplicates, wrong


def soak_once(seed: int, *, kills: int, deliveries: int, store: str) -> RunResult:
    """One run: a fresh simulator, store and daemon; `kills` kills during `deliveries` webhooks."""
    rng, started = random.Random(seed), time.monotonic()
    sim = start_github_sim(REPOS, writes_per_minute=None, keep_responses=False)
    with tempfile.TemporaryDirectory(prefix="syncd-soak-") as scratch, _store(store, Path(scratch)) as store_url:
        krs = kr_ids(KR_COUNT)
        issues = [
            (repo, sim.create_issue(repo, f"Task {index}", labels=[f"kr:{rng.choice(krs)}"]))
            for repo in REPOS
            for index in range(ISSUES_PER_REPO)
        ]
        # A 5 s request timeout: after a kill the restarted pusher lets the dead one's write settle that long.
        fast = {"poll_interval": "2s", "timeout": "5s", "writes_per_minute": 100_000, "writes_per_hour": 1_000_000}
        config = okr_sim_config(Path(scratch), sim, store_url, kr_count=KR_COUNT, repos=REPOS, source=fast)
        daemon = DaemonProcess(config, env=DAEMON_ENV).start().wait_ready(60)
        try:
            sim.add_webhook_target(f"{daemon.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
            stop = threading.Event()
            with ThreadPoolExecutor(1) as pool:
                burst = pool.submit(_burst, sim, random.Random(seed + 1), issues, stop)
                try:
                    _kill_repeatedly(sim, daemon, rng, kills, deliveries)
                finally:
                    stop.set()
                burst.result()
            sim.wait_for_deliveries(30)
            try:
                wait_until(lambda: _converged(sim, config, store_url), timeout=SETTLE_TIMEOUT, what="convergence")
                converged = True
            except AssertionError:
                converged = False
            acknowledged, lost = _lost(sim, config, store_url)
            duplicates, wrong = _comments(sim, store_url, issues)
        finally:
            daemon.terminate()
            sim.stop()
    return RunResult(seed, _sent(sim), acknowledged, lost, duplicates, wrong, converged, time.monotonic() - started)


def main() -> None:
    """Parse the options, soak, print one line per run and the totals."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=time.time_ns() % 1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    results = []
    for run in range(options.runs):
        result = soak_once(options.seed + run, kills=options.kills, deliveries=options.deliveries, store=options.store)
        print(f"run {run + 1}/{options.runs}: {result.line()}", flush=True)
        results.append(result)
    print(
        f"total over {len(results)} runs ({options.kills} kills each, {options.store}): "
        f"lost {sum(r.lost for r in results)}, duplicate comments {sum(r.duplicates for r in results)}, "
        f"wrong comments {sum(r.wrong for r in results)}, not converged {sum(not r.converged for r in results)}"
    )
    sys.exit(0 if all(r.clean for r in results) else 1)


if __name__ == "__main__":
    main()
