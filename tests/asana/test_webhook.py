"""Webhook intake and event interpretation are pure: verified before parsing, compact events never trusted
as data, each event's meaning decided by a table."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from adapters.asana.webhook import compact_event, effects, intake, parse_events
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.signatures import hmac_sha256_hex
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookHandshake, WebhookIgnored

SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
PROJECTS = ("100", "200")


def event(
    action: str,
    gid: str,
    kind: str = "task",
    *,
    parent: tuple[str, str] | None = None,
    subtype: str = "",
    field: str = "",
) -> dict[str, Any]:
    """An event shaped like Asana's EventResponse."""
    raw: dict[str, Any] = {
        "user": {"gid": "9", "resource_type": "user"},
        "created_at": "2026-01-05T10:00:00.000Z",
        "action": action,
        "resource": {"gid": gid, "resource_type": kind, **({"resource_subtype": subtype} if subtype else {})},
        "parent": {"gid": parent[0], "resource_type": parent[1]} if parent else None,
    }
    if field:
        raw["change"] = {"field": field, "action": "changed"}
    return raw


def signed(body: bytes) -> dict[str, str]:
    """Headers of a genuine delivery (lower-cased, as the runtime passes them)."""
    return {"x-hook-signature": hmac_sha256_hex(SECRET, body)}


class TestIntake:
    """Handshake, signature, heartbeat, delivery."""

    def test_a_handshake_echoes_the_secret_for_the_resource_in_the_query(self) -> None:
        """The resource and the install nonce come from `?resource=<project gid>&install=<nonce>` of the target
        `syncd webhooks install` registered."""
        outcome = intake({"x-hook-secret": SECRET}, b"", {"resource": "100", "install": "n0nce"}, {})
        assert outcome == WebhookHandshake("100", SECRET, {"X-Hook-Secret": SECRET}, nonce="n0nce")

    def test_a_signed_delivery_is_accepted_with_the_body_hash_as_its_id(self) -> None:
        """Asana has no delivery id; a redelivery has the same body, hence the same id."""
        body = json.dumps({"events": [event("changed", "1", field="completed")]}).encode()
        outcome = intake(signed(body), body, {"resource": "100"}, {"200": "other-secret", "100": SECRET})
        assert outcome == WebhookAccepted(hashlib.sha256(body).hexdigest(), "events")

    @pytest.mark.parametrize(
        ("headers", "query", "secrets", "message"),
        [
            ({}, {"resource": "100"}, {"100": SECRET}, "carries no signature"),
            ({"x-hook-signature": "00" * 32}, {"resource": "100"}, {"100": SECRET}, "does not match"),
            ({"x-hook-signature": "00" * 32}, {"resource": "100"}, {}, "no webhook .* installed for resource '100'"),
            ({}, {"resource": "100"}, {}, "carries no signature"),
        ],
        ids=["unsigned", "forged", "before-any-handshake", "unsigned-before-any-handshake"],
    )
    def test_unverified_deliveries_are_refused_before_parsing(
        self, headers: dict[str, str], query: dict[str, str], secrets: dict[str, str], message: str
    ) -> None:
        """Even an unparsable body fails on the signature first."""
        with pytest.raises(SignatureError, match=message):
            intake(headers, b"not json", query, secrets)

    @pytest.mark.parametrize("query", [{"resource": "200"}, {}], ids=["another-resource", "no-resource"])
    def test_a_secret_vouches_only_for_its_own_resource(self, query: dict[str, str]) -> None:
        """A delivery signed with resource 100's secret but sent for a resource never installed (or none) is
        refused: secrets are bound to the resource whose webhook handed them over."""
        body = json.dumps({"events": [event("changed", "1")]}).encode()
        with pytest.raises(SignatureError, match="no webhook of this source is installed"):
            intake(signed(body), body, query, {"100": SECRET})

    def test_a_heartbeat_is_ignored(self) -> None:
        """`{"events": []}` is acknowledged, not stored."""
        body = b'{"events":[]}'
        assert intake(signed(body), body, {"resource": "100"}, {"100": SECRET}) == WebhookIgnored("events", "heartbeat")

    def test_a_batch_of_events_no_source_uses_is_ignored(self) -> None:
        """Comment stories (syncd's own progress comments among them) change no task's state, links or fields:
        acknowledged, not stored."""
        events = [
            event("added", "7", "story", parent=("1", "task"), subtype="comment_added"),
            event("changed", "8", "story", parent=("1", "task"), subtype="comment_edited"),
        ]
        body = json.dumps({"events": events}).encode()
        ignored = WebhookIgnored("events", "no event syncd uses")
        assert intake(signed(body), body, {"resource": "100"}, {"100": SECRET}) == ignored

    def test_one_event_that_may_matter_keeps_the_whole_batch(self) -> None:
        """A comment story beside a completed task, or a tag renamed anywhere: stored, for the worker."""
        for useful in (event("changed", "1", field="completed"), event("changed", "5", "tag", field="name")):
            comment = event("added", "7", "story", parent=("1", "task"), subtype="comment_added")
            body = json.dumps({"events": [comment, useful]}).encode()
            outcome = intake(signed(body), body, {"resource": "100"}, {"100": SECRET})
            assert outcome == WebhookAccepted(hashlib.sha256(body).hexdigest(), "events")

    @pytest.mark.parametrize("body", [b"not json", b"[]", b'{"data": []}'], ids=["not-json", "a-list", "no-events"])
    def test_a_signed_body_without_an_events_list_is_refused(self, body: bytes) -> None:
        """MalformedPayload (answered 400)."""
        with pytest.raises(MalformedPayload):
            intake(signed(body), body, {"resource": "100"}, {"100": SECRET})

    def test_an_event_without_a_resource_is_refused_when_interpreted(self) -> None:
        """Accepted at the door (it is signed), refused by the worker with a reason."""
        with pytest.raises(MalformedPayload, match="no resource gid"):
            parse_events(b'{"events": [{"action": "changed"}]}')


