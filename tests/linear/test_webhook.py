"""Linear deliveries at the door (`intake`: signature before parsing, the 60 s window, dedupe id, what is kept)
and in the worker (`interpret`: snapshots, fetches, removals, re-listings)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from adapters.linear.webhook import intake, interpret
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.model import TaskState
from syncd.ports import WebhookAccepted, WebhookIgnored
from tests.linear.support import SECRET, issue_payload, linear_config, signed

CONFIG = linear_config()


def now() -> datetime:
    return datetime.now(UTC)


class TestVerification:
    """Only a body signed with the source's secret, stamped within 60 s of now, gets past the door."""

    def test_a_signed_fresh_delivery_is_kept_under_its_delivery_id(self) -> None:
        """Linear-Delivery is the dedupe id; the type is the event."""
        headers, body = signed(issue_payload(), delivery="d-1")
        assert intake(CONFIG, headers, body, now()) == WebhookAccepted("d-1", "Issue")

    @pytest.mark.parametrize("change", ["forged", "other secret", "unsigned"])
    def test_a_bad_signature_is_refused(self, change: str) -> None:
        """A body changed after signing, a signature under another secret, none at all: SignatureError."""
        headers, body = signed(issue_payload(), secret="another" if change == "other secret" else SECRET)
        if change == "forged":
            body = body.replace(b"Ship it", b"Ship that")
        if change == "unsigned":
            del headers["linear-signature"]
        with pytest.raises(SignatureError):
            intake(CONFIG, headers, body, now())

    def test_the_signature_is_checked_before_the_body_is_parsed(self) -> None:
        """An unsigned body that is not even JSON is a signature failure, not a parse failure."""
        headers, _ = signed(b"{}")
        with pytest.raises(SignatureError):
            intake(CONFIG, headers, b"not json", now())

    @pytest.mark.parametrize("skew", [timedelta(seconds=-61), timedelta(seconds=61), timedelta(days=-3)])
    def test_a_stale_or_future_timestamp_is_refused(self, skew: timedelta) -> None:
        """`webhookTimestamp` more than 60 s from now: a replay, refused even when signed."""
        headers, body = signed(issue_payload())
        with pytest.raises(SignatureError, match="webhookTimestamp"):
            intake(CONFIG, headers, body, now() + skew)

    def test_within_the_window_is_accepted(self) -> None:
        """59 s late is fine."""
        headers, body = signed(issue_payload())
        assert isinstance(intake(CONFIG, headers, body, now() + timedelta(seconds=59)), WebhookAccepted)

    def test_a_kept_delivery_without_delivery_id_is_malformed(self) -> None:
        """No Linear-Delivery: redeliveries could not be told apart."""
        headers, body = signed(issue_payload())
        del headers["linear-delivery"]
        with pytest.raises(MalformedPayload, match="Linear-Delivery"):
            intake(CONFIG, headers, body, now())


