"""The scheduler: backfill, incremental polls, reconciliation, refresh requests, holds, health, leases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from syncd.core.errors import Permanent, RateLimited, Retriable
from syncd.core.model import TaskState
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.poll.scheduler import Scheduler
from syncd.runtime.worker import Worker
from syncd.store.tables import BOOKMARKS, REFRESH_REQUESTS, SOURCE_STATE, TASKS
from tests.support.fake_adapter import task
from tests.support.worker_env import WorkerEnv, sqlite_bench


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite (poll every 60 s, reconcile hourly) with three tasks in the tracker."""
    with sqlite_bench(tmp_path) as bench:
        bench.tracker.put(task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        bench.tracker.put(task("acme/web#2", labels=["kr:ENG-1.1"]))
        bench.tracker.put(task("acme/web#3", labels=["bug"]))
        yield bench


def _ops(bench: WorkerEnv) -> list[str]:
    return [call.op for call in bench.adapter.calls]


class TestPolling:
    """Backfill first, then cheap incremental polls; polling repairs lost webhooks."""

    def test_first_tick_backfills_every_task_and_saves_the_bookmark(self, env: WorkerEnv) -> None:
        assert Scheduler(env.runtime).run_once() == 1
        assert _ops(env) == ["reconcile"]
        assert {row["external_id"] for row in env.rows(TASKS)} == {"acme/web#1", "acme/web#2", "acme/web#3"}
        (bookmark,) = env.rows(BOOKMARKS)
        assert bookmark["cursor"] is not None
        assert bookmark["reconciled_at"] == env.clock()
        Worker(env.runtime).drain()
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(0.5)

    def test_polls_come_every_poll_interval_and_not_sooner(self, env: WorkerEnv) -> None:
        scheduler = Scheduler(env.runtime)
        scheduler.run_once()
        env.clock.advance(59)
        assert scheduler.run_once() == 0
        env.clock.advance(1)
        assert scheduler.run_once() == 1
        assert _ops(env) == ["reconcile", "poll"]

    def test_a_lost_webhook_is_repaired_by_the_next_poll(self, env: WorkerEnv) -> None:
        scheduler, worker = Scheduler(env.runtime), Worker(env.runtime)
        scheduler.run_once()
        worker.drain()
        env.clock.advance(10)
        env.tracker.change("acme/web#2", state=TaskState.DONE)  # its webhook never arrives
        env.clock.advance(50)
        scheduler.run_once()
        worker.drain()
        assert env.task_row("acme/web#2")["state"] == "done"
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(1.0)

    def test_reconciliation_marks_tasks_gone_from_the_tracker_deleted(self, env: WorkerEnv) -> None:
        scheduler = Scheduler(env.runtime)
        scheduler.run_once()
        env.tracker.delete("acme/web#2")
        env.clock.advance(60)
        scheduler.run_once()  # an incremental poll cannot see a deletion
        assert env.task_row("acme/web#2")["deleted"] is False
        env.clock.advance(3600)
        scheduler.run_once()
        assert _ops(env)[-1] == "reconcile"
        assert env.task_row("acme/web#2")["deleted"] is True


class TestRefreshRequests:
    """Compact events are served by batched fetches after a short debounce."""

    def test_compact_events_become_one_batched_fetch(self, env: WorkerEnv) -> None:
        scheduler, worker = Scheduler(env.runtime), Worker(env.runtime)
        scheduler.run_once()
        env.clock.advance(5)
        env.tracker.change("acme/web#2", state=TaskState.DONE)
        env.tracker.delete("acme/web#3")
        for key in ("acme/web#2", "acme/web#2", "acme/web#3"):
            env.deliver("task.touched", key=key)
        worker.drain()
        scheduler.run_once()  # within the debounce: nothing fetched yet
        assert "fetch" not in _ops(env)
        env.clock.advance(1)
        scheduler.run_once()
        (fetch,) = env.adapter.calls_of("fetch")
        assert fetch.detail == "acme/web#2,acme/web#3"
        assert env.rows(REFRESH_REQUESTS) == []
        assert env.task_row("acme/web#2")["state"] == "done"
        assert env.task_row("acme/web#3")["deleted"] is True

    def test_failed_fetch_is_retried_after_the_delay(self, env: WorkerEnv) -> None:
        scheduler, worker = Scheduler(env.runtime), Worker(env.runtime)
        scheduler.run_once()
        env.deliver("task.touched", key="acme/web#2")
        worker.drain()
        env.clock.advance(1)
        env.adapter.fail_next("fetch", Retriable("bad gateway", delay=20, status=502))
        scheduler.run_once()
        (request,) = env.rows(REFRESH_REQUESTS)
        assert request["attempts"] == 1
        assert request["next_attempt_at"] == env.clock() + timedelta(seconds=20)
        env.clock.advance(20)
        scheduler.run_once()
        assert env.rows(REFRESH_REQUESTS) == []


class TestFailures:
    """A failing source is held for the delay it asked, recorded once, and its recovery noted once."""

    def test_retry_after_holds_every_call_to_the_source(self, env: WorkerEnv) -> None:
        scheduler = Scheduler(env.runtime)
        env.adapter.fail_next("reconcile", RateLimited("rate limited", delay=120, status=429))
        failed_at = env.clock()
        scheduler.run_once()
        for _ in range(119):
            env.clock.advance(1)
            scheduler.run_once()
        assert [c.at for c in env.adapter.calls] == [failed_at]
        assert env.runtime.holds.until("fake", failed_at) == failed_at + timedelta(seconds=120)
        env.clock.advance(1)
        scheduler.run_once()
        assert [c.at for c in env.adapter.calls] == [failed_at, failed_at + timedelta(seconds=120)]

    def test_failure_is_recorded_and_logged_once_then_recovery_once(self, env: WorkerEnv) -> None:
        scheduler = Scheduler(env.runtime)
        env.adapter.fail_next(
            "reconcile", Retriable("bad gateway", delay=5, status=502), Retriable("bad gateway", delay=5, status=502)
        )
        with capture_logs() as logs:
            scheduler.run_once()
            (state,) = env.rows(SOURCE_STATE)
            assert "bad gateway" in state["last_error"]
            assert state["failing_since"] == env.clock()
            env.clock.advance(5)
            scheduler.run_once()
            env.clock.advance(5)
            scheduler.run_once()
        events = [entry["event"] for entry in logs if entry["event"] in ("poll.failed", "poll.recovered")]
        assert events == ["poll.failed", "poll.recovered"]
        (state,) = env.rows(SOURCE_STATE)
        assert state["last_error"] is None
        assert state["failing_since"] is None
        assert state["last_success_at"] == env.clock()
        assert state["budget_remaining"] == 4999

    def test_permanent_failure_waits_a_poll_interval(self, env: WorkerEnv) -> None:
        scheduler = Scheduler(env.runtime)
        env.adapter.fail_next("reconcile", Permanent("bad credentials: check the token", status=401))
        scheduler.run_once()
        env.clock.advance(59)
        scheduler.run_once()
        assert len(env.adapter.calls) == 1
        env.clock.advance(1)
        scheduler.run_once()
        assert len(env.adapter.calls) == 2


class TestLease:
    """Only one replica polls a source; another takes over once the lease lapses."""

    def test_second_replica_waits_for_the_lease_to_lapse(self, env: WorkerEnv) -> None:
        Scheduler(env.runtime).run_once()
        other = Runtime(
            loaded=LoadedConfig(env.runtime.config, None, {"fake": env.adapter}),
            engine=env.engine,
            clock=env.clock,
            worker_id="replica-2",
        )
        replica = Scheduler(other)
        env.clock.advance(29)
        replica.run_once()
        assert not replica.coordinator("fake").lease.held()
        env.clock.advance(2)
        replica.run_once()
        assert replica.coordinator("fake").lease.held()
        env.clock.advance(29)
        assert replica.run_once() == 1  # the poll due at 60 s is the replica's now
        assert _ops(env) == ["reconcile", "poll"]
        other.executor.shutdown()
