"""Issue 19's "done when": a labelled GitLab issue and a merge request each carry exactly one progress note,
edited in place as their siblings close (one closed as a duplicate, which leaves the KR's total), by webhook
and, with the webhook lost, by the next poll. The simulated instance, the real adapter (python-gitlab) and
syncd's runtime (the contract suite's bench)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.gitlab.descriptor import GITLAB
from syncd.simulators.contract import ContractTask
from syncd.simulators.gitlab.contract import PROJECT, GitLabContractTracker
from tests.contract.bench import KR, contract_bench

LINK = f"kr:{KR}"


def note_of(tracker: GitLabContractTracker, task: ContractTask) -> tuple[str, str]:
    """The task's only note: (id, text)."""
    notes = tracker.comments(task)
    assert len(notes) == 1, notes
    return notes[0].id, notes[0].text


def test_one_note_per_issue_and_merge_request_by_webhook_and_by_poll(tmp_path: Path) -> None:
    """25% -> 33% (a sibling closed as duplicate, by hook) -> 67% (one closed, its hook lost, by poll) -> 100%
    (the merge request merged, by hook); the issue's and the MR's notes keep their ids throughout."""
    with contract_bench(GITLAB, tmp_path) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, GitLabContractTracker)
        issue = tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        merge_request = ContractTask(tracker.sim.create_merge_request(PROJECT, "Signup form API", labels=[LINK]))
        duplicate = tracker.create_task("Add single sign-on", labels=[LINK])
        last = tracker.create_task("Polish the onboarding tour", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        assert bench.progress() == pytest.approx(1 / 4)
        issue_note, text = note_of(tracker, issue)
        mr_note, mr_text = note_of(tracker, merge_request)
        assert ("25%" in text, "25%" in mr_text) == (True, True)

        tracker.set_state(duplicate, "dropped")
        bench.settle()
        assert bench.mirrored(duplicate)["state"] == "dropped"  # type: ignore[index]
        assert bench.progress() == pytest.approx(1 / 3)
        for task, first in ((issue, issue_note), (merge_request, mr_note)):
            note_id, text = note_of(tracker, task)
            assert (note_id, "33%" in text, "1 of 3 tasks done" in text) == (first, True, True)

        tracker.sim.hooks.drop_next(1)
        tracker.set_state(last, "done")
        bench.settle()
        assert bench.progress() == pytest.approx(1 / 3), "the lost delivery must not have arrived"
        bench.poll()
        assert bench.progress() == pytest.approx(2 / 3)
        for task, first in ((issue, issue_note), (merge_request, mr_note)):
            note_id, text = note_of(tracker, task)
            assert (note_id, "67%" in text, "2 of 3 tasks done" in text) == (first, True, True)

        tracker.sim.merge(merge_request.external_id)
        bench.settle()
        assert bench.progress() == 1.0
        for task, first in ((issue, issue_note), (merge_request, mr_note)):
            note_id, text = note_of(tracker, task)
            assert (note_id, "100%" in text, "3 of 3 tasks done" in text) == (first, True, True)


def test_the_progress_field_follows_on_issues_only_and_its_own_hooks_write_nothing_more(tmp_path: Path) -> None:
    """With progress_field: the issue's field 50 -> 100 as the merge request merges (by hook); the merge request
    gets its note and no field; the Issue Hook GitLab sends for syncd's own field write causes no further write."""
    with contract_bench(GITLAB, tmp_path, field_write=True) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, GitLabContractTracker)
        issue = tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        merge_request = ContractTask(tracker.sim.create_merge_request(PROJECT, "Signup form API", labels=[LINK]))
        bench.backfill()
        bench.serve_webhooks()
        assert tracker.field_value(issue) == 0.5
        note_of(tracker, merge_request)

        tracker.sim.merge(merge_request.external_id)
        bench.settle()
        assert tracker.field_value(issue) == 1.0
        mutations = [r for r in tracker.sim.graphql_requests if "workItemUpdate" in r.query]
        assert [r.variables["input"]["id"] for r in mutations] == [
            f"gid://gitlab/WorkItem/{tracker.sim.item(issue.external_id).id}"
        ] * 2
        tracker.flush_webhooks()
        bench.settle()
        bench.poll()
        assert len([r for r in tracker.sim.graphql_requests if "workItemUpdate" in r.query]) == len(mutations)
        assert bench.unsynced_targets() == 0