MEANINGS: list[tuple[str, list[dict[str, Any]], DeliveryEffects]] = [
    ("task-changed", [event("changed", "1", field="completed")], DeliveryEffects(refetch=("1",))),
    ("task-added-to-project", [event("added", "1", parent=("100", "project"))], DeliveryEffects(refetch=("1",))),
    (
        "task-moved-between-sections",
        [event("added", "1", parent=("7", "section")), event("removed", "1", parent=("6", "section"))],
        DeliveryEffects(refetch=("1",)),
    ),
    ("task-deleted", [event("deleted", "1")], DeliveryEffects(removed=("1",))),
    (
        "task-removed-from-our-project",
        [event("removed", "1", parent=("100", "project"))],
        DeliveryEffects(removed=("1",)),
    ),
    (
        "task-removed-from-another-project",
        [event("removed", "1", parent=("999", "project"))],
        DeliveryEffects(refetch=("1",)),
    ),
    ("deleted-then-undeleted", [event("deleted", "1"), event("undeleted", "1")], DeliveryEffects(refetch=("1",))),
    (
        "story-marked-complete",
        [event("added", "5", "story", parent=("1", "task"), subtype="marked_complete")],
        DeliveryEffects(refetch=("1",)),
    ),
    (
        "story-added-to-tag",
        [event("added", "5", "story", parent=("1", "task"), subtype="added_to_tag")],
        DeliveryEffects(refetch=("1",)),
    ),
    (
        "tag-added-via-the-task-parent",
        [event("added", "8", "tag", parent=("1", "task"))],
        DeliveryEffects(refetch=("1",)),
    ),
    ("comment-added", [event("added", "5", "story", parent=("1", "task"), subtype="comment_added")], DeliveryEffects()),
    (
        "section-renamed-in-project",
        [event("changed", "7", "section", parent=("200", "project"))],
        DeliveryEffects(reconcile=("200",)),
    ),
    ("section-renamed-project-unknown", [event("changed", "7", "section")], DeliveryEffects(reconcile=PROJECTS)),
    ("section-created", [event("added", "7", "section", parent=("100", "project"))], DeliveryEffects()),
    ("project-changed", [event("changed", "100", "project")], DeliveryEffects(reconcile=("100",))),
    ("other-project-changed", [event("changed", "999", "project")], DeliveryEffects()),
    ("enum-option-renamed", [event("changed", "3", "enum_option")], DeliveryEffects(reconcile=PROJECTS)),
    (
        "many-events-one-fetch",
        [event("changed", "1", field="name"), event("changed", "1", field="notes"), event("changed", "2")],
        DeliveryEffects(refetch=("1", "2")),
    ),
]


class TestMeaning:
    """What compact events mean for the mirror."""

    @pytest.mark.parametrize(("events", "expected"), [m[1:] for m in MEANINGS], ids=[m[0] for m in MEANINGS])
    def test_events_become_fetches_removals_or_relistings(
        self, events: list[dict[str, Any]], expected: DeliveryEffects
    ) -> None:
        """See the ids for each case."""
        assert effects([compact_event(raw) for raw in events], PROJECTS) == expected

    def test_the_deprecated_type_field_stands_in_for_resource_type(self) -> None:
        """Older events name the type outside the resource."""
        raw = {"action": "changed", "type": "task", "resource": {"gid": "1"}}
        assert compact_event(raw).resource_type == "task"
