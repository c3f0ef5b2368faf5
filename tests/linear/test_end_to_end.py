"""Issue 20's "done when": a labelled Linear issue carries exactly one progress comment and one attachment, edited
in place as its siblings complete (one canceled, which leaves the KR's total), by webhook and, with the webhook
lost, by the next poll. The simulated workspace, the real adapter and syncd's runtime (the contract bench)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.linear.descriptor import LINEAR
from syncd.simulators.contract import ContractTask
from syncd.simulators.linear.contract import LinearContractTracker
from tests.contract.bench import KR, contract_bench
from tests.linear.support import LINEAR_SCHEMA, schema_problems

LINK = f"kr:{KR}"


def records_of(tracker: LinearContractTracker, task: ContractTask) -> tuple[str, str, str]:
    """The issue's only comment and only attachment: (comment id, comment text, attachment title)."""
    comments = tracker.sim.comments(task.external_id)
    attachments = tracker.sim.attachments(task.external_id)
    assert (len(comments), len(attachments)) == (1, 1), (comments, attachments)
    return comments[0].id, comments[0].body, attachments[0].title


def test_one_comment_and_attachment_follow_the_kr_by_webhook_and_by_poll(tmp_path: Path) -> None:
    """33% -> 50% (a sibling canceled, by webhook) -> 100% (the last one completed, its webhook lost, by poll)."""
    with contract_bench(LINEAR, tmp_path, field_write=True) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, LinearContractTracker)
        subject = tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        canceled = tracker.create_task("Add single sign-on", labels=[LINK])
        last = tracker.create_task("Polish the onboarding tour", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        first_id, text, title = records_of(tracker, subject)
        assert ("33%" in text, title) == (True, "OKR progress 33%")

        tracker.set_state(canceled, "dropped")
        bench.settle()
        assert bench.progress() == pytest.approx(1 / 2)
        comment_id, text, title = records_of(tracker, subject)
        assert (comment_id, "**50%**" in text, "1 of 2 tasks done" in text, title) == (
            first_id, True, True, "OKR progress 50%"
        )  # fmt: skip

        tracker.sim.hooks.drop_next(1)
        tracker.set_state(last, "done")
        bench.settle()
        assert bench.progress() == pytest.approx(1 / 2), "the lost delivery must not have arrived"
        bench.poll()
        assert bench.progress() == 1.0
        comment_id, text, title = records_of(tracker, subject)
        assert (comment_id, "**100%**" in text, "2 of 2 tasks done" in text, title) == (
            first_id, True, True, "OKR progress 100%"
        )  # fmt: skip
        assert tracker.field_value(subject) == 1.0
        if LINEAR_SCHEMA.is_file():  # every request of the run (polls, fetches, writes, installs) is Linear's
            assert schema_problems(tracker.sim.requests) == []
