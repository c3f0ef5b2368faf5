"""Webhooks the simulator sends for each action, through the adapter's intake and interpret."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

import pytest

from adapters.github.adapter import GitHubAdapter
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.model import TaskState
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookIgnored
from syncd.simulators.github import GitHubSimulator, sign
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, ReceivedDelivery, WebhookInbox, github_source_config

Action = Callable[[GitHubSimulator, int], object]


def accepted(adapter: GitHubAdapter, delivery: ReceivedDelivery) -> tuple[str, DeliveryEffects]:
    """Intake must accept the delivery; returns its event name and what it means."""
    intake = adapter.intake(delivery.headers, delivery.body, {}, ())
    assert isinstance(intake, WebhookAccepted), intake
    assert intake.delivery_id == delivery.headers["x-github-delivery"]
    return intake.event, adapter.interpret(intake.event, delivery.body)


def last_delivery(inbox: WebhookInbox, sim: GitHubSimulator) -> ReceivedDelivery:
    """The newest delivery after the simulator's queue drained."""
    return inbox.take(sim)[-1]


ISSUE_ACTIONS: list[tuple[str, Action, TaskState, tuple[str, ...]]] = [
    ("issues.edited", lambda s, n: s.edit_issue("acme/web", n, title="renamed"), TaskState.OPEN, ("kr:ENG-1.1",)),
    ("issues.labeled", lambda s, n: s.add_label("acme/web", n, "in progress"), TaskState.IN_PROGRESS,
     ("kr:ENG-1.1", "in progress")),
    ("issues.unlabeled", lambda s, n: s.remove_label("acme/web", n, "kr:ENG-1.1"), TaskState.OPEN, ()),
    ("issues.closed", lambda s, n: s.close_issue("acme/web", n, "completed"), TaskState.DONE, ("kr:ENG-1.1",)),
    ("issues.assigned", lambda s, n: s.assign("acme/web", n, "mona"), TaskState.OPEN, ("kr:ENG-1.1",)),
]  # fmt: skip


