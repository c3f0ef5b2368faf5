"""GitLab deliveries: `X-Gitlab-Token` and the Standard Webhooks signature verified before parsing (old
timestamps refused), deduped on Idempotency-Key, classified (issue, confidential issue, merge request and note
hooks kept; our own notes, other projects and unused events ignored), and interpreted without I/O."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from adapters.gitlab.webhook import TIMESTAMP_TOLERANCE, intake, interpret
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.ports import WebhookAccepted, WebhookIgnored
from tests.gitlab.support import SECRET, delivered, gitlab_config, issue_hook

CONFIG = gitlab_config()
NOW = time.time()


def take(payload: dict[str, Any] | bytes, event: str = "Issue Hook", **options: Any) -> Any:
    """The intake's answer to a delivery made with `options` (see `delivered`)."""
    headers, body = delivered(payload, event, **options)
    return intake(CONFIG, headers, body, now=NOW)


class TestVerification:
    """Token, then signature, both before the body is read."""

    def test_a_delivery_with_token_and_signature_is_taken(self) -> None:
        """Both right: accepted as `issue.update`."""
        answer = take(issue_hook())
        assert isinstance(answer, WebhookAccepted)
        assert answer.event == "issue.update"

    @pytest.mark.parametrize(
        ("options", "words"),
        [
            ({"token": None}, "no X-Gitlab-Token"),
            ({"token": "guess"}, "does not match"),
            ({"signing_token": None}, "no webhook-signature"),
            ({"signing_token": "whsec_" + "QUFB" * 11}, "does not match the body"),
            ({"sent": NOW - TIMESTAMP_TOLERANCE - 5}, "a replay"),
            ({"sent": NOW + TIMESTAMP_TOLERANCE + 5}, "a replay"),
        ],
    )
    def test_a_wrong_or_missing_proof_is_refused(self, options: dict[str, Any], words: str) -> None:
        """Missing or wrong token, missing or forged signature, a timestamp too old (or too new)."""
        with pytest.raises(SignatureError, match=words):
            take(issue_hook(), **options)

    def test_a_changed_body_fails_the_signature_even_with_the_right_token(self) -> None:
        """The token alone proves nothing about the body: the signature covers it."""
        headers, body = delivered(issue_hook())
        with pytest.raises(SignatureError, match="does not match the body"):
            intake(CONFIG, headers, body.replace(b"Ship it", b"Ship that"), now=NOW)

    def test_a_signature_is_checked_before_the_body_is_parsed(self) -> None:
        """A forged delivery of garbage is a signature failure, not a malformed body."""
        headers, _ = delivered(b"{not json")
        with pytest.raises(SignatureError):
            intake(CONFIG, headers, b"{still not json", now=NOW)

    def test_token_only_sources_accept_token_deliveries(self) -> None:
        """Without `webhook_signing_token` the token alone is checked (GitLab before 19.1)."""
        config = gitlab_config(webhook_signing_token=None)
        headers, body = delivered(issue_hook(), signing_token=None)
        assert isinstance(intake(config, headers, body, now=NOW), WebhookAccepted)
        headers["x-gitlab-token"] = SECRET + "x"
        with pytest.raises(SignatureError):
            intake(config, headers, body, now=NOW)

    def test_one_of_several_signatures_may_match(self) -> None:
        """`webhook-signature` may list several, space-separated."""
        headers, body = delivered(issue_hook())
        headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
        assert isinstance(intake(CONFIG, headers, body, now=NOW), WebhookAccepted)


