"""Pure webhook handling for GitLab: verify `X-Gitlab-Token` and the Standard Webhooks signature, classify and
interpret a delivery.

`intake` runs on the webhook path. With `webhook_secret`, `X-Gitlab-Token` must equal it (compared in constant
time); with `webhook_signing_token`, `webhook-signature` must hold `v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">` under the token's key and `webhook-timestamp` must be within
`TIMESTAMP_TOLERANCE` of now (an old delivery replayed is refused). Both are checked before the body is parsed.
The delivery is then kept (deduped on `Idempotency-Key`, else `X-Gitlab-Event-UUID`) or acknowledged and
dropped. `interpret` runs in the worker: an issue or merge request hook, or a note hook's noteable, is a full
snapshot (applied if newer than the mirror); one missing what a snapshot needs asks for a fetch; a moved issue
leaves the mirror (its new issue is listed in its new project when that one is followed).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from adapters.gitlab.config import GitLabSourceConfig, signing_key
from adapters.gitlab.normalize import ISSUE, MERGE_REQUEST, external_id, is_moved, snapshot_from_item
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookIgnored, WebhookIntake

#: Every note syncd writes carries this (the Markdown renderer's hidden marker); notes hooks about it are our echo.
SYNCD_MARKER = "<!-- syncd:"
#: How far `webhook-timestamp` may be from now, either way (Standard Webhooks' usual five minutes).
TIMESTAMP_TOLERANCE = 300.0
#: `X-Gitlab-Event` values syncd stores, by the kind of object they are about.
HOOKS = {
    "Issue Hook": ISSUE,
    "Confidential Issue Hook": ISSUE,
    "Merge Request Hook": MERGE_REQUEST,
    "Note Hook": "note",
    "Confidential Note Hook": "note",
}
NOTEABLES = {"Issue": ISSUE, "MergeRequest": MERGE_REQUEST}
#: The store keeps delivery ids up to this long (GitLab's are UUIDs).
MAX_DELIVERY_ID = 200
JsonObject = dict[str, Any]


def verify_token(config: GitLabSourceConfig, headers: Mapping[str, str]) -> None:
    """`X-Gitlab-Token` equals `webhook_secret` (constant time) when one is configured; SignatureError otherwise."""
    if config.webhook_secret is None:
        return
    given = headers.get("x-gitlab-token")
    if not given:
        raise SignatureError("the delivery carries no X-Gitlab-Token")
    if not hmac.compare_digest(given.encode(), config.webhook_secret.get_secret_value().encode()):
        raise SignatureError("the X-Gitlab-Token does not match the webhook secret")


def expected_signature(token: str, message_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{message_id}.{timestamp}.{body}` under a `whsec_` token's key."""
    digest = hmac.digest(signing_key(token), f"{message_id}.{timestamp}.".encode() + body, "sha256")
    return "v1," + base64.b64encode(digest).decode()


