"""Jira admin-webhook intake: the signature is checked before the body is read, deliveries are kept or ignored
for a stated reason, and a stored delivery becomes snapshots, fetches or removals."""

from __future__ import annotations

import hashlib
import json

import pytest

from adapters.jira.webhook import intake, interpret
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.model import TaskState
from syncd.ports import WebhookAccepted, WebhookIgnored
from tests.jira.support import issue_payload, jira_config, signed

CONFIG = jira_config()


class TestSignature:
    """`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under `webhook_secret`."""

    def test_a_signed_delivery_is_accepted_with_its_identifier(self) -> None:
        """Kept, deduped on X-Atlassian-Webhook-Identifier."""
        headers, body = signed(issue_payload("jira:issue_updated"), identifier="42")
        assert intake(CONFIG, headers, body) == WebhookAccepted(delivery_id="42", event="jira:issue_updated")

    def test_a_body_changed_after_signing_is_refused(self) -> None:
        """One byte more: SignatureError, before anything is parsed."""
        headers, body = signed(issue_payload("jira:issue_updated"))
        with pytest.raises(SignatureError, match="does not match"):
            intake(CONFIG, headers, body + b" ")

    def test_a_signature_under_another_secret_is_refused(self) -> None:
        """Signed, but not with our secret."""
        headers, body = signed(issue_payload("jira:issue_updated"), secret="someone-else")
        with pytest.raises(SignatureError):
            intake(CONFIG, headers, body)

    def test_an_unsigned_delivery_is_refused(self) -> None:
        """No header at all."""
        headers, body = signed(issue_payload("jira:issue_updated"))
        del headers["x-hub-signature"]
        with pytest.raises(SignatureError, match="no signature"):
            intake(CONFIG, headers, body)

    def test_a_forged_body_that_is_not_json_is_refused_as_forged_not_as_malformed(self) -> None:
        """Verification comes first: garbage with a wrong signature is a SignatureError."""
        with pytest.raises(SignatureError):
            intake(CONFIG, {"x-hub-signature": "sha256=00"}, b"not json")


class TestDeliveryId:
    """Retries are told apart by X-Atlassian-Webhook-Identifier, or by the body's digest when it is absent."""

    def test_without_identifier_the_id_is_the_sha256_of_the_raw_body(self) -> None:
        """Data Center may send no identifier: the delivery is kept as `sha256:<hex of the body>`."""
        headers, body = signed(issue_payload("jira:issue_updated"))
        del headers["x-atlassian-webhook-identifier"]
        expected = "sha256:" + hashlib.sha256(body).hexdigest()
        assert intake(CONFIG, headers, body) == WebhookAccepted(delivery_id=expected, event="jira:issue_updated")

    def test_a_retry_of_the_same_body_has_the_same_id_another_body_another(self) -> None:
        """Jira retries with the same body; the next change of the issue is another body (its `updated`)."""
        headers, body = signed(issue_payload("jira:issue_updated"))
        later_headers, later = signed(issue_payload("jira:issue_updated", updated="2026-12-03T10:05:00.000+0000"))
        for sent in (headers, later_headers):
            del sent["x-atlassian-webhook-identifier"]
        first, again, other = (
            intake(CONFIG, h, b) for h, b in ((headers, body), (dict(headers), body), (later_headers, later))
        )
        assert isinstance(first, WebhookAccepted)
        assert isinstance(other, WebhookAccepted)
        assert first == again
        assert first.delivery_id != other.delivery_id

    def test_the_identifier_wins_when_sent(self) -> None:
        """The same body under two identifiers is two deliveries (as Cloud means it)."""
        (one, body), (two, _) = (
            signed(issue_payload("jira:issue_updated"), identifier="7"),
            signed(issue_payload("jira:issue_updated"), identifier="8"),
        )
        assert [intake(CONFIG, h, body) for h in (one, two)] == [
            WebhookAccepted(delivery_id="7", event="jira:issue_updated"),
            WebhookAccepted(delivery_id="8", event="jira:issue_updated"),
        ]

    def test_an_identifier_longer_than_the_store_keeps_is_malformed(self) -> None:
        """201 characters: refused, not truncated into a collision."""
        headers, body = signed(issue_payload("jira:issue_updated"), identifier="x" * 201)
        with pytest.raises(MalformedPayload, match="longer than 200"):
            intake(CONFIG, headers, body)

    def test_a_forged_delivery_without_identifier_is_still_refused(self) -> None:
        """The fallback comes after the signature check: no identifier does not let a forgery in."""
        headers, body = signed(issue_payload("jira:issue_updated"), secret="someone-else")
        del headers["x-atlassian-webhook-identifier"]
        with pytest.raises(SignatureError):
            intake(CONFIG, headers, body)