class TestIssueEvents:
    """`issues` deliveries carry a full snapshot (or a removal) of the issue."""

    def test_opened_is_a_snapshot(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """An opened, labelled issue arrives as one open snapshot with its labels and URL."""
        number = github_sim.create_issue("acme/web", "Onboarding", labels=["kr:ENG-1.1"])
        event, effects = accepted(github_adapter, last_delivery(github_inbox, github_sim))
        assert event == "issues.opened"
        (snapshot,) = effects.snapshots
        assert snapshot.external_id == f"acme/web#{number}"
        assert snapshot.labels == ("kr:ENG-1.1",)
        assert snapshot.url == f"{github_sim.url}/acme/web/issues/{number}"
        assert snapshot.state is TaskState.OPEN

    @pytest.mark.parametrize("case", ISSUE_ACTIONS, ids=[a[0] for a in ISSUE_ACTIONS])
    def test_each_change_is_a_newer_snapshot(
        self,
        github_sim: GitHubSimulator,
        github_adapter: GitHubAdapter,
        github_inbox: WebhookInbox,
        case: tuple[str, Action, TaskState, tuple[str, ...]],
    ) -> None:
        """Each action's delivery describes the issue as it now is."""
        event, action, state, labels = case
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        github_inbox.take(github_sim)
        action(github_sim, number)
        got, effects = accepted(github_adapter, last_delivery(github_inbox, github_sim))
        assert got == event
        (snapshot,) = effects.snapshots
        assert (snapshot.state, snapshot.labels) == (state, labels)
        assert (
            snapshot.updated_at.isoformat().replace("+00:00", "Z") == github_sim.issue("acme/web", number)["updated_at"]
        )

    def test_reopened_and_not_planned(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """Closed as not planned is dropped; reopened is open again."""
        number = github_sim.create_issue("acme/web", "task")
        github_sim.close_issue("acme/web", number, "not_planned")
        github_sim.reopen_issue("acme/web", number)
        closed, reopened = github_inbox.take(github_sim)[-2:]
        assert accepted(github_adapter, closed)[1].snapshots[0].state is TaskState.DROPPED
        event, effects = accepted(github_adapter, reopened)
        assert (event, effects.snapshots[0].state) == ("issues.reopened", TaskState.OPEN)

    def test_unassigned_with_the_assignee_rule(self, github_sim: GitHubSimulator, github_inbox: WebhookInbox) -> None:
        """With in_progress_when_assigned, assigned is in progress and unassigned is open again."""
        adapter = GitHubAdapter(github_source_config(github_sim, in_progress_when_assigned=True))
        number = github_sim.create_issue("acme/web", "task")
        github_sim.assign("acme/web", number, "mona")
        github_sim.assign("acme/web", number)
        assigned, unassigned = github_inbox.take(github_sim)[-2:]
        assert accepted(adapter, assigned)[1].snapshots[0].state is TaskState.IN_PROGRESS
        event, effects = accepted(adapter, unassigned)
        assert (event, effects.snapshots[0].state, effects.snapshots[0].assignee) == (
            "issues.unassigned",
            TaskState.OPEN,
            None,
        )
        adapter.close()

    def test_deleted_removes_the_task(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """A deleted issue leaves the source: removed, no snapshot."""
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        github_sim.delete_issue("acme/web", number)
        event, effects = accepted(github_adapter, last_delivery(github_inbox, github_sim))
        assert event == "issues.deleted"
        assert effects == DeliveryEffects(removed=(f"acme/web#{number}",))

    def test_transferred_to_a_followed_repo_reappears_there(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """Moved from acme/web to acme/api (both followed): removed under the old id, snapshot under the new."""
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        github_inbox.take(github_sim)
        new_number = github_sim.transfer_issue("acme/web", number, "acme/api")
        transferred, opened = [d for d in github_inbox.take(github_sim) if d.event == "issues"]
        event, effects = accepted(github_adapter, transferred)
        assert event == "issues.transferred"
        assert effects.removed == (f"acme/web#{number}",)
        assert [(s.external_id, s.labels) for s in effects.snapshots] == [(f"acme/api#{new_number}", ("kr:ENG-1.1",))]
        assert accepted(github_adapter, opened)[0] == "issues.opened"

    def test_transferred_away_just_leaves(self, github_sim: GitHubSimulator, github_inbox: WebhookInbox) -> None:
        """Moved to a repository the source does not follow: only removed."""
        github_sim.create_repo("acme/private")
        adapter = GitHubAdapter(github_source_config(github_sim, repos=("acme/web",)))
        number = github_sim.create_issue("acme/web", "task")
        github_inbox.take(github_sim)
        github_sim.transfer_issue("acme/web", number, "acme/private")
        transferred, opened = [d for d in github_inbox.take(github_sim) if d.event == "issues"]
        assert accepted(adapter, transferred)[1] == DeliveryEffects(removed=(f"acme/web#{number}",))
        assert isinstance(adapter.intake(opened.headers, opened.body, {}, ()), WebhookIgnored)
        adapter.close()


class TestPullRequestEvents:
    """`pull_request` deliveries: merged is done, closed unmerged is dropped, draft is in progress."""

    def test_pull_request_lifecycle(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """opened (draft), ready_for_review, labeled, converted_to_draft, closed (merged) in order."""
        number = github_sim.create_pull_request("acme/web", "feature", draft=True)
        github_sim.set_draft("acme/web", number, False)
        github_sim.add_label("acme/web", number, "kr:ENG-1.1")
        github_sim.set_draft("acme/web", number, True)
        github_sim.merge_pull_request("acme/web", number)
        seen = [accepted(github_adapter, d) for d in github_inbox.take(github_sim) if d.event == "pull_request"]
        assert [(event, effects.snapshots[0].state) for event, effects in seen] == [
            ("pull_request.opened", TaskState.IN_PROGRESS),
            ("pull_request.ready_for_review", TaskState.OPEN),
            ("pull_request.labeled", TaskState.OPEN),
            ("pull_request.converted_to_draft", TaskState.IN_PROGRESS),
            ("pull_request.closed", TaskState.DONE),
        ]
        assert all(effects.snapshots[0].kind == "pull_request" for _, effects in seen)
        assert seen[-1][1].snapshots[0].url == f"{github_sim.url}/acme/web/pull/{number}"

    def test_closed_unmerged_is_dropped_then_reopened(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """Closing a pull request without merging drops it; reopening makes it open again."""
        number = github_sim.create_pull_request("acme/web", "abandoned")
        github_sim.close_issue("acme/web", number)
        github_sim.reopen_issue("acme/web", number)
        closed, reopened = github_inbox.take(github_sim)[-2:]
        assert accepted(github_adapter, closed)[1].snapshots[0].state is TaskState.DROPPED
        assert accepted(github_adapter, reopened)[1].snapshots[0].state is TaskState.OPEN

    def test_excluded_pull_requests_are_ignored(self, github_sim: GitHubSimulator, github_inbox: WebhookInbox) -> None:
        """With include_pull_requests: false a pull_request delivery is acknowledged and not stored."""
        adapter = GitHubAdapter(github_source_config(github_sim, include_pull_requests=False))
        github_sim.create_pull_request("acme/web", "feature")
        delivery = last_delivery(github_inbox, github_sim)
        intake = adapter.intake(delivery.headers, delivery.body, {}, ())
        assert isinstance(intake, WebhookIgnored)
        assert "include_pull_requests" in intake.reason
        adapter.close()


class TestLabelAndCommentEvents:
    """Renamed or deleted labels re-match a repo; comments refresh their issue unless syncd wrote them."""

    @pytest.mark.parametrize("change", ["rename", "delete"])
    def test_label_change_reconciles_the_repo(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox, change: str
    ) -> None:
        """label.edited / label.deleted mean: re-list the whole repository."""
        github_sim.create_issue("acme/api", "task", labels=["kr:ENG-1.1"])
        github_inbox.take(github_sim)
        if change == "rename":
            github_sim.rename_label("acme/api", "kr:ENG-1.1", "kr:ENG-1.2")
        else:
            github_sim.delete_label("acme/api", "kr:ENG-1.1")
        event, effects = accepted(github_adapter, last_delivery(github_inbox, github_sim))
        assert event == ("label.edited" if change == "rename" else "label.deleted")
        assert effects == DeliveryEffects(reconcile=("acme/api",))

    def test_label_created_is_ignored(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """A new label matches no task yet."""
        github_sim.create_issue("acme/web", "task", labels=["brand-new"])
        created = next(d for d in github_inbox.take(github_sim) if d.event == "label")
        assert isinstance(github_adapter.intake(created.headers, created.body, {}, ()), WebhookIgnored)

    def test_a_persons_comment_refreshes_the_issue(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """issue_comment.created by a person carries the issue: a snapshot."""
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        github_sim.add_comment("acme/web", number, "Looks good", author="mona")
        event, effects = accepted(github_adapter, last_delivery(github_inbox, github_sim))
        assert event == "issue_comment.created"
        assert [s.external_id for s in effects.snapshots] == [f"acme/web#{number}"]

    def test_our_own_comment_is_ignored(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """The echo of syncd's comment (it carries the marker) is acknowledged and not stored."""
        number = github_sim.create_issue("acme/web", "task")
        github_sim.add_comment("acme/web", number, f"40%\n<!-- syncd:task=acme/web#{number} -->")
        delivery = last_delivery(github_inbox, github_sim)
        intake = github_adapter.intake(delivery.headers, delivery.body, {}, ())
        assert intake == WebhookIgnored("issue_comment.created", "a comment syncd wrote itself")


class TestDeliveryChecks:
    """Signatures are checked before parsing; unusable deliveries are refused or ignored with a reason."""

    def test_ping_from_a_new_hook_is_ignored(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """Creating a hook sends `ping`; intake acknowledges it without storing."""
        inbox = WebhookInbox()
        inbox.start()
        try:
            github_adapter.install_webhooks(inbox.base, dry_run=False)
            github_sim.wait_for_deliveries()
            pings = [d for d in inbox.wait_for(2) if d.event == "ping"]
        finally:
            inbox.stop()
        assert len(pings) == 2
        assert isinstance(github_adapter.intake(pings[0].headers, pings[0].body, {}, ()), WebhookIgnored)

    def test_missing_or_wrong_signature_is_refused(self, github_adapter: GitHubAdapter) -> None:
        """A configured secret with no signature, or a wrong one, raises SignatureError before parsing."""
        body = b"not even json"
        headers = {"x-github-event": "issues", "x-github-delivery": "d1"}
        with pytest.raises(SignatureError, match="no signature"):
            github_adapter.intake(headers, body, {}, ())
        with pytest.raises(SignatureError, match="does not match"):
            github_adapter.intake({**headers, "x-hub-signature-256": sign("other-secret", body)}, body, {}, ())

    def test_signed_garbage_is_malformed(self, github_adapter: GitHubAdapter) -> None:
        """A correctly signed body that is not JSON, or lacks the issue, is MalformedPayload."""
        headers = {"x-github-event": "issues", "x-github-delivery": "d1"}
        garbage = b"{not json"
        with pytest.raises(MalformedPayload, match="not JSON"):
            github_adapter.intake(
                {**headers, "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, garbage)}, garbage, {}, ()
            )
        no_issue = json.dumps({"action": "opened", "repository": {"full_name": "acme/web"}}).encode()
        intake = github_adapter.intake(
            {**headers, "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, no_issue)}, no_issue, {}, ()
        )
        assert isinstance(intake, WebhookAccepted)
        with pytest.raises(MalformedPayload, match="`issue` object"):
            github_adapter.interpret(intake.event, no_issue)

    def test_unfollowed_repository_and_unused_events_are_ignored(self, github_adapter: GitHubAdapter) -> None:
        """Deliveries about other repositories, or events syncd does not use, are ignored with a reason."""
        cases = {
            "issues": {"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "other/repo"}},
            "issues ": {"action": "pinned", "issue": {"number": 1}, "repository": {"full_name": "acme/web"}},
            "push": {"ref": "refs/heads/main", "repository": {"full_name": "acme/web"}},
        }
        for event, payload in cases.items():
            body = json.dumps(payload).encode()
            headers = {
                "x-github-event": event.strip(),
                "x-github-delivery": "d",
                "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, body),
            }
            intake = github_adapter.intake(headers, body, {}, ())
            assert isinstance(intake, WebhookIgnored), event

    def test_installation_events_reconcile_followed_repos(self, github_adapter: GitHubAdapter) -> None:
        """installation.created and installation_repositories.added reconcile the followed repositories listed."""
        created = {"action": "created", "installation": {"id": 5}, "repositories": [{"full_name": "acme/api"}]}
        added = {
            "action": "added",
            "installation": {"id": 5},
            "repositories_added": [{"full_name": "acme/web"}, {"full_name": "else/where"}],
        }
        removed = {"action": "removed", "installation": {"id": 5}, "repositories_removed": [{"full_name": "acme/web"}]}
        for event, payload, expected in (
            ("installation", created, ("acme/api",)),
            ("installation_repositories", added, ("acme/web",)),
            ("installation_repositories", removed, None),
        ):
            body = json.dumps(payload).encode()
            headers = {
                "x-github-event": event,
                "x-github-delivery": "d",
                "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, body),
            }
            intake = github_adapter.intake(headers, body, {}, ())
            if expected is None:
                assert isinstance(intake, WebhookIgnored)
                continue
            assert isinstance(intake, WebhookAccepted)
            assert github_adapter.interpret(intake.event, body) == DeliveryEffects(reconcile=expected)

    def test_app_installation_changes_from_the_simulator(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter, github_inbox: WebhookInbox
    ) -> None:
        """A new installation reconciles its followed repos; an added repo reconciles it; a removal is ignored."""
        github_sim.register_app(11, "unused-public-key", 5, ["acme/web"])
        github_sim.register_app(11, "unused-public-key", 5, ["acme/web", "acme/api"])
        github_sim.register_app(11, "unused-public-key", 5, ["acme/api"])
        created, added, removed = github_inbox.take(github_sim)
        assert accepted(github_adapter, created) == ("installation.created", DeliveryEffects(reconcile=("acme/web",)))
        assert accepted(github_adapter, added) == (
            "installation_repositories.added",
            DeliveryEffects(reconcile=("acme/api",)),
        )
        assert isinstance(github_adapter.intake(removed.headers, removed.body, {}, ()), WebhookIgnored)

    def test_form_encoded_deliveries_are_read(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """A hook left at GitHub's default content type (form, `payload=`) is understood too."""
        number = github_sim.create_issue("acme/web", "task")
        issue = github_sim.issue("acme/web", number)
        payload = {"action": "opened", "issue": issue, "repository": {"full_name": "acme/web"}}
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        headers = {
            "x-github-event": "issues",
            "x-github-delivery": "d",
            "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, body),
        }
        event, effects = accepted(github_adapter, ReceivedDelivery(headers, body))
        assert event == "issues.opened"
        assert effects.snapshots[0].external_id == f"acme/web#{number}"
