"""The pusher: level-triggered, coalesced, paced, newest first, Retry-After honoured, crash-safe."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from structlog.testing import capture_logs

from syncd.core.errors import Permanent, RateLimited, Retriable
from syncd.core.model import TaskRef, TaskState
from syncd.core.pacing import RateLimit
from syncd.ports import PushWrite, WriteResult
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.worker import Worker
from syncd.store.push_targets import CLAIM_TTL
from syncd.store.tables import LEASES, PUSH_TARGETS
from tests.support.fake_adapter import client_record_id, task
from tests.support.worker_env import WorkerEnv, okr_config, sqlite_bench

WINDOW = 2
#: The fake source's request timeout (the default): how long a request that may have landed is let settle.
REQUEST_TIMEOUT = timedelta(seconds=30)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite, writing comments at up to 80 per minute."""
    with sqlite_bench(tmp_path) as bench:
        yield bench


@pytest.fixture
def slow_env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench whose tracker takes two writes per minute."""
    with sqlite_bench(tmp_path, write_limits=[RateLimit(2, timedelta(minutes=1))]) as bench:
        yield bench


def _change(bench: WorkerEnv, external_id: str, **fields: object) -> None:
    """The tracker changes a task and a webhook tells us; the worker applies it."""
    snapshot = bench.tracker.put(task(external_id, updated_at=bench.clock(), **fields))  # type: ignore[arg-type]
    bench.deliver("task.changed", snapshot=snapshot)
    Worker(bench.runtime).drain()


def _other_connection_targets(bench: WorkerEnv) -> list[Mapping[str, Any]]:
    """The push targets as another connection sees them (only what was committed)."""
    with bench.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(PUSH_TARGETS))]


def _settle(bench: WorkerEnv, pusher: Pusher) -> int:
    """Let the coalescing window pass and push what is due."""
    bench.clock.advance(WINDOW)
    return pusher.run_once()


class TestLevelTriggered:
    """Only a difference between desired and applied state is written, once."""

    def test_due_comment_is_written_once_and_recorded_as_applied(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        assert pusher.run_once() == 0  # not before the coalescing window
        assert _settle(env, pusher) == 1
        (target,) = env.targets()
        assert target["applied_hash"] == target["desired_hash"]
        assert target["remote_id"] is not None
        assert env.tracker.comments["acme/web#1"][target["remote_id"]] == target["desired_text"]
        env.clock.advance(60)
        assert pusher.run_once() == 0

    def test_ten_changes_in_a_second_make_one_write_per_target(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        _change(env, "acme/web#2", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        writes_before = len(env.tracker.writes)
        for step in range(10):
            env.clock.advance(0.1)
            state = TaskState.DONE if step % 2 == 0 else TaskState.OPEN
            _change(env, "acme/web#2", labels=["kr:ENG-1.1"], state=state, title=f"edit {step}")
            pusher.run_once()
        _settle(env, pusher)
        new = env.tracker.writes[writes_before:]
        assert sorted(w.key for w in new) == ["acme/web#1", "acme/web#2"]
        assert all(not w.created for w in new)  # edited in place
        assert env.tracker.comment_count("acme/web#1") == 1

    def test_a_kr_that_never_stops_changing_is_still_written_once_per_window(self, env: WorkerEnv) -> None:
        for number in range(1, 22):
            _change(env, f"acme/web#{number}", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        first = len(env.tracker.writes)
        for number in range(2, 22):  # a task of the KR is done every half second, for ten seconds
            env.clock.advance(0.5)
            _change(env, f"acme/web#{number}", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            pusher.run_once()
        times = [w.at for w in env.tracker.writes[first:] if w.key == "acme/web#1"]
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
        assert len(times) >= 3  # one every window or so, not held back until the changes stop
        assert min(gaps) >= WINDOW

    def test_a_change_undone_within_the_window_is_not_written(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        writes = len(env.tracker.writes)
        env.clock.advance(10)
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        env.clock.advance(1)
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.OPEN)
        _settle(env, pusher)
        # back to what the tracker shows, apart from the "last change" minute of the KR, which moved
        assert len(env.tracker.writes) - writes <= 1

    def test_comment_is_edited_in_place_when_progress_moves(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        env.clock.advance(60)
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        _settle(env, pusher)
        assert env.tracker.comment_count("acme/web#1") == 1
        (text,) = env.tracker.comments["acme/web#1"].values()
        assert "100%" in text

    def test_desired_state_moving_during_a_write_stays_due_a_window_later(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.clock.advance(WINDOW)
        original_apply = env.adapter.apply

        def apply_while_the_task_changes(task_ref, write):  # type: ignore[no-untyped-def]
            result = original_apply(task_ref, write)
            env.clock.advance(0.5)
            _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
            return result

        env.adapter.apply = apply_while_the_task_changes  # type: ignore[method-assign]
        Pusher(env.runtime).run_once()
        (target,) = env.targets()
        assert target["applied_hash"] != target["desired_hash"]
        assert target["next_attempt_at"] == env.clock() + timedelta(seconds=WINDOW)


class TestBudget:
    """The write budget is spent on the most recently changed targets first, never above the pace."""

    def test_pace_limits_writes_per_window(self, slow_env: WorkerEnv) -> None:
        for number in range(1, 6):
            _change(slow_env, f"acme/web#{number}", labels=["kr:ENG-1.1"])
        pusher = Pusher(slow_env.runtime)
        assert _settle(slow_env, pusher) == 2
        slow_env.clock.advance(30)
        assert pusher.run_once() == 0
        slow_env.clock.advance(31)
        assert pusher.run_once() == 2

    def test_newest_changed_kr_is_written_first(self, slow_env: WorkerEnv) -> None:
        for number, kr in ((1, "ENG-1.1"), (2, "ENG-1.1"), (3, "ENG-1.2")):
            _change(slow_env, f"acme/web#{number}", labels=[f"kr:{kr}"])
            slow_env.clock.advance(5)
        pusher = Pusher(slow_env.runtime)
        slow_env.clock.advance(60)
        pusher.run_once()
        first_two = [w.key for w in slow_env.tracker.writes]
        assert first_two[0] == "acme/web#3"
        # ENG-1.1 got a second task after #1 was linked, so #1's comment changed last among the ENG-1.1 pair
        assert set(first_two) == {"acme/web#3", "acme/web#1"}

    def test_a_first_wave_writes_the_most_recently_active_krs_first(self, slow_env: WorkerEnv) -> None:
        """A backfill makes every comment wanted at once; the budget goes first to the KRs whose tasks changed
        last in the tracker, not to whichever the recompute happened to reach first."""
        now = slow_env.clock()
        ages = {"acme/web#1": ("ENG-1.1", 30), "acme/web#2": ("ENG-1.1", 20), "acme/web#3": ("ENG-1.2", 1)}
        for external_id, (kr, days) in ages.items():
            old = task(external_id, labels=[f"kr:{kr}"], updated_at=now - timedelta(days=days))
            slow_env.deliver("task.changed", snapshot=slow_env.tracker.put(old))
        Worker(slow_env.runtime).drain()
        assert len({row["changed_at"] for row in slow_env.targets()}) == 1, "one recompute wanted them all at once"
        pusher = Pusher(slow_env.runtime)
        slow_env.clock.advance(60)
        pusher.run_once()
        written = [w.key for w in slow_env.tracker.writes]
        assert written[0] == "acme/web#3"
        assert len(written) == 2


class TestFailures:
    """Retriable failures wait exactly as long as asked; permanent ones are recorded and shown."""

    def test_retry_after_is_honoured_to_the_second(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.adapter.fail_next("apply", RateLimited("secondary rate limit", delay=30, status=429))
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        failed_at = env.clock()
        (target,) = env.targets()
        assert target["next_attempt_at"] == failed_at + timedelta(seconds=30)
        assert target["attempts"] == 1
        assert "secondary rate limit" in target["last_error"]
        for _ in range(29):
            env.clock.advance(1)
            pusher.run_once()
        assert [call.at for call in env.adapter.calls_of("apply")] == [failed_at]
        env.clock.advance(1)
        assert pusher.run_once() == 1
        assert [call.at for call in env.adapter.calls_of("apply")] == [failed_at, failed_at + timedelta(seconds=30)]
        assert env.runtime.holds.until("fake", failed_at) == failed_at + timedelta(seconds=30)

    def test_a_hold_seen_by_the_scheduler_also_holds_writes(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        env.clock.advance(WINDOW)
        env.runtime.holds.hold("fake", env.clock() + timedelta(seconds=10))
        assert pusher.run_once() == 0
        env.clock.advance(10)
        assert pusher.run_once() == 1
        assert [call.at for call in env.adapter.calls_of("apply")] == [env.clock()]

    def test_a_failure_that_may_have_landed_waits_the_request_timeout(self, env: WorkerEnv) -> None:
        """A 502 or a timeout says nothing about the request: a late landing must not overwrite the retry."""
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.adapter.fail_next("apply", Retriable("bad gateway", delay=0, status=502))
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        (target,) = env.targets()
        assert target["next_attempt_at"] == env.clock() + REQUEST_TIMEOUT
        env.clock.advance(REQUEST_TIMEOUT.total_seconds() - 1)
        assert pusher.run_once() == 0
        env.clock.advance(1)
        assert pusher.run_once() == 1
        assert env.targets()[0]["last_error"] is None

    def test_a_failure_that_may_have_landed_holds_only_its_own_target_for_the_request_timeout(
        self, env: WorkerEnv
    ) -> None:
        """The other targets of the source wait only for the short backoff, not for the 502'd one to settle."""
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        _change(env, "acme/web#2", labels=["kr:ENG-1.2"])
        env.adapter.fail_next("apply", Retriable("bad gateway", delay=2, status=502))
        pusher = Pusher(env.runtime)
        env.clock.advance(WINDOW)
        pusher.run_once()  # the first write fails; the source backs off 2 s
        (failed,) = [call.detail.removeprefix("comment:") for call in env.adapter.calls_of("apply")]
        env.clock.advance(2)
        assert pusher.run_once() == 1
        other = next(t for t in env.targets() if t["key"] != failed)
        assert other["applied_hash"] == other["desired_hash"]
        assert next(t for t in env.targets() if t["key"] == failed)["applied_hash"] is None

    def test_repeated_retriable_failures_log_once_and_the_recovery_once(self, env: WorkerEnv) -> None:
        """A source that keeps failing is a warning when it starts and an info when it writes again;
        the retries in between are debug lines (each one is still kept on its target's row)."""
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        refused = [Retriable("ConnectionError: connection refused", delay=5) for _ in range(4)]
        env.adapter.fail_next("apply", *refused)
        pusher = Pusher(env.runtime)
        with capture_logs() as logs:
            _settle(env, pusher)
            for _ in range(4):
                # A refused connection may have landed: it is retried no sooner than the source's request timeout.
                env.clock.advance(60)
                pusher.run_once()
        push_logs = [(entry["event"], entry["log_level"]) for entry in logs if entry["event"].startswith("push.")]
        assert push_logs == [
            ("push.retry_scheduled", "warning"),
            ("push.retry_scheduled", "debug"),
            ("push.retry_scheduled", "debug"),
            ("push.retry_scheduled", "debug"),
            ("push.answered", "debug"),
            ("push.recovered", "info"),
            ("push.comment_written", "info"),
        ]
        recovered = next(entry for entry in logs if entry["event"] == "push.recovered")
        assert (recovered["source"], recovered["failed_attempts"]) == ("fake", 4)

    def test_permanent_failure_is_kept_with_its_message_and_not_retried(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.adapter.fail_next("apply", Permanent("issue is locked; unlock it or remove the kr label", status=403))
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        (target,) = env.targets()
        assert target["failed_permanently"] is True
        assert "issue is locked" in target["last_error"]
        env.clock.advance(3600)
        assert pusher.run_once() == 0

    def test_new_content_gives_a_permanently_failed_target_another_try(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.adapter.fail_next("apply", Permanent("forbidden", status=403))
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        assert _settle(env, pusher) == 1
        (target,) = env.targets()
        assert target["failed_permanently"] is False
        assert target["applied_hash"] == target["desired_hash"]


class TestCrashSafety:
    """A write whose outcome was never recorded is not duplicated: the marker finds the comment."""

    def test_lost_record_of_a_created_comment_does_not_create_a_second(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        with env.engine.begin() as conn:  # as if the process died between the write and its record
            conn.execute(update(PUSH_TARGETS).values(applied_hash=None, remote_id=None, next_attempt_at=env.clock()))
        pusher.run_once()
        assert env.tracker.comment_count("acme/web#1") == 1
        assert len(env.tracker.writes) == 2
        assert env.targets()[0]["remote_id"] == env.tracker.writes[0].remote_id


class _Killed(BaseException):
    """The process dies here: nothing after this point runs (not even the pusher's error handling)."""


def _die_after(env: WorkerEnv, then: Callable[[], None] = lambda: None) -> Callable[[TaskRef | None, PushWrite], None]:
    """An `apply` that lands the write in the tracker, runs `then`, and dies before the outcome is recorded."""
    original = env.adapter.apply

    def lands_then_dies(task_ref: TaskRef | None, write: PushWrite) -> None:
        original(task_ref, write)
        then()
        raise _Killed

    return lands_then_dies


def _restarted(env: WorkerEnv) -> Runtime:
    """The runtime of a new process on the same store and tracker (another holder name, like another pid)."""
    loaded = LoadedConfig(env.runtime.config, None, {"fake": env.adapter})
    runtime = Runtime(loaded=loaded, engine=env.engine, clock=env.clock, worker_id="restarted-worker")
    runtime.executor.shutdown()  # run_once needs no thread pool
    return runtime


def _back_to_applied(env: WorkerEnv) -> None:
    """The KR returns to the text last recorded as applied (as a recompute would render it, to the byte)."""
    with env.engine.begin() as conn:
        values = {"desired_hash": PUSH_TARGETS.c.applied_hash, "desired_text": PUSH_TARGETS.c.applied_text}
        conn.execute(update(PUSH_TARGETS).values(**values))


class TestWriteAhead:
    """A write started and never recorded leaves its target unknown: the next pass re-writes it."""

    def test_a_landed_write_is_repaired_after_a_kill_though_the_kr_went_back_to_the_applied_text(
        self, env: WorkerEnv
    ) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)  # text A is applied
        (applied,) = env.tracker.comments["acme/web#1"].values()
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)  # B is desired
        env.adapter.apply = _die_after(env, then=lambda: _back_to_applied(env))  # type: ignore[method-assign,assignment]
        with pytest.raises(_Killed):
            _settle(env, pusher)  # B lands, the KR returns to A, the process dies before recording B
        (target,) = env.targets()
        assert env.tracker.comments["acme/web#1"][target["remote_id"]] != applied  # the tracker shows B
        assert target["desired_hash"] == target["applied_hash"]  # and the store says A is there
        del env.adapter.apply
        env.clock.advance(CLAIM_TTL.total_seconds())  # the dead process's claim lapses
        restarted = Pusher(_restarted(env))
        assert restarted.run_once() == 0  # its last request may still land: left alone for the request timeout
        assert restarted.source("fake").next_due() == env.clock() + REQUEST_TIMEOUT  # asleep until then, no spin
        env.clock.advance(REQUEST_TIMEOUT.total_seconds())
        assert restarted.run_once() == 1
        assert env.tracker.comments["acme/web#1"] == {target["remote_id"]: applied}
        (target,) = env.targets()
        assert target["inflight_hash"] is None

    def test_a_write_ahead_is_committed_before_the_tracker_is_called(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        seen: list[Mapping[str, Any]] = []
        original = env.adapter.apply

        def apply_reading_the_store(task_ref: TaskRef | None, write: PushWrite) -> WriteResult:
            seen.extend(_other_connection_targets(env))
            return original(task_ref, write)

        env.adapter.apply = apply_reading_the_store  # type: ignore[method-assign]
        _settle(env, Pusher(env.runtime))
        assert [(row["inflight_hash"], row["inflight_at"] is not None) for row in seen] == [
            (seen[0]["desired_hash"], True)
        ]
        assert env.targets()[0]["inflight_hash"] is None

    def test_a_failure_of_unknown_outcome_keeps_the_target_due_after_the_kr_returned(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        (applied,) = env.tracker.comments["acme/web#1"].values()
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        original = env.adapter.apply

        def times_out_after_landing(task_ref: TaskRef | None, write: PushWrite) -> WriteResult:
            original(task_ref, write)
            _back_to_applied(env)
            raise Retriable("read timed out; will retry", delay=5)

        env.adapter.apply = times_out_after_landing  # type: ignore[method-assign]
        _settle(env, pusher)
        del env.adapter.apply
        env.clock.advance(REQUEST_TIMEOUT.total_seconds())
        assert pusher.run_once() == 1
        assert list(env.tracker.comments["acme/web#1"].values()) == [applied]


class TestNeverTwice:
    """A create whose outcome is unknown is never followed by another before it could have landed."""

    def test_a_create_after_an_unknown_one_is_looked_for_again_once_that_one_settled(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])

        def dies_with_the_request_on_the_wire(task_ref: TaskRef | None, write: PushWrite) -> WriteResult:
            raise _Killed

        env.adapter.apply = dies_with_the_request_on_the_wire  # type: ignore[method-assign]
        with pytest.raises(_Killed):
            _settle(env, Pusher(env.runtime))
        unknown: list[bool] = []
        original = type(env.adapter).apply.__get__(env.adapter)

        def recording(task_ref: TaskRef | None, write: PushWrite) -> WriteResult:
            unknown.append(write.unknown)
            return original(task_ref, write)

        env.adapter.apply = recording  # type: ignore[method-assign]
        env.clock.advance(CLAIM_TTL.total_seconds())
        restarted = Pusher(_restarted(env))
        assert restarted.run_once() == 0
        env.clock.advance(REQUEST_TIMEOUT.total_seconds())
        assert restarted.run_once() == 1  # the marker finds nothing: created
        (target,) = env.targets()
        assert target["inflight_hash"] == target["desired_hash"]  # still unknown: the first create may land late
        assert target["next_attempt_at"] == env.clock() + REQUEST_TIMEOUT
        env.clock.advance(REQUEST_TIMEOUT.total_seconds())
        assert restarted.run_once() == 1  # read again (the GitHub adapter deletes a late duplicate here)
        assert [(w.created, w.key) for w in env.tracker.writes] == [(True, "acme/web#1"), (False, "acme/web#1")]
        assert unknown == [True, True]
        (target,) = env.targets()
        assert (target["inflight_hash"], target["next_attempt_at"]) == (None, None)
        env.clock.advance(3600)
        assert restarted.run_once() == 0

    def test_a_pusher_whose_claim_was_taken_over_does_not_write(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.clock.advance(WINDOW)
        source = Pusher(env.runtime).source("fake")
        (job,) = source.claim(1)
        with env.engine.begin() as conn:  # our claim lapsed meanwhile and another replica claimed the target
            conn.execute(update(PUSH_TARGETS).values(claimed_by="replica-2"))
        assert source.write(env.adapter, job) == "held"
        assert env.adapter.calls_of("apply") == []
        assert env.targets()[0]["inflight_hash"] is None

    def test_a_pusher_that_lost_the_lease_does_not_write(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.clock.advance(WINDOW)
        source = Pusher(env.runtime).source("fake")
        (job,) = source.claim(1)
        with env.engine.begin() as conn:
            conn.execute(update(LEASES).values(holder="replica-2"))
        source.lease.mark_lost()
        assert source.write(env.adapter, job) == "held"
        assert env.adapter.calls_of("apply") == []


class TestRecordFoundByAClientChosenId:
    """A tracker whose comments hold no hidden text (Linear) finds a task's record by the id its adapter chose
    when it created it: the runtime hands it no marker, and a lost id or a lost answer still makes no second."""

    @pytest.fixture
    def client_id_env(self, tmp_path: Path) -> Iterator[WorkerEnv]:
        """A bench whose fake tracker comments carry no marker and are found by a client-chosen id."""
        with sqlite_bench(tmp_path, records="client_id") as bench:
            yield bench

    def test_the_record_is_written_as_rendered_with_no_marker_in_it(self, client_id_env: WorkerEnv) -> None:
        env = client_id_env
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        assert _settle(env, Pusher(env.runtime)) == 1
        (target,) = env.targets()
        record_id = client_record_id(TaskRef("fake", "acme/web#1"))
        assert target["remote_id"] == record_id
        assert env.tracker.comments["acme/web#1"] == {record_id: "OKR progress\nENG-1.1: 0%\n"}
        assert target["applied_hash"] == target["desired_hash"]

    def test_a_lost_id_is_found_again_without_a_second_comment(self, client_id_env: WorkerEnv) -> None:
        env = client_id_env
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        pusher = Pusher(env.runtime)
        _settle(env, pusher)
        with env.engine.begin() as conn:  # as if the process died between the write and its record
            conn.execute(update(PUSH_TARGETS).values(applied_hash=None, remote_id=None, next_attempt_at=env.clock()))
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE)
        assert _settle(env, pusher) == 1
        assert [w.created for w in env.tracker.writes] == [True, False]
        assert list(env.tracker.comments["acme/web#1"].values()) == ["OKR progress\nENG-1.1: 100%\n"]

    def test_a_create_whose_answer_was_lost_is_not_made_twice(self, client_id_env: WorkerEnv) -> None:
        env = client_id_env
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        env.adapter.apply = _die_after(env)  # type: ignore[method-assign,assignment]
        with pytest.raises(_Killed):
            _settle(env, Pusher(env.runtime))  # the create lands, the process dies before recording it
        del env.adapter.apply
        env.clock.advance(CLAIM_TTL.total_seconds())
        restarted = Pusher(_restarted(env))
        assert restarted.run_once() == 0  # the dead process's request is let settle first
        env.clock.advance(REQUEST_TIMEOUT.total_seconds())
        assert restarted.run_once() == 1
        assert [w.created for w in env.tracker.writes] == [True, False]
        assert env.tracker.comment_count("acme/web#1") == 1
        (target,) = env.targets()
        assert (target["inflight_hash"], target["applied_hash"]) == (None, target["desired_hash"])


class TestModes:
    """Dry-run writes nothing; the push lease keeps a second replica from writing the same source."""

    def test_dry_run_computes_but_never_writes(self, tmp_path: Path) -> None:
        config = okr_config(push={"dry_run": True})
        with sqlite_bench(tmp_path, config) as bench:
            _change(bench, "acme/web#1", labels=["kr:ENG-1.1"])
            assert len(bench.targets()) == 1
            assert _settle(bench, Pusher(bench.runtime)) == 0
            assert bench.adapter.calls_of("apply") == []

    def test_second_replica_does_not_push_while_the_first_holds_the_lease(self, env: WorkerEnv) -> None:
        _change(env, "acme/web#1", labels=["kr:ENG-1.1"])
        first = Pusher(env.runtime)
        env.clock.advance(WINDOW)
        first.source("fake").keep_lease()
        other = Runtime(
            loaded=LoadedConfig(env.runtime.config, None, {"fake": env.adapter}),
            engine=env.engine,
            clock=env.clock,
            worker_id="replica-2",
        )
        assert Pusher(other).run_once() == 0
        assert first.run_once() == 1
        other.executor.shutdown()