class TestClassification:
    """What is kept, and why the rest is ignored."""

    @pytest.mark.parametrize("event", ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"])
    def test_issue_events_of_a_followed_project_are_kept(self, event: str) -> None:
        """The three issue events."""
        headers, body = signed(issue_payload(event))
        assert isinstance(intake(CONFIG, headers, body), WebhookAccepted)

    def test_an_issue_of_another_project_is_ignored(self) -> None:
        """OPS is not followed."""
        headers, body = signed(issue_payload("jira:issue_updated", key="OPS-3"))
        answer = intake(CONFIG, headers, body)
        assert isinstance(answer, WebhookIgnored)
        assert "project OPS is not followed" in answer.reason

    def test_syncds_own_progress_comment_is_ignored_as_ours(self) -> None:
        """A comment event whose ADF text is our progress comment."""
        comment = {"id": "1", "body": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "OKR progress"}, {"type": "text", "text": " for this task"}]}
        ]}}  # fmt: skip
        headers, body = signed({"webhookEvent": "comment_updated", "comment": comment, "issue": {"key": "ENG-1"}})
        assert intake(CONFIG, headers, body) == WebhookIgnored("comment_updated", "a comment syncd wrote itself")

    def test_peoples_comments_are_ignored_too(self) -> None:
        """Comments do not change state, labels or fields."""
        headers, body = signed(
            {"webhookEvent": "comment_created", "comment": {"body": "LGTM"}, "issue": {"key": "ENG-1"}}
        )
        answer = intake(CONFIG, headers, body)
        assert isinstance(answer, WebhookIgnored)
        assert answer.reason == "comments do not change what syncd mirrors"

    def test_an_unknown_event_is_ignored(self) -> None:
        """A version release says nothing about issues."""
        headers, body = signed({"webhookEvent": "jira:version_released"})
        assert isinstance(intake(CONFIG, headers, body), WebhookIgnored)


class TestInterpretation:
    """A stored delivery's meaning for the mirror, without I/O."""

    def test_an_update_is_a_snapshot_with_state_labels_and_time(self) -> None:
        """Done with resolution Done; updated read with Jira's offset."""
        fields = {"status": {"statusCategory": {"key": "done"}}, "resolution": {"name": "Done"}}
        _, body = signed(issue_payload("jira:issue_updated", **fields))
        (snapshot,) = interpret(CONFIG, "jira:issue_updated", body).snapshots
        assert (snapshot.external_id, snapshot.state, snapshot.labels) == ("ENG-1", TaskState.DONE, ("kr:ENG-1.1",))
        assert snapshot.updated_at.isoformat() == "2026-12-03T10:00:00+00:00"
        assert snapshot.url == "https://acme.atlassian.net/browse/ENG-1"

    def test_a_deletion_removes_the_issue(self) -> None:
        """`jira:issue_deleted` -> removed."""
        _, body = signed(issue_payload("jira:issue_deleted"))
        assert interpret(CONFIG, "jira:issue_deleted", body).removed == ("ENG-1",)

    def test_a_payload_without_the_fields_asks_for_a_fetch(self) -> None:
        """No `updated` in the payload: the issue is fetched instead of trusted."""
        payload = issue_payload("jira:issue_updated")
        del payload["issue"]["fields"]["updated"]
        _, body = signed(payload)
        effects = interpret(CONFIG, "jira:issue_updated", body)
        assert (effects.snapshots, effects.refetch) == ((), ("ENG-1",))

    def test_a_move_to_an_unfollowed_project_removes_the_old_key(self) -> None:
        """ENG-1 became OPS-7: kept at intake (it was ours), then removed."""
        payload = issue_payload("jira:issue_updated", key="OPS-7")
        payload["changelog"] = {"items": [{"field": "Key", "fromString": "ENG-1", "toString": "OPS-7"}]}
        headers, body = signed(payload)
        assert isinstance(intake(CONFIG, headers, body), WebhookAccepted)
        assert interpret(CONFIG, "jira:issue_updated", body).removed == ("ENG-1",)

    def test_a_move_between_followed_projects_follows_the_issue(self) -> None:
        """ENG-1 became OPS-7, both followed: OPS-7 mirrored, ENG-1 removed."""
        config = jira_config(projects=["ENG", "OPS"])
        payload = issue_payload("jira:issue_updated", key="OPS-7")
        payload["changelog"] = {"items": [{"field": "Key", "fromString": "ENG-1", "toString": "OPS-7"}]}
        effects = interpret(config, "jira:issue_updated", json.dumps(payload).encode())
        assert [s.external_id for s in effects.snapshots] == ["OPS-7"]
        assert effects.removed == ("ENG-1",)
