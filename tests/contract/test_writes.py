"""The contract, writing side: one progress comment per linked task, created once and then edited in place
(also after syncd lost its id), and the progress field written where the source has one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.descriptor import TrackerDescriptor
from syncd.simulators.contract import ContractTask
from tests.contract.bench import KR, ContractBench, contract_bench
from tests.contract.support import require

LINK = f"kr:{KR}"


def the_comment(bench: ContractBench, task: ContractTask, says: str) -> str:
    """The task's only comment, checked to name the KR and say `says`; returns its id."""
    comments = bench.tracker.comments(task)
    assert len(comments) == 1, f"expected one progress comment on {task.external_id}, found {comments}"
    (comment,) = comments
    assert KR in comment.text
    assert says in comment.text, comment.text
    return comment.id


class TestProgressComment:
    """Each linked task carries exactly one progress comment, whatever happens to syncd's memory of it."""

    def test_created_then_edited_in_place_then_found_again_after_its_id_is_lost(self, bench: ContractBench) -> None:
        """50% on both tasks; 100% in the same comments; after the stored ids are lost, 67% still in them."""
        done = bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        other = bench.tracker.create_task("Add single sign-on", labels=[LINK])
        bench.backfill()
        first = {task.external_id: the_comment(bench, task, "50%") for task in (done, other)}

        bench.tracker.set_state(other, "done")
        bench.poll()
        assert {task.external_id: the_comment(bench, task, "100%") for task in (done, other)} == first

        assert bench.forget_remote_ids(done) >= 1
        bench.tracker.create_task("Polish the onboarding tour", labels=[LINK])
        bench.poll()
        assert the_comment(bench, done, "67%") == first[done.external_id]
        assert bench.unsynced_targets() == 0


@pytest.fixture
def field_bench(tracker: TrackerDescriptor, tmp_path: Path) -> Iterator[ContractBench]:
    """The bench with the source writing progress to a field of each linked task."""
    with contract_bench(tracker, tmp_path, field_write=True) as made:
        yield made


class TestProgressField:
    """Where a source writes progress to a field, every linked task's field shows the KR's progress."""

    def test_the_field_follows_the_progress(self, field_bench: ContractBench) -> None:
        """0.5 on both tasks, then 1.0 once the open one is done."""
        require(field_bench.tracker, "field_write")
        done = field_bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        other = field_bench.tracker.create_task("Add single sign-on", labels=[LINK])
        field_bench.backfill()
        assert [field_bench.tracker.field_value(task) for task in (done, other)] == [0.5, 0.5]
        field_bench.tracker.set_state(other, "done")
        field_bench.poll()
        assert [field_bench.tracker.field_value(task) for task in (done, other)] == [1.0, 1.0]
