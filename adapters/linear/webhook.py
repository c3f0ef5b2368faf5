"""Pure webhook handling for Linear: verify `Linear-Signature`, check the timestamp, classify, interpret.

`intake` runs on the webhook path: the hex HMAC-SHA256 of the raw body is checked in constant time before
the body is parsed; a body whose `webhookTimestamp` (ms) is more than 60 s from now is refused as a replay;
the delivery is then kept (deduped on `Linear-Delivery`) or acknowledged and dropped. Kept: `Issue` events
of followed teams (or moved out of one: `previousIdentifiers`), `IssueLabel` updates and removals (a renamed
label re-matches its issues). Ignored: comments (syncd's own among them), every other type.
`interpret` runs in the worker: an issue's data is a snapshot (applied only if newer than the mirror); one
with labels in groups the payload does not name asks for a fetch; a removal, or a move to a team the source
does not follow, removes it; a label change re-lists the source's teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from adapters.linear.config import LinearSourceConfig
from adapters.linear.normalize import (
    has_unnamed_groups,
    identifier_of,
    previous_identifiers,
    snapshot_from_issue,
    team_key,
)
from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.signatures import verify_hmac_sha256
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookIgnored, WebhookIntake

#: How far `webhookTimestamp` may be from now (Linear's own advice for replay protection).
MAX_SKEW = timedelta(seconds=60)
#: The store keeps delivery ids up to this long (Linear's are UUIDs).
MAX_DELIVERY_ID = 200
KEPT_TYPES = frozenset({"Issue", "IssueLabel"})
JsonObject = dict[str, Any]


def verify_signature(config: LinearSourceConfig, headers: Mapping[str, str], body: bytes) -> None:
    """Check `Linear-Signature: <hex>` in constant time when a secret is configured; SignatureError otherwise."""
    if config.webhook_secret is None:
        return
    verify_hmac_sha256([config.webhook_secret.get_secret_value()], body, headers.get("linear-signature"))


def parse_body(body: bytes) -> JsonObject:
    """The delivery's JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPayload(f"the delivery body is not JSON ({error})") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("the delivery body is JSON but not an object")
    return payload


def check_timestamp(payload: Mapping[str, Any], now: datetime) -> None:
    """Refuse a body whose `webhookTimestamp` is missing or more than `MAX_SKEW` from `now` (a replay)."""
    stamp = payload.get("webhookTimestamp")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise MalformedPayload("the delivery has no numeric `webhookTimestamp`")
    skew = abs(now.timestamp() * 1000 - float(stamp)) / 1000
    if skew > MAX_SKEW.total_seconds():
        raise SignatureError(f"the delivery's webhookTimestamp is {skew:.0f}s from now (at most 60s): a replay?")


def _data(payload: Mapping[str, Any], kind: str) -> JsonObject:
    data = payload.get("data")
    if not isinstance(data, dict):
        raise MalformedPayload(f"a {kind[:50]} delivery needs a `data` object")
    return data


def _concerns_source(config: LinearSourceConfig, issue: Mapping[str, Any]) -> bool:
    """Whether the issue is in a followed team, or was before a move (`previousIdentifiers`)."""
    before = [identifier.rpartition("-")[0] for identifier in previous_identifiers(issue)]
    return any(config.follows(team) for team in (team_key(issue), *before))


def ignore_reason(config: LinearSourceConfig, kind: str, payload: Mapping[str, Any]) -> str | None:
    """Why a delivery is not worth storing, or None when it is."""
    if kind == "Comment":
        return "comments do not change what syncd mirrors (syncd's own progress comments among them)"
    if kind not in KEPT_TYPES:
        return f"syncd does not use {kind[:100]} events"
    data = _data(payload, kind)
    if kind == "IssueLabel":
        changed = payload.get("updatedFrom")
        renamed = isinstance(changed, Mapping) and ("name" in changed or "parentId" in changed)
        return None if payload.get("action") == "remove" or renamed else "a new or recoloured label links nothing"
    if not _concerns_source(config, data):
        return f"team {str(team_key(data))[:50]} is not followed by source {config.name}"
    return None


def intake(config: LinearSourceConfig, headers: Mapping[str, str], body: bytes, now: datetime) -> WebhookIntake:
    """Verify, check the timestamp, then keep (`WebhookAccepted`) or acknowledge and drop (`WebhookIgnored`)."""
    verify_signature(config, headers, body)
    payload = parse_body(body)
    check_timestamp(payload, now)
    kind = payload.get("type") or headers.get("linear-event")
    if not isinstance(kind, str) or not kind:
        raise MalformedPayload("the delivery names no `type` (nor a Linear-Event header)")
    reason = ignore_reason(config, kind, payload)
    if reason is not None:
        return WebhookIgnored(event=kind[:100], reason=reason)
    delivery_id = headers.get("linear-delivery")
    if not delivery_id:
        raise MalformedPayload("the delivery has no Linear-Delivery header (needed to drop redeliveries)")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise MalformedPayload(f"the Linear-Delivery header is longer than {MAX_DELIVERY_ID} characters")
    return WebhookAccepted(delivery_id=delivery_id, event=kind)


def interpret(config: LinearSourceConfig, event: str, body: bytes) -> DeliveryEffects:
    """What a stored `Issue` or `IssueLabel` delivery means for the mirror."""
    if event not in KEPT_TYPES:
        raise MalformedPayload(f"event {event[:100]!r} is not one the linear adapter stores")
    payload = parse_body(body)
    data = _data(payload, event)
    if event == "IssueLabel":
        return DeliveryEffects(reconcile=tuple(config.teams))
    identifier = identifier_of(data, "Issue")
    gone = tuple(old for old in previous_identifiers(data) if old != identifier)
    if payload.get("action") == "remove" or not config.follows(team_key(data)):
        return DeliveryEffects(removed=(*gone, identifier))
    if has_unnamed_groups(data):
        return DeliveryEffects(refetch=(identifier,), removed=gone)
    url = payload.get("url") if isinstance(payload.get("url"), str) else None
    return DeliveryEffects(snapshots=(snapshot_from_issue(config, data, url=url),), removed=gone)