class TestClassification:
    """Issue and label events are kept; comments and other types are acknowledged and ignored."""

    def test_a_comment_is_ignored_ours_among_them(self) -> None:
        """Comments change nothing syncd mirrors; syncd's own progress comments therefore never loop."""
        payload = {"action": "create", "type": "Comment", "data": {"id": "c", "body": "**OKR progress** for this task"},
                   "webhookTimestamp": int(now().timestamp() * 1000)}  # fmt: skip
        headers, body = signed(payload, event="Comment")
        answer = intake(CONFIG, headers, body, now())
        assert isinstance(answer, WebhookIgnored)
        assert "comments" in answer.reason

    def test_an_unknown_type_is_ignored(self) -> None:
        """`Project` and the like: acknowledged, not stored."""
        payload = {"action": "update", "type": "Project", "data": {}, "webhookTimestamp": int(now().timestamp() * 1000)}
        headers, body = signed(payload, event="Project")
        assert isinstance(intake(CONFIG, headers, body, now()), WebhookIgnored)

    def test_an_issue_of_another_team_is_ignored(self) -> None:
        """OPS is not followed."""
        headers, body = signed(issue_payload(identifier="OPS-3"))
        assert isinstance(intake(CONFIG, headers, body, now()), WebhookIgnored)

    def test_an_issue_moved_out_of_a_followed_team_is_kept(self) -> None:
        """Now OPS-3, before ENG-7: the mirror must drop ENG-7."""
        headers, body = signed(issue_payload(identifier="OPS-3", previousIdentifiers=["ENG-7"]))
        assert isinstance(intake(CONFIG, headers, body, now()), WebhookAccepted)
        assert interpret(CONFIG, "Issue", body).removed == ("ENG-7", "OPS-3")

    def test_a_renamed_label_is_kept_and_a_recoloured_one_ignored(self) -> None:
        """IssueLabel update with `updatedFrom.name` re-lists the teams; a colour change does nothing."""
        stamp = int(now().timestamp() * 1000)
        renamed = {"action": "update", "type": "IssueLabel", "data": {"id": "l", "name": "kr:ENG-1.1"},
                   "updatedFrom": {"name": "kr:ENG-1.2"}, "webhookTimestamp": stamp}  # fmt: skip
        recoloured = renamed | {"updatedFrom": {"color": "#000"}}
        headers, body = signed(renamed, event="IssueLabel")
        assert isinstance(intake(CONFIG, headers, body, now()), WebhookAccepted)
        assert interpret(CONFIG, "IssueLabel", body).reconcile == ("ENG",)
        headers, body = signed(recoloured, event="IssueLabel")
        assert isinstance(intake(CONFIG, headers, body, now()), WebhookIgnored)


class TestInterpretation:
    """What a kept Issue delivery means for the mirror."""

    def test_an_update_is_a_snapshot_with_state_labels_and_points(self) -> None:
        """Started with estimate 3 and a kr: label."""
        payload = issue_payload(state={"type": "started", "name": "In Progress"}, estimate=3)
        (snapshot,) = interpret(CONFIG, "Issue", json.dumps(payload).encode()).snapshots
        assert (snapshot.external_id, snapshot.state, snapshot.points, snapshot.labels) == (
            "ENG-1", TaskState.IN_PROGRESS, 3.0, ("kr:ENG-1.1",)
        )  # fmt: skip

    def test_a_label_in_a_group_asks_for_a_fetch(self) -> None:
        """Webhook labels carry only `parentId`: the group's name (maybe `kr`) needs the API."""
        labels = [{"id": "l2", "name": "ENG-1.2", "color": "#fff", "parentId": "g1"}]
        effects = interpret(CONFIG, "Issue", json.dumps(issue_payload(labels=labels)).encode())
        assert (effects.snapshots, effects.refetch) == ((), ("ENG-1",))

    def test_a_removal_removes(self) -> None:
        """`remove` (to the trash) takes the issue out of the mirror."""
        effects = interpret(CONFIG, "Issue", json.dumps(issue_payload("remove", trashed=True)).encode())
        assert effects.removed == ("ENG-1",)

    def test_a_trashed_update_is_a_deleted_snapshot(self) -> None:
        """`trashed: true` in an update: the task leaves its KRs."""
        (snapshot,) = interpret(CONFIG, "Issue", json.dumps(issue_payload(trashed=True)).encode()).snapshots
        assert snapshot.deleted

    def test_a_move_between_followed_teams_replaces_the_identifier(self) -> None:
        """ENG-7 became DES-2, both followed: DES-2 is the snapshot, ENG-7 removed."""
        config = linear_config(teams=["ENG", "DES"])
        payload = issue_payload(identifier="DES-2", previousIdentifiers=["ENG-7"])
        effects = interpret(config, "Issue", json.dumps(payload).encode())
        assert ([s.external_id for s in effects.snapshots], effects.removed) == (["DES-2"], ("ENG-7",))

    def test_data_without_a_state_is_malformed(self) -> None:
        """A body the adapter cannot read is MalformedPayload, never another exception."""
        payload = issue_payload()
        del payload["data"]["state"]
        with pytest.raises(MalformedPayload):
            interpret(CONFIG, "Issue", json.dumps(payload).encode())
