"""Recompute and desired push state: KR numbers, check-ins, objectives, comments, coalescing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, update

from syncd.core.model import TaskState
from syncd.ports import WriteKind
from syncd.runtime.worker import Worker
from syncd.store.key_results import metric_checkins
from syncd.store.tables import CHECK_INS, KEY_RESULTS, OBJECTIVES, PUSH_TARGETS
from tests.support.fake_adapter import EPOCH, task
from tests.support.worker_env import WorkerEnv, okr_config, sqlite_bench


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite."""
    with sqlite_bench(tmp_path) as bench:
        yield bench


def _progress_checkins(bench: WorkerEnv, kr_id: str) -> list[float]:
    return [row["progress"] for row in bench.rows(CHECK_INS, kr_id=kr_id, kind="progress")]


def _comment(bench: WorkerEnv, external_id: str) -> str:
    (row,) = bench.targets(kind="comment", key=external_id)
    return str(row["desired_text"])


class TestKrProgress:
    """A KR's stored numbers follow its linked tasks; every change is kept as a check-in."""

    def test_half_of_the_tasks_done_is_fifty_percent_with_a_check_in(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        Worker(env.runtime).drain()
        kr = env.kr("ENG-1.1")
        assert kr["progress"] == pytest.approx(0.5)
        assert (kr["current"], kr["total"]) == (1.0, 2.0)
        assert kr["dirty_since"] is None
        assert kr["progress_changed_at"] is not None
        (check_in,) = env.rows(CHECK_INS, kr_id="ENG-1.1")
        assert (check_in["progress"], check_in["done"], check_in["total"]) == (0.5, 1.0, 2.0)
        assert check_in["cause"] == "linked tasks changed"

    def test_recomputing_without_a_change_records_no_check_in(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        worker = Worker(env.runtime)
        worker.drain()
        changed_at = env.kr("ENG-1.1")["progress_changed_at"]
        env.clock.advance(60)
        env.deliver(
            "task.changed",
            snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE, title="x", updated_at=env.clock()),
        )
        worker.drain()
        assert _progress_checkins(env, "ENG-1.1") == [1.0]
        assert env.kr("ENG-1.1")["progress_changed_at"] == changed_at

    def test_objective_is_the_weighted_mean_of_its_krs(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.2"]))
        Worker(env.runtime).drain()
        (objective,) = env.rows(OBJECTIVES, id="ENG-1")
        assert objective["progress"] == pytest.approx(1 / 3)  # ENG-1.1 100%, ENG-1.2 0%, ENG-1.3 0%

    def test_metric_kr_follows_its_latest_check_in(self, env: WorkerEnv) -> None:
        with env.engine.begin() as conn:
            conn.execute(insert(CHECK_INS).values(kr_id="ENG-1.3", at=EPOCH, kind="metric", value=4.5))
            conn.execute(update(KEY_RESULTS).where(KEY_RESULTS.c.id == "ENG-1.3").values(dirty_since=EPOCH))
        Worker(env.runtime).drain()
        kr = env.kr("ENG-1.3")
        assert kr["progress"] == pytest.approx(0.5)  # from 7 towards 2, now 4.5
        assert kr["current"] == 4.5
        assert _progress_checkins(env, "ENG-1.3") == [0.5]

    def test_a_change_between_reading_ahead_and_writing_is_not_lost(
        self, env: WorkerEnv, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On SQLite progress is computed before the write lock; a task that changes in between (a
        delivery applied meanwhile) must count, not be overwritten by the older figure."""
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.deliveries.apply_batch()
        read_ahead = worker.recompute.read_ahead

        def read_ahead_then_a_delivery(*args: Any) -> Any:
            ahead = read_ahead(*args)
            assert ahead.progress["ENG-1.1"].progress == 0.0  # computed before the change below
            done = task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE, updated_at=env.clock.advance(1))
            env.deliver("task.changed", snapshot=done)
            assert worker.deliveries.apply_batch() == 1
            return ahead

        monkeypatch.setattr(worker.recompute, "read_ahead", read_ahead_then_a_delivery)
        worker.recompute.recompute_krs()
        kr = env.kr("ENG-1.1")
        assert kr["progress"] == pytest.approx(0.5)
        assert kr["dirty_since"] is None

    def test_metric_check_ins_are_read_without_walking_the_progress_history(self, env: WorkerEnv) -> None:
        """Every recompute reads a KR's metric check-ins; a year of progress check-ins must not slow it."""
        statements: list[tuple[str, Any]] = []
        with env.engine.connect() as conn:
            event.listen(conn, "before_cursor_execute", lambda *args: statements.append((args[2], args[3])))
            metric_checkins(conn, ["ENG-1.3"])
            ((sql, parameters),) = statements
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
        assert plan == ["SEARCH check_ins USING INDEX ix_check_ins_kr_kind_at (kr_id=? AND kind=?)"]

    def test_deleted_task_leaves_the_numerator_and_denominator(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        env.deliver("task.deleted", key="acme/web#2")
        worker.drain()
        assert env.kr("ENG-1.1")["progress"] == pytest.approx(1.0)
        assert env.kr("ENG-1.1")["status"] == "done"
        assert env.targets(key="acme/web#2") == []


class TestDesiredComment:
    """Each linked task's comment says what its KRs stand at; identical renders change nothing."""

    def test_linked_task_gets_a_comment_naming_its_kr_and_progress(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        Worker(env.runtime).drain()
        text = _comment(env, "acme/web#1")
        assert "<!-- syncd:task=fake:acme/web#1 -->" in text
        assert "ENG-1.1" in text
        assert "50%" in text
        assert "1 of 2 tasks done" in text
        (target,) = env.targets(key="acme/web#1")
        assert target["next_attempt_at"] == EPOCH + timedelta(seconds=2)  # the coalescing window
        assert target["applied_hash"] is None

    def test_an_unrelated_task_gets_no_comment(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["bug"]))
        Worker(env.runtime).drain()
        assert env.targets() == []

    def test_task_that_loses_its_last_kr_is_told_it_no_longer_counts(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=[], updated_at=EPOCH + timedelta(minutes=1)))
        worker.drain()
        assert "no longer counts" in _comment(env, "acme/web#1")

    def test_unknown_kr_label_warns_in_the_comment(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.9"]))
        Worker(env.runtime).drain()
        text = _comment(env, "acme/web#1")
        assert "ENG-1.9" in text
        assert "Did you mean" in text

    def test_a_byte_identical_render_leaves_the_target_untouched(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        before = env.targets()
        env.clock.advance(30)
        with env.engine.begin() as conn:  # e.g. the hourly refresh
            conn.execute(update(KEY_RESULTS).values(dirty_since=env.clock()))
        worker.drain()
        assert env.targets() == before

    def test_a_change_while_a_write_is_pending_joins_it(self, env: WorkerEnv) -> None:
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"]))
        env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        (first,) = env.targets(key="acme/web#1")
        env.clock.advance(1)
        done = task("acme/web#2", labels=["kr:ENG-1.1"], state=TaskState.DONE, updated_at=env.clock())
        env.deliver("task.changed", snapshot=done)
        worker.drain()
        (second,) = env.targets(key="acme/web#1")
        assert second["desired_hash"] != first["desired_hash"]
        assert second["changed_at"] == env.clock()
        assert second["next_attempt_at"] == first["next_attempt_at"]  # still due at the first change + window

    def test_comment_target_survives_a_restart_of_the_count(self, env: WorkerEnv) -> None:
        """Recomputing from scratch (every KR dirty) reproduces the same desired state."""
        env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1", "kr:ENG-2.1"]))
        worker = Worker(env.runtime)
        worker.drain()
        before = {row["key"]: row["desired_hash"] for row in env.rows(PUSH_TARGETS)}
        with env.engine.begin() as conn:
            conn.execute(update(KEY_RESULTS).values(dirty_since=env.clock(), computed_at=None))
        worker.drain()
        assert {row["key"]: row["desired_hash"] for row in env.rows(PUSH_TARGETS)} == before


class TestFieldsAndGoals:
    """Besides comments, a task's progress field and a KR's tracker-side goal get desired values."""

    def test_field_holds_the_first_linked_krs_progress_as_a_fraction(self, tmp_path: Path) -> None:
        with sqlite_bench(tmp_path, targets=(WriteKind.COMMENT, WriteKind.FIELD)) as bench:
            bench.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            bench.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1", "kr:ENG-1.2"]))
            Worker(bench.runtime).drain()
            fields = {row["key"]: row["desired_number"] for row in bench.targets(kind="field")}
            assert fields == {"acme/web#1": pytest.approx(0.5), "acme/web#2": pytest.approx(0.5)}

    def test_goal_follows_its_kr(self, tmp_path: Path) -> None:
        with sqlite_bench(tmp_path, goal_ids={"ENG-1.1": "goal-1"}) as bench:
            bench.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            bench.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
            Worker(bench.runtime).drain()
            (goal,) = bench.targets(kind="goal")
            assert (goal["key"], goal["task_id"]) == ("ENG-1.1", None)
            assert goal["desired_number"] == pytest.approx(0.5)

    def test_a_metric_kr_with_no_current_value_feeds_no_goal(self, tmp_path: Path) -> None:
        """No check-in yet: syncd knows no current value, so it writes nothing (not the start value) into
        the goal people may have filled; the first check-in then feeds it."""
        with sqlite_bench(tmp_path, goal_ids={"ENG-1.1": "goal-1", "ENG-1.3": "goal-3"}) as bench:
            bench.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            with bench.engine.begin() as conn:
                conn.execute(update(KEY_RESULTS).values(dirty_since=EPOCH))
            Worker(bench.runtime).drain()
            assert [goal["key"] for goal in bench.targets(kind="goal")] == ["ENG-1.1"]
            with bench.engine.begin() as conn:
                conn.execute(insert(CHECK_INS).values(kr_id="ENG-1.3", at=EPOCH, kind="metric", value=4.5))
                conn.execute(update(KEY_RESULTS).where(KEY_RESULTS.c.id == "ENG-1.3").values(dirty_since=EPOCH))
            Worker(bench.runtime).drain()
            goals = {goal["key"]: goal["desired_number"] for goal in bench.targets(kind="goal")}
            assert goals == {"ENG-1.1": pytest.approx(1.0), "ENG-1.3": 4.5}

    def test_a_goal_added_later_is_fed_once_its_kr_is_recomputed(self, tmp_path: Path) -> None:
        """A reload that adds a goal marks every KR dirty; the goal gets its value though the KR did not move."""
        with sqlite_bench(tmp_path) as bench:
            bench.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            Worker(bench.runtime).drain()
            assert bench.targets(kind="goal") == []
            bench.adapter.report_goal_ids({"ENG-1.1": "goal-1"})  # what the reloaded config's adapter reports
            with bench.engine.begin() as conn:
                conn.execute(update(KEY_RESULTS).values(dirty_since=EPOCH))
            Worker(bench.runtime).drain()
            (goal,) = bench.targets(kind="goal")
            assert (goal["key"], goal["desired_number"]) == ("ENG-1.1", pytest.approx(1.0))

    def test_push_switches_in_the_config_turn_targets_off(self, tmp_path: Path) -> None:
        config = okr_config(push={"comments": False, "fields": False, "goals": False})
        options = {"targets": (WriteKind.COMMENT, WriteKind.FIELD), "goal_ids": {"ENG-1.1": "goal-1"}}
        with sqlite_bench(tmp_path, config, **options) as bench:
            bench.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
            Worker(bench.runtime).drain()
            assert bench.targets() == []
