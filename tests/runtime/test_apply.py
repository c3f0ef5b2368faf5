"""Applying stored deliveries: idempotent, newer wins, removals, refresh requests, poison deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from syncd.core.model import TaskState
from syncd.runtime.apply.deliveries import MAX_DELIVERY_ATTEMPTS, DeliveryApplier
from syncd.runtime.worker import Worker
from syncd.store.mirror import upsert_snapshots as mirror_upsert
from syncd.store.tables import DELIVERIES, KEY_RESULTS, REFRESH_REQUESTS, TASK_LINKS
from tests.support.fake_adapter import EPOCH, task
from tests.support.store import migrated_postgres
from tests.support.worker_env import WorkerEnv, make_env, sqlite_bench

LATER = EPOCH + timedelta(minutes=5)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite."""
    with sqlite_bench(tmp_path) as bench:
        yield bench


def _links(bench: WorkerEnv, external_id: str) -> set[str]:
    task_id = bench.task_row(external_id)["id"]
    return {row["kr_id"] for row in bench.rows(TASK_LINKS, task_id=task_id)}


def _clear_dirty(bench: WorkerEnv) -> None:
    with bench.engine.begin() as conn:
        conn.execute(update(KEY_RESULTS).values(dirty_since=None))


class TestApplyDelivery:
    """A stored delivery becomes a mirrored, matched task, and the delivery is marked done with it."""

    def test_snapshot_is_mirrored_linked_and_its_kr_marked_dirty(self, env: WorkerEnv) -> None:
        _clear_dirty(env)
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:eng-1.1", "bug"]))
        assert DeliveryApplier(env.runtime).apply_batch() == 1
        row = env.task_row("acme/web#1")
        assert row["labels"] == ["kr:eng-1.1", "bug"]
        assert _links(env, "acme/web#1") == {"ENG-1.1"}
        assert env.kr("ENG-1.1")["dirty_since"] is not None
        assert env.kr("ENG-1.2")["dirty_since"] is None
        (delivery,) = env.rows(DELIVERIES)
        assert delivery["status"] == "done"
        assert delivery["applied_at"] is not None

    def test_applying_the_same_delivery_twice_changes_nothing(self, env: WorkerEnv) -> None:
        snapshot = task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        env.deliver("task.changed", snapshot=snapshot)
        worker = Worker(env.runtime)
        worker.drain()
        before = (env.task_row("acme/web#1"), env.kr("ENG-1.1"), env.targets())
        env.deliver("task.changed", snapshot=snapshot)  # a redelivery under a new id
        with env.engine.begin() as conn:  # and the first one made pending again, as after a lost ack
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == 1).values(status="pending"))
        env.clock.advance(60)
        assert worker.deliveries.apply_batch() == 2
        assert env.kr("ENG-1.1")["dirty_since"] is None
        worker.drain()
        assert (env.task_row("acme/web#1"), env.kr("ENG-1.1"), env.targets()) == before

    def test_an_older_snapshot_never_replaces_a_newer_one(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.2"], updated_at=LATER))
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], updated_at=EPOCH))
        DeliveryApplier(env.runtime).apply_batch()
        assert _links(env, "acme/web#1") == {"ENG-1.2"}
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], updated_at=EPOCH))
        DeliveryApplier(env.runtime).apply_batch()
        assert _links(env, "acme/web#1") == {"ENG-1.2"}
        assert env.task_row("acme/web#1")["labels"] == ["kr:ENG-1.2"]

    def test_a_newer_snapshot_moves_the_task_to_another_kr_and_dirties_both(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        DeliveryApplier(env.runtime).apply_batch()
        _clear_dirty(env)
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.2"], updated_at=LATER))
        DeliveryApplier(env.runtime).apply_batch()
        assert _links(env, "acme/web#1") == {"ENG-1.2"}
        assert env.kr("ENG-1.1")["dirty_since"] is not None
        assert env.kr("ENG-1.2")["dirty_since"] is not None

    def test_removed_task_is_marked_deleted_and_leaves_its_kr(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        DeliveryApplier(env.runtime).apply_batch()
        _clear_dirty(env)
        env.deliver("task.deleted", key="acme/web#1")
        DeliveryApplier(env.runtime).apply_batch()
        assert env.task_row("acme/web#1")["deleted"] is True
        assert _links(env, "acme/web#1") == set()
        assert env.kr("ENG-1.1")["dirty_since"] is not None

    def test_unknown_kr_label_is_kept_as_a_warning_and_the_task_is_dirty(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.9"]))
        DeliveryApplier(env.runtime).apply_batch()
        row = env.task_row("acme/web#1")
        assert [item["kr_id"] for item in row["unknown_krs"]] == ["ENG-1.9"]
        assert "ENG-1.1" in row["unknown_krs"][0]["suggestions"]
        assert row["dirty_since"] is not None


class TestRefreshRequests:
    """Compact events and partition events become deduplicated refresh requests."""

    def test_compact_events_for_one_task_make_one_fetch_request(self, env: WorkerEnv) -> None:
        for _ in range(3):
            env.deliver("task.touched", key="acme/web#7")
        env.deliver("partition.changed", key="acme/web")
        DeliveryApplier(env.runtime).apply_batch()
        requests = sorted((row["kind"], row["key"]) for row in env.rows(REFRESH_REQUESTS))
        assert requests == [("fetch", "acme/web#7"), ("reconcile", "acme/web")]
        assert all(row["next_attempt_at"] > row["requested_at"] for row in env.rows(REFRESH_REQUESTS))

    def test_a_request_arriving_again_moves_its_requested_at_but_keeps_its_slot(self, env: WorkerEnv) -> None:
        env.deliver("task.touched", key="acme/web#7")
        DeliveryApplier(env.runtime).apply_batch()
        (first,) = env.rows(REFRESH_REQUESTS)
        env.clock.advance(30)
        env.deliver("task.touched", key="acme/web#7")
        DeliveryApplier(env.runtime).apply_batch()
        (again,) = env.rows(REFRESH_REQUESTS)
        assert again["requested_at"] > first["requested_at"]
        assert again["next_attempt_at"] == first["next_attempt_at"]


@pytest.fixture(params=["sqlite", "postgresql"])
def either_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite, and on PostgreSQL when SYNCD_TEST_POSTGRES_URL is set (the column values
    compared come back differently typed from each)."""
    if request.param == "sqlite":
        with sqlite_bench(tmp_path) as bench:
            yield bench
        return
    with migrated_postgres(request.getfixturevalue("postgres_url")) as engine:
        bench = make_env(engine)
        try:
            yield bench
        finally:
            bench.runtime.executor.shutdown()


class TestSameSecondDeliveries:
    """Trackers stamp `updated_at` in whole seconds: a delivery as new as the mirror may still be news."""

    def _polled(self, either_env: WorkerEnv, **fields: object) -> None:
        """The poll mirrored the task as the tracker showed it at EPOCH."""
        rules = Worker(either_env.runtime).deliveries.okr.model(either_env.runtime.loaded).rules
        with either_env.engine.begin() as conn:
            mirror_upsert(
                conn, [task("acme/web#1", updated_at=EPOCH, **fields)], rules, either_env.clock(), or_equal=True
            )  # type: ignore[arg-type]

    def test_a_different_delivery_of_the_same_second_asks_the_tracker(self, either_env: WorkerEnv) -> None:
        """A label added in the second syncd last read the issue is not lost until the next poll: the task is
        fetched again (the mirror keeps its row meanwhile: which of the two is current, only the tracker knows)."""
        self._polled(either_env, labels=["bug"])
        either_env.deliver("task.changed", snapshot=task("acme/web#1", labels=["bug", "kr:ENG-1.1"], updated_at=EPOCH))
        DeliveryApplier(either_env.runtime).apply_batch()
        assert [(row["kind"], row["key"]) for row in either_env.rows(REFRESH_REQUESTS)] == [("fetch", "acme/web#1")]
        assert _links(either_env, "acme/web#1") == set()

    def test_the_same_content_again_or_an_older_one_asks_nothing(self, either_env: WorkerEnv) -> None:
        self._polled(either_env, labels=["kr:ENG-1.1"])
        either_env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], updated_at=EPOCH))
        either_env.deliver(
            "task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.2"], updated_at=EPOCH - timedelta(seconds=1))
        )
        DeliveryApplier(either_env.runtime).apply_batch()
        assert either_env.rows(REFRESH_REQUESTS) == []
        assert _links(either_env, "acme/web#1") == {"ENG-1.1"}


class TestFailingDeliveries:
    """A delivery that cannot be applied is retried with backoff, then kept as failed; others go on."""

    def test_malformed_delivery_is_retried_then_kept_as_failed(self, env: WorkerEnv) -> None:
        env.deliver("task.nonsense", key="x")
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        applier = DeliveryApplier(env.runtime)
        assert applier.apply_batch() == 2
        bad, good = env.rows(DELIVERIES)
        assert good["status"] == "done"
        assert bad["status"] == "pending"
        assert bad["attempts"] == 1
        assert "unknown event" in bad["last_error"]
        assert applier.apply_batch() == 0  # not before its backoff
        for _ in range(MAX_DELIVERY_ATTEMPTS - 1):
            env.clock.advance(120)
            applier.apply_batch()
        bad = env.rows(DELIVERIES, id=bad["id"])[0]
        assert bad["status"] == "failed"
        assert bad["attempts"] == MAX_DELIVERY_ATTEMPTS
        env.clock.advance(3600)
        assert applier.apply_batch() == 0

    def test_delivery_of_an_unconfigured_source_is_recorded_not_applied(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1"))
        with env.engine.begin() as conn:
            conn.execute(update(DELIVERIES).values(source="gone"))
        DeliveryApplier(env.runtime).apply_batch()
        (row,) = env.rows(DELIVERIES)
        assert "not configured" in row["last_error"]
        assert env.rows(TASK_LINKS) == []


class TestIsolation:
    """A delivery that fails inside the store (not in its adapter) is isolated; the rest of its batch applies."""

    def test_store_failure_of_one_delivery_does_not_hold_back_the_others(
        self, env: WorkerEnv, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real = mirror_upsert

        def failing_on_bad(conn, snapshots, rules, now, *, or_equal):  # type: ignore[no-untyped-def]
            if any(s.external_id == "acme/web#bad" for s in snapshots):
                raise IntegrityError("INSERT INTO tasks ...", {}, Exception("value too long for column"))
            return real(conn, snapshots, rules, now, or_equal=or_equal)

        monkeypatch.setattr("syncd.runtime.apply.deliveries.upsert_snapshots", failing_on_bad)
        for name in ("acme/web#1", "acme/web#bad", "acme/web#2"):
            env.deliver("task.changed", snapshot=task(name, labels=["kr:ENG-1.1"]))
        assert DeliveryApplier(env.runtime).apply_batch() == 3
        statuses = {row["delivery_id"]: (row["status"], row["attempts"]) for row in env.rows(DELIVERIES)}
        assert sorted(statuses.values()) == [("done", 0), ("done", 0), ("pending", 1)]
        (bad,) = [row for row in env.rows(DELIVERIES) if row["status"] == "pending"]
        assert "value too long" in bad["last_error"]
        assert _links(env, "acme/web#1") == {"ENG-1.1"}
