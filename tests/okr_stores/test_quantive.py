"""Quantive through the pusher: one check-in per progress change, none when nothing changed, one after an outage."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.core.model import TaskState
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.recompute.dirty import Recompute
from syncd.simulators.quantive import QuantiveSimulator
from syncd.store.okr import sync_config
from syncd.store.tables import LEASES
from tests.okr_stores.bench import (
    QUANTIVE_ACCOUNT,
    QUANTIVE_METRIC,
    QUANTIVE_TOKEN,
    WINDOW,
    change,
    later,
    quantive_item,
    settle,
    store_bench,
)  # fmt: skip
from tests.support.waiting import wait_until, wait_until_async
from tests.support.worker_env import WorkerEnv


@pytest.fixture
def quantive() -> Iterator[QuantiveSimulator]:
    """A simulated Quantive account with the metric ENG-1.1 feeds."""
    sim = QuantiveSimulator(QUANTIVE_TOKEN, QUANTIVE_ACCOUNT)
    sim.add_metric(QUANTIVE_METRIC, "Ship self-serve onboarding")
    with sim:
        yield sim


@pytest.fixture
def env(tmp_path: Path, quantive: QuantiveSimulator) -> Iterator[WorkerEnv]:
    """A worker bench feeding the simulated Quantive."""
    with store_bench(tmp_path, [quantive_item(quantive.url)]) as bench:
        yield bench


def _two_tasks_one_done(env: WorkerEnv) -> Pusher:
    change(env, "acme/web#1", labels=["kr:ENG-1.1"])
    change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE)
    return Pusher(env.runtime)


class TestCheckIns:
    """A KR's progress change is one check-in on its Quantive metric, with the documented body and headers."""

    def test_one_progress_change_makes_exactly_one_check_in(self, env: WorkerEnv, quantive: QuantiveSimulator) -> None:
        pusher = _two_tasks_one_done(env)
        assert settle(env, pusher) >= 1
        (update,) = quantive.updates(QUANTIVE_METRIC)
        assert update["actual"] == 50.0
        # The day of sending, by the wall clock (the bench's clock is fake; the store reads the real one).
        sent_on = datetime.now(UTC).date()
        assert update["checkInDate"] in (sent_on.isoformat(), (sent_on - timedelta(days=1)).isoformat())
        assert update["comment"] == "syncd: 1 of 2 tasks done in fake (50%)"
        (write,) = quantive.writes()
        assert write.path == f"/metrics/{QUANTIVE_METRIC}/checkin"
        assert write.headers["gtmhub-accountid"] == QUANTIVE_ACCOUNT
        (target,) = env.targets(source="acme-quantive")
        assert (target["kind"], target["key"], target["applied_hash"]) == ("metric", "ENG-1.1", target["desired_hash"])

    def test_a_second_change_is_a_second_check_in(self, env: WorkerEnv, quantive: QuantiveSimulator) -> None:
        pusher = _two_tasks_one_done(env)
        settle(env, pusher)
        change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        settle(env, pusher)
        assert [u["actual"] for u in quantive.updates(QUANTIVE_METRIC)] == [50.0, 100.0]

    def test_current_value_is_sent_when_configured(self, tmp_path: Path, quantive: QuantiveSimulator) -> None:
        with store_bench(tmp_path, [quantive_item(quantive.url, value="current")]) as bench:
            settle(bench, _two_tasks_one_done(bench))
        assert [u["actual"] for u in quantive.updates(QUANTIVE_METRIC)] == [1.0]


class TestNothingChanged:
    """A KR whose progress did not change makes no check-in, however many recomputes and idle days pass."""

    def test_recompute_after_days_without_a_change_writes_nothing(
        self, env: WorkerEnv, quantive: QuantiveSimulator
    ) -> None:
        pusher = _two_tasks_one_done(env)
        settle(env, pusher)
        for _day in range(3):
            later(env, 1)  # expected progress moves; the status may too
            sync_config(env.engine, env.runtime.config, env.clock())
            change(env, "acme/web#1", labels=["kr:ENG-1.1"], title="Renamed, still open")
            Recompute(env.runtime).run_once()
            settle(env, pusher)
        assert len(quantive.updates(QUANTIVE_METRIC)) == 1