def verify_signature(config: GitLabSourceConfig, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """The Standard Webhooks signature and a recent timestamp, when `webhook_signing_token` is configured."""
    if config.webhook_signing_token is None:
        return
    message_id, stamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not signatures:
        raise SignatureError("the delivery carries no webhook-signature")
    if not message_id or not stamp:
        raise SignatureError("the delivery carries no webhook-id or webhook-timestamp to check its signature with")
    try:
        sent = float(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time") from None
    if abs(now - sent) > TIMESTAMP_TOLERANCE:
        raise SignatureError(f"webhook-timestamp is more than {TIMESTAMP_TOLERANCE:g}s from now (a replay?)")
    expected = expected_signature(config.webhook_signing_token.get_secret_value(), message_id, stamp, body).encode()
    matched = False
    for given in signatures.split(" ")[:10]:
        # compare_digest on every entry (no early exit): the time says nothing about which one matched.
        matched |= hmac.compare_digest(expected, given.strip().encode())
    if not matched:
        raise SignatureError("the webhook-signature does not match the body")


def parse_body(body: bytes) -> JsonObject:
    """The delivery's JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPayload(f"the delivery body is not JSON ({error})") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("the delivery body is JSON but not an object")
    return payload


def _object(payload: Mapping[str, Any], key: str, what: str) -> JsonObject:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise MalformedPayload(f"a {what} delivery needs a `{key}` object")
    return value


def project_of(payload: Mapping[str, Any], what: str) -> str:
    """The full path of the delivery's project (`project.path_with_namespace`)."""
    path = _object(payload, "project", what).get("path_with_namespace")
    if not isinstance(path, str) or "/" not in path:
        raise MalformedPayload(f"a {what} delivery needs project.path_with_namespace")
    return path


def _subject(kind: str, payload: JsonObject) -> tuple[str, JsonObject] | str:
    """(kind, object) the delivery is about, or why it is about nothing syncd mirrors."""
    if kind != "note":
        return kind, _object(payload, "object_attributes", kind)
    note = _object(payload, "object_attributes", "note")
    if SYNCD_MARKER in str(note.get("note") or note.get("body") or ""):
        return "a note syncd wrote itself"
    noteable = NOTEABLES.get(str(note.get("noteable_type")))
    if noteable is None:
        return f"a note on a {str(note.get('noteable_type'))[:50]}, not on an issue or merge request"
    return noteable, _object(payload, noteable, "note")


def ignore_reason(config: GitLabSourceConfig, event: str, payload: JsonObject) -> str | None:
    """Why a delivery is not worth storing, or None when it is."""
    kind = HOOKS.get(event)
    if kind is None:
        return f"syncd does not use {event[:100]} events"
    subject = _subject(kind, payload)
    if isinstance(subject, str):
        return subject
    noteable, item = subject
    project = project_of(payload, event)
    if not config.follows(project):
        return f"project {project[:200]} is not followed by source {config.name}"
    if noteable == MERGE_REQUEST and not config.include_merge_requests:
        return "merge requests are excluded (include_merge_requests: false)"
    if not isinstance(item.get("iid"), int):
        return f"the {noteable} it is about has no iid to fetch it by"
    return None


def delivery_id(headers: Mapping[str, str]) -> str:
    """`Idempotency-Key` (the same on GitLab's retries), else `X-Gitlab-Event-UUID`, else `webhook-id`."""
    found = headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid") or headers.get("webhook-id")
    if not found:
        raise MalformedPayload("the delivery has no Idempotency-Key or X-Gitlab-Event-UUID header (needed to dedupe)")
    if len(found) > MAX_DELIVERY_ID:
        raise MalformedPayload(f"the delivery id header is longer than {MAX_DELIVERY_ID} characters")
    return found


def intake(config: GitLabSourceConfig, headers: Mapping[str, str], body: bytes, *, now: float) -> WebhookIntake:
    """Verify (token, then signature), then keep (`WebhookAccepted`) or acknowledge and drop one delivery."""
    verify_token(config, headers)
    verify_signature(config, headers, body, now)
    event = headers.get("x-gitlab-event")
    if not event:
        raise MalformedPayload("the delivery has no X-Gitlab-Event header")
    payload = parse_body(body)
    reason = ignore_reason(config, event, payload)
    if reason is not None:
        return WebhookIgnored(event=event[:100], reason=reason)
    action = _object(payload, "object_attributes", event).get("action")
    kind = HOOKS[event]
    name = f"{kind}.{action}" if isinstance(action, str) and action else kind
    return WebhookAccepted(delivery_id=delivery_id(headers), event=name[:100])


def _hook_item(payload: JsonObject, item: JsonObject) -> JsonObject:
    """An `object_attributes` issue or merge request with the labels and assignees its hook carries beside it."""
    merged = dict(item)
    if "labels" not in merged and isinstance(payload.get("labels"), list):
        merged["labels"] = payload["labels"]
    if "assignees" not in merged and isinstance(payload.get("assignees"), list):
        merged["assignees"] = payload["assignees"]
    return merged


def interpret(config: GitLabSourceConfig, event: str, body: bytes) -> DeliveryEffects:
    """What a stored delivery (`issue.close`, `merge_request.merge`, `note.create`) means for the mirror."""
    payload = parse_body(body)
    kind = event.partition(".")[0]
    if kind not in (ISSUE, MERGE_REQUEST, "note"):
        raise MalformedPayload(f"event {event[:100]!r} is not one the gitlab adapter stores")
    subject = _subject(kind, payload)
    if isinstance(subject, str):
        return DeliveryEffects()
    noteable, item = subject
    project = project_of(payload, kind)
    if not isinstance(item.get("iid"), int):
        raise MalformedPayload(f"the {noteable} of this delivery has no iid")
    task = external_id(project, noteable, item["iid"])
    if noteable == ISSUE and is_moved(item):
        return DeliveryEffects(removed=(task,))
    if not config.follows(project):
        return DeliveryEffects(removed=(task,))
    try:
        snapshot = snapshot_from_item(config, _hook_item(payload, item) if kind != "note" else item, noteable, project)
    except MalformedPayload:
        return DeliveryEffects(refetch=(task,))
    if not item.get("state"):
        return DeliveryEffects(refetch=(task,))
    return DeliveryEffects(snapshots=(snapshot,))
