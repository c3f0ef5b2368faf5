"""`syncd checkin KR VALUE` through the real CLI: progress, history and push state follow; refusals say why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from syncd.store.tables import CHECK_INS, PUSH_TARGETS
from tests.support.admin_world import CYCLE, AdminWorld


def check_ins(world: AdminWorld, kr_id: str) -> list[dict[str, object]]:
    """The KR's check-in rows, oldest first."""
    engine = world.engine()
    try:
        with engine.connect() as conn:
            query = select(CHECK_INS).where(CHECK_INS.c.kr_id == kr_id).order_by(CHECK_INS.c.id)
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def comment_target(world: AdminWorld, external_id: str) -> dict[str, object]:
    """The push target of a task's comment."""
    engine = world.engine()
    try:
        with engine.connect() as conn:
            query = select(PUSH_TARGETS).where(PUSH_TARGETS.c.kind == "comment", PUSH_TARGETS.c.key == external_id)
            return dict(conn.execute(query).one()._mapping)
    finally:
        engine.dispose()


def kr_status(world: AdminWorld, kr_id: str) -> dict[str, object]:
    """The KR as `syncd status --json` shows it."""
    result = world.syncd("status", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    krs = [kr for objective in document["objectives"] for kr in objective["key_results"]]
    return next(kr for kr in krs if kr["id"] == kr_id)


class TestRecorded:
    """A metric KR's value is kept, and its progress, history and comments follow at once."""

    def test_half_way_from_start_to_target_is_fifty_percent(self, world: AdminWorld) -> None:
        result = world.syncd("checkin", "ENG-1.2", "4.5", "--note", "median of last week's signups")
        assert result.exit_code == 0, result.output
        assert "ENG-1.2: checked in 4.5 at" in result.stdout
        assert "(median of last week's signups); progress 50%" in result.stdout
        status = kr_status(world, "ENG-1.2")
        assert (status["progress"], status["current"], status["percent"]) == (0.5, 4.5, 50)

    def test_history_keeps_the_input_and_the_progress_change(self, world: AdminWorld) -> None:
        assert world.syncd("checkin", "eng-1.2", "4.5").exit_code == 0
        rows = check_ins(world, "ENG-1.2")
        metric = [row for row in rows if row["kind"] == "metric"]
        progress = [row for row in rows if row["kind"] == "progress"]
        assert [(row["value"], row["cause"]) for row in metric] == [(4.5, "check-in (cli)")]
        assert progress[-1]["progress"] == pytest.approx(0.5)
        assert progress[-1]["cause"] == "metric check-in"

    def test_comment_of_a_linked_task_is_due_with_the_new_value(self, world: AdminWorld) -> None:
        before = comment_target(world, "acme/web#7")
        assert world.syncd("checkin", "ENG-1.2", "4.5").exit_code == 0
        after = comment_target(world, "acme/web#7")
        assert after["desired_hash"] != before["desired_hash"]
        assert after["applied_hash"] == before["applied_hash"]  # written by the pusher next, not by the CLI
        assert "**50%** (4.5 / 2 days (from 7))" in str(after["desired_text"])

    def test_a_time_earlier_in_the_cycle_is_accepted(self, world: AdminWorld) -> None:
        at = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = world.syncd("checkin", "ENG-1.2", "6", "--at", at)
        assert result.exit_code == 0, result.output
        (metric,) = [row for row in check_ins(world, "ENG-1.2") if row["kind"] == "metric"]
        assert metric["at"].strftime("%Y-%m-%dT%H:%M:%SZ") == at  # type: ignore[attr-defined]

    def test_an_earlier_check_in_keeps_the_later_value_and_says_so(self, world: AdminWorld) -> None:
        assert world.syncd("checkin", "ENG-1.2", "4.5").exit_code == 0
        earlier = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        result = world.syncd("checkin", "ENG-1.2", "6", "--at", earlier)
        assert result.exit_code == 0, result.output
        assert "progress 50%" in result.stdout
        assert "(the current value stays 4.5, from a later check-in)" in result.stdout


class TestRefused:
    """Each refusal exits 1 with what was wrong and what to do, and records nothing."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("ENG-1.1", "3"), "ENG-1.1 measures tasks: its progress comes from linked tasks, not check-ins"),
            (("ENG-1.3", "3"), "ENG-1.3 measures count"),
            (("ENG-1.9", "3"), "no key result 'ENG-1.9' in the config; did you mean ENG-1.1, ENG-1.2, ENG-1.3?"),
            (("ENG-12", "3"), "did you mean ENG-1.2"),
            (("ENG-1.2", "fast"), "'fast' is not a number"),
            (("ENG-1.2", "nan"), "is not a finite number"),
            (("ENG-1.2", "3", "--at", f"{CYCLE['start']}T00:00:00+00:01"), "is outside ENG-1.2's cycle 2026-Q4"),
            (("ENG-1.2", "3", "--at", "last tuesday"), "'last tuesday' is not a time"),
        ],
        ids=["tasks-kr", "count-kr", "unknown-kr", "close-id", "word", "nan", "before-cycle", "bad-time"],
    )
    def test_refusal_names_the_problem(self, shared_world: AdminWorld, args: tuple[str, ...], message: str) -> None:
        before = len(check_ins(shared_world, "ENG-1.2"))
        result = shared_world.syncd("checkin", *args)
        assert result.exit_code == 1, result.output
        assert "check-in refused:" in result.stderr
        assert message in result.stderr
        assert len(check_ins(shared_world, "ENG-1.2")) == before

    def test_a_time_in_the_future_is_refused(self, shared_world: AdminWorld) -> None:
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        result = shared_world.syncd("checkin", "ENG-1.2", "3", "--at", later)
        assert result.exit_code == 1
        assert "is in the future" in result.stderr

    def test_a_store_not_migrated_is_named(self, shared_world: AdminWorld, tmp_path: object) -> None:
        result = shared_world.syncd(
            "checkin", "ENG-1.2", "3", env={"SYNCD_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"}
        )
        assert result.exit_code == 1
        assert "syncd db upgrade" in result.stderr