class TestOutage:
    """After Quantive answers 5xx for a while, the pusher converges with exactly one check-in."""

    def test_outage_then_exactly_one_check_in(self, env: WorkerEnv, quantive: QuantiveSimulator) -> None:
        quantive.faults.server_error(count=None, status=503)
        pusher = _two_tasks_one_done(env)
        for _attempt in range(6):
            settle(env, pusher, 120)
        assert quantive.updates(QUANTIVE_METRIC) == []
        (target,) = env.targets(source="acme-quantive")
        assert "503" in (target["last_error"] or "")
        quantive.faults.clear()
        for _attempt in range(4):
            settle(env, pusher, 600)
        assert [u["actual"] for u in quantive.updates(QUANTIVE_METRIC)] == [50.0]
        (target,) = env.targets(source="acme-quantive")
        assert target["applied_hash"] == target["desired_hash"]
        assert target["last_error"] is None

    def test_wrong_token_is_kept_on_the_target(self, tmp_path: Path, quantive: QuantiveSimulator) -> None:
        quantive.token = "another-token-entirely"
        with store_bench(tmp_path, [quantive_item(quantive.url)]) as bench:
            settle(bench, _two_tasks_one_done(bench))
            (target,) = bench.targets(source="acme-quantive")
        assert target["failed_permanently"]
        assert "401" in target["last_error"]
        assert QUANTIVE_TOKEN not in target["last_error"]


class TestOnlyTheNumber:
    """A change of the comment alone (tasks that cancel out) makes no second check-in of the same value."""

    def test_same_value_new_comment_is_not_checked_in(self, env: WorkerEnv, quantive: QuantiveSimulator) -> None:
        pusher = _two_tasks_one_done(env)  # 1 of 2: 50%
        settle(env, pusher)
        change(env, "acme/web#3", labels=["kr:ENG-1.1"])
        change(env, "acme/web#4", labels=["kr:ENG-1.1"], state=TaskState.DONE)  # 2 of 4: still 50%
        settle(env, pusher)
        assert [u["actual"] for u in quantive.updates(QUANTIVE_METRIC)] == [50.0]


class TestLostAnswer:
    """A check-in whose answer was lost (the client timed out, Quantive applied it) is not made twice: the retry
    reads the metric first."""

    def test_timed_out_check_in_that_landed_is_not_repeated(self, tmp_path: Path, quantive: QuantiveSimulator) -> None:
        quantive.faults.slow(1.5, method="POST")
        with store_bench(tmp_path, [quantive_item(quantive.url, timeout="0.5s")]) as env:
            pusher = _two_tasks_one_done(env)
            settle(env, pusher)  # times out: the outcome is unknown
            (target,) = env.targets(source="acme-quantive")
            assert target["inflight_hash"] is not None
            wait_until(lambda: quantive.updates(QUANTIVE_METRIC), timeout=10, what="the late check-in to land")
            for _later in range(3):
                settle(env, pusher, 60)
            (target,) = env.targets(source="acme-quantive")
        assert len(quantive.updates(QUANTIVE_METRIC)) == 1
        assert target["inflight_hash"] is None
        assert target["applied_hash"] == target["desired_hash"]
        assert [r.method for r in quantive.requests.entries()][-1] == "GET"  # the retry read, and wrote nothing


class TestRunningPusher:
    """The daemon's pusher loop writes store targets too, under the store's own lease."""

    def test_pusher_run_checks_in_and_holds_the_store_lease(self, env: WorkerEnv, quantive: QuantiveSimulator) -> None:
        _two_tasks_one_done(env)
        env.clock.advance(WINDOW)

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(Pusher(env.runtime).run(stop))
            await wait_until_async(lambda: quantive.updates(QUANTIVE_METRIC), within=20, what="the check-in")
            leases = {row["name"] for row in env.rows(LEASES)}
            stop.set()
            await task
            assert "push:acme-quantive" in leases

        asyncio.run(run())
        assert [u["actual"] for u in quantive.updates(QUANTIVE_METRIC)] == [50.0]
