"""Issue 18's "done when": a labelled Jira issue carries exactly one progress comment, edited in place as its
siblings close (one as Won't Do, which leaves the KR's total), by webhook and, with the webhook lost, by the
next poll. The simulated site, the real adapter and syncd's runtime (the contract suite's bench), on Jira Cloud
and on a Data Center server (wiki-markup comment, REST v2, a personal access token)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from adapters.descriptor import TrackerDescriptor
from adapters.jira.descriptor import JIRA
from syncd.simulators.contract import ContractTask
from syncd.simulators.jira.contract import JiraContractTracker
from tests.contract.bench import KR, contract_bench
from tests.jira.openapi import JIRA_SPEC, JiraSpec

LINK = f"kr:{KR}"
#: The descriptor as the bench loads it, its contract simulator a Cloud site or a Data Center server.
FLAVOURS = {
    "Cloud": JIRA,
    "DataCenter": dataclasses.replace(JIRA, contract_simulator="syncd.simulators.jira.contract:data_center_tracker"),
}


def comment_of(tracker: JiraContractTracker, task: ContractTask) -> tuple[str, str]:
    """The issue's only comment: (id, text)."""
    comments = tracker.comments(task)
    assert len(comments) == 1, comments
    return comments[0].id, comments[0].text


@pytest.mark.parametrize("descriptor", FLAVOURS.values(), ids=FLAVOURS.keys())
def test_one_comment_follows_the_kr_by_webhook_and_by_poll_when_the_webhook_is_lost(
    descriptor: TrackerDescriptor, tmp_path: Path
) -> None:
    """33% -> 50% (a sibling Won't Do, by webhook) -> 100% (the last one done, its webhook lost, by poll)."""
    with contract_bench(descriptor, tmp_path) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, JiraContractTracker)
        subject = tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        dropped = tracker.create_task("Add single sign-on", labels=[LINK])
        last = tracker.create_task("Polish the onboarding tour", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        first_id, text = comment_of(tracker, subject)
        assert "33%" in text

        tracker.set_state(dropped, "dropped")
        bench.settle()
        assert bench.progress() == pytest.approx(1 / 2)
        comment_id, text = comment_of(tracker, subject)
        assert (comment_id, "50%" in text, "1 of 2 tasks done" in text) == (first_id, True, True)

        tracker.sim.hooks.drop_next(1)
        tracker.set_state(last, "done")
        bench.settle()
        assert bench.progress() == pytest.approx(1 / 2), "the lost delivery must not have arrived"
        bench.poll()
        assert bench.progress() == 1.0
        comment_id, text = comment_of(tracker, subject)
        assert (comment_id, "100%" in text, "2 of 2 tasks done" in text) == (first_id, True, True)
        (comment,) = tracker.sim.comments(subject.external_id)
        assert isinstance(comment.body, dict if tracker.cloud else str)
        api = "/rest/api/3" if tracker.cloud else "/rest/api/2"
        assert all(r.path.startswith((api, "/rest/api/2/serverInfo", "/rest/webhooks/")) for r in tracker.sim.requests)
        if JIRA_SPEC.is_file():  # every request the runtime made, v2 ones against their v3 twins
            assert JiraSpec().problems(tracker.sim.requests) == []