class TestClassification:
    """What is stored, and what is acknowledged and dropped."""

    def test_the_dedupe_key_is_idempotency_key_else_event_uuid(self) -> None:
        """`Idempotency-Key` first (kept across GitLab's retries), else `X-Gitlab-Event-UUID`."""
        headers, body = delivered(issue_hook(), message_id="m-1")
        assert intake(CONFIG, headers, body, now=NOW).delivery_id == "m-1"
        del headers["idempotency-key"]
        assert intake(CONFIG, headers, body, now=NOW).delivery_id == headers["x-gitlab-event-uuid"]

    @pytest.mark.parametrize(
        ("payload", "event", "reason"),
        [
            ({"object_kind": "push"}, "Push Hook", "does not use Push Hook"),
            (issue_hook(project="other/else"), "Issue Hook", "not followed"),
            ({"object_kind": "note", "project": {"path_with_namespace": "acme/web"},
              "object_attributes": {"note": "progress\n<!-- syncd:task=acme-gitlab:acme/web#1 -->",
                                    "noteable_type": "Issue"}, "issue": {"iid": 1}}, "Note Hook", "syncd wrote"),
            ({"object_kind": "note", "project": {"path_with_namespace": "acme/web"},
              "object_attributes": {"note": "hi", "noteable_type": "Snippet"}}, "Note Hook", "Snippet"),
        ],
    )  # fmt: skip
    def test_unused_deliveries_are_ignored_with_a_reason(
        self, payload: dict[str, Any], event: str, reason: str
    ) -> None:
        """Unused events, other projects, syncd's own notes, notes on snippets."""
        answer = take(payload, event)
        assert isinstance(answer, WebhookIgnored)
        assert reason in answer.reason

    def test_merge_requests_can_be_excluded(self) -> None:
        """`include_merge_requests: false` drops Merge Request Hooks at the door."""
        config = gitlab_config(include_merge_requests=False)
        payload = issue_hook() | {"object_kind": "merge_request"}
        headers, body = delivered(payload, "Merge Request Hook")
        assert isinstance(intake(config, headers, body, now=NOW), WebhookIgnored)

    def test_confidential_issue_hooks_are_taken_like_issue_hooks(self) -> None:
        """`Confidential Issue Hook` is an issue hook."""
        answer = take(issue_hook(confidential=True), "Confidential Issue Hook")
        assert isinstance(answer, WebhookAccepted)
        assert answer.event == "issue.update"

    def test_a_delivery_without_an_event_header_is_malformed(self) -> None:
        """No `X-Gitlab-Event`: 400, after the proofs passed."""
        headers, body = delivered(issue_hook())
        del headers["x-gitlab-event"]
        with pytest.raises(MalformedPayload, match="X-Gitlab-Event"):
            intake(CONFIG, headers, body, now=NOW)


class TestInterpretation:
    """A stored delivery's meaning, without I/O."""

    def test_an_issue_hook_is_a_snapshot(self) -> None:
        """The hook's issue, labels and state as a snapshot."""
        (snapshot,) = interpret(CONFIG, "issue.close", json.dumps(issue_hook(state="closed")).encode()).snapshots
        assert (snapshot.external_id, snapshot.state.value, snapshot.labels) == ("acme/web#1", "done", ("kr:ENG-1.1",))

    def test_a_moved_issue_leaves_the_mirror(self) -> None:
        """Closed with `moved_to_id`: removed (its new issue is listed in its new project, if followed)."""
        effects = interpret(CONFIG, "issue.close", json.dumps(issue_hook(state="closed", moved_to_id=7)).encode())
        assert (effects.removed, effects.snapshots) == (("acme/web#1",), ())

    def test_a_hook_without_what_a_snapshot_needs_asks_for_a_fetch(self) -> None:
        """No `updated_at`: the item is fetched."""
        payload = issue_hook()
        del payload["object_attributes"]["updated_at"]
        assert interpret(CONFIG, "issue.update", json.dumps(payload).encode()).refetch == ("acme/web#1",)

    def test_a_note_hook_reads_its_merge_request(self) -> None:
        """A person's note on a merge request refreshes that merge request."""
        payload = {"object_kind": "note", "project": {"path_with_namespace": "acme/web"},
                   "object_attributes": {"note": "LGTM", "noteable_type": "MergeRequest", "action": "create"},
                   "merge_request": {"iid": 4, "state": "merged", "updated_at": "2026-12-03T10:00:00Z",
                                     "labels": [{"title": "kr:ENG-1.1"}]}}  # fmt: skip
        (snapshot,) = interpret(CONFIG, "note.create", json.dumps(payload).encode()).snapshots
        assert (snapshot.external_id, snapshot.state.value) == ("acme/web!4", "done")
