"""Scale-out on PostgreSQL: one web process, three worker processes and a scheduler share the work.

2,000 signed GitHub webhooks over 200 issues and 100 KRs: every stored delivery is applied exactly once,
the work is spread over the three workers, no issue gets a second comment and no comment is written
twice with the same content. Mid-burst PostgreSQL itself is stopped and started again (a throwaway
cluster from `initdb`/`pg_ctl` on its own port; where that is impossible the backends of the shared
test database are terminated instead): the web process answers 503 meanwhile, never 2xx, and every
process recovers by itself. Deliveries refused during the outage are repaired by the scheduler's polls.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from syncd.simulators.github import GitHubSimulator
from syncd.simulators.github.traffic import LoggedRequest
from syncd.simulators.github.webhooks import sign
from syncd.store.engine import normalize_url
from syncd.store.tables import DELIVERIES
from tests.support.daemon import DaemonProcess, wait_until
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, start_github_sim
from tests.support.pg_cluster import ThrowawayCluster, cluster_tools_available, throwaway_cluster
from tests.support.sim_daemon import (
    DAEMON_ENV,
    SOURCE,
    comments_per_issue,
    ground_truth,
    kr_ids,
    okr_sim_config,
    random_change,
    store_counts,
    store_progress,
)
from tests.support.store import postgres_schema

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BURST = 2000
KR_COUNT = 100
ISSUES_PER_REPO = 100
WORKERS = 3
REPOS = ("acme/web", "acme/api")


@dataclass
class Store:
    """Where the daemons keep their state, and how the test takes it away for a while."""

    url: str
    cluster: ThrowawayCluster | None

    @contextmanager
    def outage(self) -> Iterator[bool]:
        """PostgreSQL unavailable inside the block; yields whether it is really down (not just cut)."""
        if self.cluster is not None:
            self.cluster.stop()
            try:
                yield True
            finally:
                self.cluster.start()
            return
        _terminate_backends(self.url)
        yield False


def _terminate_backends(url: str) -> None:
    """Cut every connection the daemons hold (they all carry this run's application_name), nobody else's."""
    name = make_url(normalize_url(url)).query["application_name"]
    engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            query = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name AND pid <> pg_backend_pid()"
            conn.execute(text(query), {"name": name})
    finally:
        engine.dispose()


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    """A throwaway cluster when this machine can make one, else a fresh schema of the test database."""
    if cluster_tools_available() is None:
        with throwaway_cluster() as cluster:
            yield Store(cluster.url, cluster)
    else:
        with postgres_schema(postgres_url) as url:
            named = make_url(url).update_query_dict({"application_name": f"syncd-scaleout-{time.time_ns()}"})
            yield Store(named.render_as_string(hide_password=False), None)


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    """A GitHub simulator taking writes as fast as they come."""
    simulator = start_github_sim(REPOS, writes_per_minute=None)
    try:
        yield simulator
    finally:
        simulator.stop()


def _probe_webhook(sim: GitHubSimulator, url: str) -> int:
    """POST a copy of a real `issues` delivery (new id) to the web process; its status code, 0 if unreachable."""
    body = next(d.body for d in sim.deliveries if d.event == "issues")
    headers = {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": f"probe-{time.monotonic_ns()}",
        "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, body),
    }
    try:
        return httpx.post(url, content=body, headers=headers, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def _applied_logged(workers: list[DaemonProcess]) -> Counter[str]:
    """Deliveries each worker process logged as applied (logged only after their transaction committed)."""
    counts: Counter[str] = Counter()
    for worker in workers:
        for event in worker.events():
            if event.get("event") == "worker.deliveries_applied":
                counts[str(worker.port)] += int(event["count"])
    return counts


def _repeated_writes(requests: list[LoggedRequest]) -> list[str]:
    """Comment writes that repeated the content the comment already had (a duplicate write)."""
    last: dict[str, bytes] = {}
    repeated = []
    for request in requests:
        if request.method == "PATCH" and "/issues/comments/" in request.path and request.status == 200:
            body = json.loads(request.body)["body"].encode()
            if last.get(request.path) == body:
                repeated.append(request.path)
            last[request.path] = body
    return repeated


class TestScaleOut:
    """Several processes on one PostgreSQL share the work without doing any of it twice."""

    def test_three_workers_one_web_two_thousand_deliveries_and_a_database_restart(
        self, tmp_path: Path, store: Store, sim: GitHubSimulator
    ) -> None:
        rng = random.Random(20261122)
        krs = kr_ids(KR_COUNT)
        issues = [
            (repo, sim.create_issue(repo, f"Task {i}", labels=[f"kr:{rng.choice(krs)}"]))
            for repo in REPOS
            for i in range(ISSUES_PER_REPO)
        ]
        fast = {"poll_interval": "3s", "writes_per_minute": 100_000, "writes_per_hour": 1_000_000}
        config = okr_sim_config(tmp_path, sim, store.url, kr_count=KR_COUNT, repos=REPOS, source=fast)
        launch = time.monotonic()
        web = DaemonProcess(config, role="web", env=DAEMON_ENV).start().wait_ready(60)
        others = [DaemonProcess(config, role="worker", env=DAEMON_ENV).start() for _ in range(WORKERS)]
        scheduler = DaemonProcess(config, role="scheduler", env=DAEMON_ENV).start()
        processes = [web, *others, scheduler]
        try:
            for process in (*others, scheduler):
                process.wait_ready(60)
            print(f"five processes ready in {time.monotonic() - launch:.1f}s")
            sim.add_webhook_target(f"{web.url}/webhooks/{SOURCE}", GITHUB_WEBHOOK_SECRET)
            started = time.monotonic()
            outage = self._burst_with_outage(sim, rng, issues, store, web)
            assert sim.wait_for_deliveries(60)
            burst_done = time.monotonic()
            seen: dict[str, object] = {}
            try:
                wait_until(lambda: _converged(sim, config, store.url, seen), timeout=120, what="convergence")
            except AssertionError as error:
                raise AssertionError(f"{error}; last seen: {seen}") from None
            print(f"burst {burst_done - started:.1f}s, converged {time.monotonic() - burst_done:.1f}s after it")
            for process in processes:
                assert process.process is not None
                assert process.process.poll() is None, f"{process.role} died:\n{process.log()[-3000:]}"
        finally:
            for process in processes:
                process.terminate(timeout=20)
        self._assert_outcome(sim, store, others, issues, outage)

    @staticmethod
    def _burst_with_outage(
        sim: GitHubSimulator, rng: random.Random, issues: list[tuple[str, int]], store: Store, web: DaemonProcess
    ) -> dict[str, object]:
        """Emit 2,000 webhooks; a third of the way in, take PostgreSQL away for a few seconds."""
        emitted, krs = 0, kr_ids(KR_COUNT)
        outage: dict[str, object] = {}
        half_way = threading.Event()

        def burst() -> int:
            nonlocal emitted
            while emitted < BURST:
                emitted += random_change(sim, rng, rng.choice(issues), krs)
                if emitted >= BURST // 3:
                    half_way.set()
                time.sleep(0.004)
            return emitted

        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(burst)
            assert half_way.wait(120)
            webhook = f"{web.url}/webhooks/{SOURCE}"
            with store.outage() as really_down:
                if really_down:
                    outage["webhook"] = wait_until(
                        lambda: _probe_webhook(sim, webhook) == 503 and 503, timeout=20, what="503 while down"
                    )
                    outage["readyz"] = httpx.get(f"{web.url}/readyz", timeout=10).status_code
                    time.sleep(2)
            outage["recovered"] = wait_until(web.ready, timeout=60, what="/readyz after the outage")
            done.result(timeout=180)
        return outage

    @staticmethod
    def _assert_outcome(
        sim: GitHubSimulator,
        store: Store,
        workers: list[DaemonProcess],
        issues: list[tuple[str, int]],
        outage: dict[str, object],
    ) -> None:
        engine = create_engine(normalize_url(store.url))
        try:
            with engine.connect() as conn:
                rows = list(conn.execute(select(DELIVERIES.c.status, DELIVERIES.c.claimed_by)))
        finally:
            engine.dispose()
        by_worker = Counter(row.claimed_by for row in rows)
        logged = _applied_logged(workers)
        sent = sum(1 for d in sim.deliveries if d.event != "issue_comment")
        print(
            f"deliveries sent {sent}, stored {len(rows)}, applied per worker {dict(by_worker)}, logged {dict(logged)}"
        )
        print(f"outage: {outage}")
        assert sent >= BURST
        assert {row.status for row in rows} == {"done"}
        assert sum(logged.values()) <= len(rows), "a delivery was applied twice"
        assert len(rows) - sum(logged.values()) <= 100, "more applied than logged: only an in-doubt commit may differ"
        assert len(by_worker) == WORKERS, f"the work was not spread over the {WORKERS} workers: {by_worker}"
        assert max(comments_per_issue(sim, issues).values()) == 1
        assert _repeated_writes(sim.requests) == []
        if store.cluster is not None:
            assert outage["webhook"] == 503
            assert outage["readyz"] == 503


def _converged(sim: GitHubSimulator, config: Path, store_url: str, seen: dict[str, object]) -> bool:
    """Everything applied, recomputed and pushed, and every KR equal to the truth; `seen` keeps what differs."""
    counts = store_counts(store_url)
    seen["counts"] = counts
    if counts.get("deliveries_pending", 0) or counts["dirty_krs"] or counts["unsynced_targets"]:
        return False
    truth, stored = ground_truth(sim, config), store_progress(store_url)
    seen["differing_krs"] = {kr: (stored.get(kr), value) for kr, value in truth.items() if stored.get(kr) != value}
    return stored == truth
