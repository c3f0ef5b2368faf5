"""The worker side on PostgreSQL: replicas split deliveries and KRs (SKIP LOCKED), leases hold, numbers agree."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from syncd.core.model import TaskState
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.worker import Worker
from syncd.store.leases import Lease
from syncd.store.tables import DELIVERIES, OBJECTIVES
from syncd.store.transactions import write_transaction
from tests.support.fake_adapter import task
from tests.support.store import migrated_postgres
from tests.support.worker_env import FakeClock, WorkerEnv, make_env

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL store in a throwaway schema."""
    with migrated_postgres(postgres_url) as engine:
        yield engine


@pytest.fixture
def env(pg_engine: Engine) -> Iterator[WorkerEnv]:
    """A worker bench on PostgreSQL."""
    bench = make_env(pg_engine)
    try:
        yield bench
    finally:
        bench.runtime.executor.shutdown()


def _replica(bench: WorkerEnv, name: str) -> Runtime:
    loaded = LoadedConfig(bench.runtime.config, None, {"fake": bench.adapter})
    return Runtime(loaded=loaded, engine=bench.engine, clock=bench.clock, worker_id=name)


def _applied(worker: Worker) -> float:
    """How many deliveries this worker counted as applied, read from its metrics registry."""
    value = worker.runtime.metrics.registry.get_sample_value("syncd_deliveries_applied_total", {"outcome": "applied"})
    return value or 0.0


def _drain_in_threads(workers: list[Worker]) -> None:
    errors: list[BaseException] = []

    def work(worker: Worker) -> None:
        try:
            worker.drain()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


class TestReplicasOnPostgres:
    """Three workers on one PostgreSQL store apply each delivery once and agree on every number."""

    def test_each_delivery_is_applied_once_and_the_work_is_spread(self, env: WorkerEnv) -> None:
        krs = ["ENG-1.1", "ENG-1.2", "ENG-2.1"]
        for number in range(300):
            state = TaskState.DONE if number % 3 == 0 else TaskState.OPEN
            snapshot = task(f"acme/web#{number}", labels=[f"kr:{krs[number % 3]}"], state=state)
            env.deliver("task.changed", snapshot=snapshot)
        runtimes = [_replica(env, f"replica-{index}") for index in range(3)]
        workers = [Worker(runtime, batch_size=20) for runtime in runtimes]
        _drain_in_threads(workers)
        rows = env.rows(DELIVERIES)
        assert {row["status"] for row in rows} == {"done"}
        by_worker = Counter(row["claimed_by"] for row in rows)
        assert sum(by_worker.values()) == 300
        applied = sum(_applied(w) for w in workers)
        assert applied == 300  # each delivery applied by exactly one replica
        assert len(by_worker) >= 2, f"one replica did all the work: {by_worker}"
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(1.0)  # numbers 0, 3, 6... are all ENG-1.1 and done
        assert env.kr("ENG-1.2")["progress"] == pytest.approx(0.0)
        assert env.kr("ENG-2.1")["current"] == 0.0
        (objective,) = env.rows(OBJECTIVES, id="ENG-1")
        assert objective["progress"] == pytest.approx(1 / 3)
        for runtime in runtimes:
            runtime.executor.shutdown()

    def test_concurrent_recomputes_leave_objectives_consistent(self, env: WorkerEnv) -> None:
        for number in range(60):
            kr = ("ENG-1.1", "ENG-1.2")[number % 2]
            env.deliver("task.changed", snapshot=task(f"acme/web#{number}", labels=[f"kr:{kr}"], state=TaskState.DONE))
        runtimes = [_replica(env, f"replica-{index}") for index in range(3)]
        _drain_in_threads([Worker(runtime, batch_size=5) for runtime in runtimes])
        (objective,) = env.rows(OBJECTIVES, id="ENG-1")
        assert objective["progress"] == pytest.approx(2 / 3)  # two of three KRs done, metric at 0
        for runtime in runtimes:
            runtime.executor.shutdown()


class TestLeasesOnPostgres:
    """Leases behave on PostgreSQL as on SQLite, also when replicas race for them."""

    def test_one_of_many_racing_replicas_wins(self, pg_engine: Engine) -> None:
        clock = FakeClock()
        leases = [Lease(pg_engine, "poll:fake", f"replica-{i}", clock, timedelta(seconds=30)) for i in range(8)]
        results: list[bool] = []
        threads = [threading.Thread(target=lambda lease=lease: results.append(lease.acquire())) for lease in leases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results.count(True) == 1

    def test_takeover_after_expiry(self, pg_engine: Engine) -> None:
        clock = FakeClock()
        first = Lease(pg_engine, "push:fake", "replica-a", clock, timedelta(seconds=30))
        second = Lease(pg_engine, "push:fake", "replica-b", clock, timedelta(seconds=30))
        assert first.acquire()
        assert not second.acquire()
        clock.advance(31)
        assert second.acquire()


class TestDerivedCommits:
    """Applying and recomputing commit without waiting for the WAL flush; everything else waits for it."""

    def test_a_derived_transaction_does_not_wait_for_the_flush(self, pg_engine: Engine) -> None:
        with write_transaction(pg_engine, derived=True) as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        with write_transaction(pg_engine) as conn:  # a claim or an applied write: durable at commit
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"

    def test_the_setting_ends_with_its_transaction(self, pg_engine: Engine) -> None:
        """SET LOCAL: a pooled connection handed to a durable unit afterwards is durable again."""
        with write_transaction(pg_engine, derived=True):
            pass
        with pg_engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
