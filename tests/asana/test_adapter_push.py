"""Writes through the real SDK against the simulator: one comment per task edited in place, custom fields
(percent, number, text), goal metrics, and rate limits honoured."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from adapters.asana.adapter import AsanaAdapter
from adapters.asana.render import ASANA_RICH_TEXT
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.asana import AsanaSimulator
from tests.support.asana_sim import SOURCE, AsanaWorld, MakeAdapter


def comment(task: str, percent: int, remote_id: str | None = None) -> PushWrite:
    """The pusher's comment write for a task: rich text led by the marker (the rendering's, not handed over)."""
    marker = ASANA_RICH_TEXT.marker(TaskRef(SOURCE, task))
    text = f"<body><strong>OKR progress</strong> {marker}<ul><li><strong>ENG-1.1</strong>: {percent}%</li></ul></body>"
    return PushWrite(WriteKind.COMMENT, task, text=text, remote_id=remote_id)


def ref(task: str) -> TaskRef:
    """The task's identity."""
    return TaskRef(SOURCE, task)


class TestComments:
    """One comment story per task: created once, then edited in place."""

    def test_a_comment_is_created_once_then_edited_in_place(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """The second write edits the first story (PUT), never adds a second."""
        task = asana_sim.create_task("Ship", project=asana_world.web, tags=["kr:ENG-1.1"]).gid
        first = asana_adapter.apply(ref(task), comment(task, 33))
        second = asana_adapter.apply(ref(task), comment(task, 67, remote_id=first.remote_id))
        comments = asana_sim.comments(task)
        assert [c["gid"] for c in comments] == [first.remote_id]
        assert second.remote_id == first.remote_id
        assert "ENG-1.1: 67%" in comments[0]["text"]
        assert (asana_sim.log.count("POST", "/stories$"), asana_sim.log.count("PUT", "^/stories/")) == (1, 1)

    def test_a_lost_comment_id_is_found_again_by_its_marker(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """After a crash lost the stored id, the marker finds our story among a person's comments."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        ours = asana_adapter.apply(ref(task), comment(task, 33)).remote_id
        asana_sim.add_comment(task, "Looks good to me")
        again = asana_adapter.apply(ref(task), comment(task, 50))
        assert again.remote_id == ours
        assert len(asana_sim.comments(task)) == 2
        assert "50%" in asana_sim.comments(task)[0]["text"]

    def test_a_comment_deleted_in_asana_is_written_again_once(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """The edit answers 404; no story has the marker; one new comment is created."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        first = asana_adapter.apply(ref(task), comment(task, 33)).remote_id
        assert first is not None
        asana_sim.state.stories.delete(first)
        again = asana_adapter.apply(ref(task), comment(task, 50, remote_id=first))
        assert [c["gid"] for c in asana_sim.comments(task)] == [again.remote_id]
        assert again.remote_id != first

    def test_a_plain_rendering_is_wrapped_in_body(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Asana refuses rich text outside `<body>`; the adapter wraps it."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        asana_adapter.apply(ref(task), PushWrite(WriteKind.COMMENT, task, text="<strong>50%</strong> done"))
        assert asana_sim.comments(task)[0]["html_text"] == "<body><strong>50%</strong> done</body>"

    def test_a_comment_on_a_deleted_task_is_not_found(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """NotFound (permanent): the pusher records it rather than retrying forever."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        asana_sim.delete_task(task)
        with pytest.raises(NotFound):
            asana_adapter.apply(ref(task), comment(task, 10))


def unknown(task: str, percent: int, remote_id: str | None = None) -> PushWrite:
    """The same comment write after one whose outcome is unknown (a crash, or an answer lost on the way)."""
    return replace(comment(task, percent, remote_id), unknown=True)


def ours(task: str, percent: int) -> str:
    """The plain text of one of our comments as a late create would have left it."""
    return f"OKR progress {ASANA_RICH_TEXT.marker(ref(task))}\nENG-1.1: {percent}%"


class TestUnknownOutcome:
    """After a write of unknown outcome the task's stories are read again, and one comment of ours is left."""

    def test_a_late_duplicate_is_deleted_and_the_stored_comment_kept(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A create that landed after its answer was lost left a second story with our marker: it goes."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        stored = asana_adapter.apply(ref(task), comment(task, 33)).remote_id
        person = asana_sim.add_comment(task, "Looks good to me").gid
        late = asana_sim.add_comment(task, ours(task, 33)).gid
        result = asana_adapter.apply(ref(task), unknown(task, 50, remote_id=stored))
        assert (result.remote_id, result.created) == (stored, False)
        comments = asana_sim.comments(task)
        assert [c["gid"] for c in comments] == [stored, person]
        assert "ENG-1.1: 50%" in comments[0]["text"]
        assert asana_sim.log.count("DELETE", f"^/stories/{late}$") == 1

    def test_without_a_stored_id_the_oldest_is_kept(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Two stories of ours and no id to tell them apart: the first one stays, with the new text."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        first = asana_sim.add_comment(task, ours(task, 25)).gid
        asana_sim.add_comment(task, ours(task, 25))
        result = asana_adapter.apply(ref(task), unknown(task, 40))
        assert (result.remote_id, result.created) == (first, False)
        assert [c["gid"] for c in asana_sim.comments(task)] == [first]
        assert "ENG-1.1: 40%" in asana_sim.comments(task)[0]["text"]

    def test_a_create_after_an_unknown_write_says_it_created(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Nothing of ours on the task: one story is created, and the pusher is told (it checks once more)."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        first = asana_adapter.apply(ref(task), unknown(task, 25))
        again = asana_adapter.apply(ref(task), unknown(task, 30, remote_id=first.remote_id))
        assert (first.created, again.created, again.remote_id) == (True, False, first.remote_id)
        assert len(asana_sim.comments(task)) == 1


class TestFields:
    """The progress field gets the same whole percentage as the comment, in the field's own terms."""

    @pytest.mark.parametrize(
        ("field", "expected"),
        [("KR progress", 0.67), ("Progress %", 67.0), ("Progress text", "67%")],
        ids=["percent-field-takes-a-fraction", "number-field-takes-0-100", "text-field-takes-a-label"],
    )
    def test_two_thirds_is_written_as_the_field_expects(
        self,
        asana_sim: AsanaSimulator,
        asana_world: AsanaWorld,
        make_asana_adapter: MakeAdapter,
        field: str,
        expected: float | str,
    ) -> None:
        """2/3 -> 0.67, 67 or "67%"; sent as a JSON number for numeric fields."""
        adapter = make_asana_adapter(progress_field=field)
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        result = adapter.apply(ref(task), PushWrite(WriteKind.FIELD, task, number=2 / 3))
        assert asana_sim.field_value(task, field) == expected
        assert result.remote_id == asana_world.fields[field]
        sent = next(r for r in asana_sim.requests if r.method == "PUT").body["data"]["custom_fields"]
        assert sent == {asana_world.fields[field]: expected}

    def test_a_field_named_by_gid_is_used_without_looking_it_up_by_name(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """A gid costs one GET /custom_fields/{gid}, resolved once for all writes."""
        adapter = make_asana_adapter(progress_field=asana_world.fields["KR progress"])
        tasks = [asana_sim.create_task(f"T{n}", project=asana_world.web).gid for n in range(2)]
        for task in tasks:
            adapter.apply(ref(task), PushWrite(WriteKind.FIELD, task, number=0.25))
        assert [asana_sim.field_value(t, "KR progress") for t in tasks] == [0.25, 0.25]
        assert asana_sim.log.count("GET", "^/custom_fields/") == 1
        assert asana_sim.log.count("GET", "custom_field_settings") == 0

    def test_an_enum_field_cannot_hold_progress(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """A permanent error that says which field and what to change."""
        adapter = make_asana_adapter(progress_field="Status")
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        with pytest.raises(Permanent, match="'Status' is a enum field; progress needs a number, percent or text"):
            adapter.apply(ref(task), PushWrite(WriteKind.FIELD, task, number=0.5))

    def test_targets_are_a_comment_and_the_field_when_configured(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, make_asana_adapter: MakeAdapter
    ) -> None:
        """Without progress_field only the comment is written."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        with_field, without = make_asana_adapter(), make_asana_adapter(progress_field=None)
        snap = with_field.fetch([task]).snapshots[0]
        assert (with_field.targets(snap), without.targets(snap)) == (
            (WriteKind.COMMENT, WriteKind.FIELD),
            (WriteKind.COMMENT,),
        )


class TestGoals:
    """KRs mapped to Asana goals feed the goal's metric."""

    def test_the_goal_metric_is_set(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """setMetricCurrentValue with the KR's number."""
        assert asana_adapter.goal_ids() == {"ENG-1.1": asana_world.goal}
        result = asana_adapter.apply(None, PushWrite(WriteKind.GOAL, "ENG-1.1", number=0.4))
        assert asana_sim.goal(asana_world.goal)["metric"]["current_number_value"] == 0.4
        assert result.remote_id == asana_world.goal

    def test_a_kr_without_a_goal_is_refused(self, asana_adapter: AsanaAdapter) -> None:
        """Permanent, naming the KR."""
        with pytest.raises(Permanent, match="KR ENG-9 has no Asana goal"):
            asana_adapter.apply(None, PushWrite(WriteKind.GOAL, "ENG-9", number=0.4))


class TestRateLimits:
    """429s are honoured to the second and short ones are waited out in-line."""

    def test_a_429_storm_converges_and_no_request_comes_before_retry_after(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """Four requests per second for twelve writes: every write lands, after 429s, never early."""
        tasks = [asana_sim.create_task(f"T{n}", project=asana_world.web).gid for n in range(6)]
        asana_sim.faults.limit_rate(4, per_seconds=1.0)
        started = time.monotonic()
        for task in tasks:
            asana_adapter.apply(ref(task), comment(task, 10))
            asana_adapter.apply(ref(task), PushWrite(WriteKind.FIELD, task, number=0.1))
        limited = [r for r in asana_sim.requests if r.status == 429]
        assert all(len(asana_sim.comments(t)) == 1 and asana_sim.field_value(t, "KR progress") == 0.1 for t in tasks)
        assert limited, "the storm should have been rate limited"
        assert asana_sim.faults.early_requests == 0
        assert time.monotonic() - started < 30

    def test_a_long_retry_after_is_raised_for_the_runtime_and_empties_the_budget(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A 30 s wait is not slept in-line: RateLimited(30) goes up, and budget() says 0 until then."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        asana_sim.faults.throttle(1, retry_after=30)
        with pytest.raises(RateLimited) as limited:
            asana_adapter.apply(ref(task), comment(task, 10))
        assert limited.value.delay == 30
        assert asana_adapter.budget().remaining == 0
        assert len(asana_sim.requests) == 1

    def test_a_server_error_on_create_is_not_retried_in_line(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A 5xx on POST may have created the story: raise, and the next apply finds or creates it once."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        asana_sim.faults.fail(1, status=500, method="POST", path="/stories$")
        with pytest.raises(Retriable):
            asana_adapter.apply(ref(task), comment(task, 10))
        asana_adapter.apply(ref(task), comment(task, 10))
        assert len(asana_sim.comments(task)) == 1
        assert asana_sim.log.count("POST", "/stories$") == 2

    def test_a_server_error_on_a_read_is_retried_in_line(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_adapter: AsanaAdapter
    ) -> None:
        """A 503 on a batch of reads is retried after a short backoff and the fetch succeeds."""
        task = asana_sim.create_task("Ship", project=asana_world.web).gid
        asana_sim.faults.fail(1, status=503, path="^/batch$")
        assert [s.external_id for s in asana_adapter.fetch([task]).snapshots] == [task]
        assert [r.status for r in asana_sim.requests] == [503, 200]
