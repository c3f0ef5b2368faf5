"""Pure webhook handling for Jira admin webhooks: verify `X-Hub-Signature`, classify, interpret a delivery.

`intake` runs on the webhook path: the HMAC-SHA256 of the raw body is checked in constant time before the
body is parsed, then the delivery is kept (deduped on `X-Atlassian-Webhook-Identifier`, which Jira keeps
across its retries) or acknowledged and dropped. `interpret` runs in the worker: a payload's full issue is
a snapshot (the runtime applies it only if newer than the mirror, since Jira does not order deliveries);
a payload without the fields a snapshot needs asks for a fetch; a deleted or moved-away issue is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from adapters.jira.config import JiraSourceConfig
from adapters.jira.normalize import is_complete, is_issue_key, issue_key, project_of, snapshot_from_issue
from adapters.jira.render import plain_text
from adapters.jira.wiki import wiki_text
from syncd.core.errors import MalformedPayload
from syncd.core.render import HEADING, NO_LONGER_COUNTS
from syncd.core.signatures import verify_hmac_sha256
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookIgnored, WebhookIntake

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
COMMENT_EVENTS = frozenset({"comment_created", "comment_updated", "comment_deleted"})
#: The store keeps delivery ids up to this long (Jira's identifiers are short numbers or UUIDs).
MAX_DELIVERY_ID = 200
JsonObject = dict[str, Any]


def verify_signature(config: JiraSourceConfig, headers: Mapping[str, str], body: bytes) -> None:
    """Check `X-Hub-Signature: sha256=<hex>` in constant time when a secret is configured; SignatureError otherwise."""
    if config.webhook_secret is None:
        return
    secret = config.webhook_secret.get_secret_value()
    verify_hmac_sha256([secret], body, headers.get("x-hub-signature"), prefix="sha256=")


def parse_body(body: bytes) -> JsonObject:
    """The delivery's JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPayload(f"the delivery body is not JSON ({error})") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("the delivery body is JSON but not an object")
    return payload


def _issue(payload: Mapping[str, Any], event: str) -> JsonObject:
    issue = payload.get("issue")
    if not isinstance(issue, dict):
        raise MalformedPayload(f"a {event} delivery needs an `issue` object")
    return issue


def moved_from(payload: Mapping[str, Any]) -> str | None:
    """The key an issue had before this update moved it to another project (its changelog's `Key` item)."""
    changelog = payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and str(item.get("field", "")).lower() == "key":
            old = item.get("fromString")
            if isinstance(old, str) and is_issue_key(old):
                return old
    return None


def _is_own_comment(payload: Mapping[str, Any]) -> bool:
    """Whether a comment event is about a progress comment syncd wrote (its text, ADF on Cloud or wiki markup on
    Data Center, opens with our heading)."""
    comment = payload.get("comment")
    body = comment.get("body") if isinstance(comment, Mapping) else None
    text = (plain_text(body) if isinstance(body, Mapping) else wiki_text(str(body or ""))).lstrip()
    return text.startswith(f"{HEADING} for this task") or text.startswith(NO_LONGER_COUNTS)


def ignore_reason(config: JiraSourceConfig, event: str, payload: JsonObject) -> str | None:
    """Why a delivery is not worth storing, or None when it is."""
    if event in COMMENT_EVENTS:
        if _is_own_comment(payload):
            return "a comment syncd wrote itself"
        return "comments do not change what syncd mirrors"
    if event not in ISSUE_EVENTS:
        return f"syncd does not use {event[:100]} events"
    issue = _issue(payload, event)
    project = project_of(issue)
    old = moved_from(payload)
    if (project is None or not config.follows(project)) and (old is None or not config.follows(old.rpartition("-")[0])):
        return f"project {str(project)[:100]} is not followed by source {config.name}"
    return None


def intake(config: JiraSourceConfig, headers: Mapping[str, str], body: bytes) -> WebhookIntake:
    """Verify, then keep (`WebhookAccepted`) or acknowledge and drop (`WebhookIgnored`) one delivery."""
    verify_signature(config, headers, body)
    payload = parse_body(body)
    event = payload.get("webhookEvent")
    if not isinstance(event, str) or not event:
        raise MalformedPayload("the delivery has no `webhookEvent`")
    reason = ignore_reason(config, event, payload)
    if reason is not None:
        return WebhookIgnored(event=event[:100], reason=reason)
    delivery_id = headers.get("x-atlassian-webhook-identifier")
    if not delivery_id:
        raise MalformedPayload("the delivery has no X-Atlassian-Webhook-Identifier header (needed to drop retries)")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise MalformedPayload(f"the X-Atlassian-Webhook-Identifier header is longer than {MAX_DELIVERY_ID} characters")
    return WebhookAccepted(delivery_id=delivery_id, event=event)


def interpret(config: JiraSourceConfig, event: str, body: bytes, *, points_field: str | None = None) -> DeliveryEffects:
    """What a stored `jira:issue_*` delivery means for the mirror (`points_field`: the story-points field id)."""
    if event not in ISSUE_EVENTS:
        raise MalformedPayload(f"event {event[:100]!r} is not one the jira adapter stores")
    payload = parse_body(body)
    issue = _issue(payload, event)
    key = issue_key(issue, event)
    if event == "jira:issue_deleted":
        return DeliveryEffects(removed=(key,))
    old = moved_from(payload)
    removed = (old,) if old is not None and old != key else ()
    project = project_of(issue)
    if project is None or not config.follows(project):
        return DeliveryEffects(removed=(*removed, key) if old is None else removed)
    if not is_complete(issue):
        return DeliveryEffects(refetch=(key,), removed=removed)
    return DeliveryEffects(snapshots=(snapshot_from_issue(config, issue, points_field=points_field),), removed=removed)
