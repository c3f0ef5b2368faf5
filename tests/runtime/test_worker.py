"""The worker loop: woken by new deliveries, statuses follow the calendar, old deliveries purged, outages survived."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update
from structlog.testing import capture_logs

from syncd.core.model import TaskState
from syncd.runtime.worker import RECOMPUTE_DEBOUNCE, Worker
from syncd.store.tables import CHECK_INS, DELIVERIES
from tests.support.fake_adapter import task
from tests.support.waiting import wait_until_async
from tests.support.worker_env import WorkerEnv, sqlite_bench


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite."""
    with sqlite_bench(tmp_path) as bench:
        yield bench


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    await wait_until_async(condition, within=within, what="the worker")


def _turned(env: WorkerEnv) -> bool:
    """Whether the running worker has finished a turn (each turn ends by publishing the queue depths)."""
    return env.runtime.metrics.registry.get_sample_value("syncd_queue_depth", {"queue": "deliveries"}) is not None


class TestHousekeeping:
    """Hourly, every KR is recomputed (its status moves with the calendar) and applied deliveries expire."""

    def test_status_follows_the_calendar_without_any_task_change(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        assert env.kr("ENG-1.1")["status"] == "on_track"  # 50% done, 35% of the quarter gone
        env.clock.now = datetime(2026, 12, 20, tzinfo=UTC)  # 88% of the quarter gone
        worker.drain()
        assert env.kr("ENG-1.1")["status"] == "off_track"
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(0.5)

    def test_applied_deliveries_are_dropped_after_a_week(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1"))
        env.deliver("task.nonsense", key="x")
        worker = Worker(env.runtime)
        worker.drain()
        env.clock.advance(timedelta(days=8).total_seconds())
        worker.drain()
        (kept,) = env.rows(DELIVERIES)
        assert kept["event"] == "task.nonsense"  # still pending or failed: kept for the admin


class TestLoop:
    """`Worker.run` works until stopped, wakes on new deliveries, and rides out a store outage."""

    def test_a_new_delivery_wakes_the_worker(self, env: WorkerEnv) -> None:
        async def scenario() -> None:
            stop = asyncio.Event()
            running = asyncio.create_task(Worker(env.runtime).run(stop))
            await _until(lambda: _turned(env))  # found nothing to do: it rests until woken
            env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            env.runtime.deliveries_waiting.set()
            # The running worker recomputes a KR once it has been dirty for RECOMPUTE_DEBOUNCE: let time pass.
            await _until(lambda: bool(env.clock.advance(0.05)) and env.kr("ENG-1.1")["progress"] == 1.0)
            stop.set()
            await asyncio.wait_for(running, 5)

        asyncio.run(scenario())

    def test_the_running_worker_recomputes_a_burst_once(self, env: WorkerEnv) -> None:
        """Changes within RECOMPUTE_DEBOUNCE of the first are recomputed together: one check-in, not one per change."""

        async def scenario() -> None:
            stop = asyncio.Event()
            running = asyncio.create_task(Worker(env.runtime).run(stop))
            for number in range(1, 6):  # done, open, done, open, done: progress would move with each one
                state = TaskState.DONE if number % 2 else TaskState.OPEN
                env.deliver("task.changed", snapshot=task(f"acme/web#{number}", labels=["kr:ENG-1.1"], state=state))
                env.runtime.deliveries_waiting.set()
                await _until(lambda: not env.rows(DELIVERIES, status="pending"))
            assert env.kr("ENG-1.1")["dirty_since"] is not None  # applied, not yet recomputed: the clock stood still
            env.clock.advance(RECOMPUTE_DEBOUNCE.total_seconds())
            await _until(lambda: env.kr("ENG-1.1")["dirty_since"] is None)
            stop.set()
            await asyncio.wait_for(running, 5)

        asyncio.run(scenario())
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(0.6)
        assert len(env.rows(CHECK_INS, kr_id="ENG-1.1")) == 1

    def test_a_store_outage_is_logged_once_and_the_recovery_once(self, env: WorkerEnv, tmp_path: Path) -> None:
        async def scenario() -> None:
            stop = asyncio.Event()
            good = env.runtime.engine
            env.runtime.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'syncd.db'}")
            running = asyncio.create_task(Worker(env.runtime).run(stop))
            await _until(lambda: any(entry["event"] == "store.unavailable" for entry in logs))
            await asyncio.sleep(1.0)  # the scenario: the store stays down a second longer (retries back off)
            env.runtime.engine = good
            env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
            await _until(lambda: env.rows(DELIVERIES)[0]["status"] == "done")
            stop.set()
            await asyncio.wait_for(running, 5)

        with capture_logs() as logs:
            asyncio.run(scenario())
        events = [entry for entry in logs if entry["event"].startswith("store.")]
        assert [entry["event"] for entry in events] == ["store.unavailable", "store.recovered"]
        assert events[1]["failed_attempts"] >= 2  # several failures, one line

    def test_an_unexpected_error_is_logged_and_the_loop_goes_on(
        self, env: WorkerEnv, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        worker = Worker(env.runtime)
        real, calls = worker.recompute.run_once, []

        def broken_once(debounce: timedelta) -> int:
            calls.append(1)
            if len(calls) == 1:
                raise ValueError("a bug in one unit of work")
            return real(debounce)

        monkeypatch.setattr(worker.recompute, "run_once", broken_once)

        async def scenario() -> None:
            stop = asyncio.Event()
            running = asyncio.create_task(worker.run(stop))
            env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            await _until(lambda: bool(env.clock.advance(0.05)) and env.kr("ENG-1.1")["progress"] == 1.0)
            stop.set()
            await asyncio.wait_for(running, 5)

        with capture_logs() as logs:
            asyncio.run(scenario())
        (failure,) = [entry for entry in logs if entry["event"] == "worker_side.unit_failed"]
        assert "a bug in one unit of work" in failure["error"]


def test_delivery_rows_can_be_reset_for_reapplication(env: WorkerEnv) -> None:
    """A delivery made pending again (an operator's replay) is applied again without changing anything."""
    env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
    worker = Worker(env.runtime)
    worker.drain()
    before = env.kr("ENG-1.1")
    with env.engine.begin() as conn:
        conn.execute(update(DELIVERIES).values(status="pending"))
    worker.drain()
    assert env.rows(DELIVERIES)[0]["status"] == "done"
    assert env.kr("ENG-1.1") == before
