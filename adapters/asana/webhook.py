"""Asana webhook intake and compact-event interpretation (pure: bytes and headers in, decisions out).

A handshake carries `X-Hook-Secret` (echo it; the daemon keeps it pending until the install confirms the
webhook). A delivery carries `X-Hook-Signature`, the hex HMAC-SHA256 of the raw body under the secret of
the resource its URL names (`?resource=`), checked before the body is read. Events are
compact ("task 123 changed"), so they only say which tasks to fetch again; the same interpretation
serves the Events API's answers when polling.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from syncd.core.errors import MalformedPayload, SignatureError
from syncd.core.signatures import verify_hmac_sha256
from syncd.ports import BoundSecrets, DeliveryEffects, WebhookAccepted, WebhookHandshake, WebhookIgnored, WebhookIntake

HANDSHAKE_HEADER = "x-hook-secret"
SIGNATURE_HEADER = "x-hook-signature"
#: Query parameters of the target `syncd webhooks install` registers: the followed resource, and the
#: one-time nonce that binds the creation handshake to that install.
RESOURCE_PARAM = "resource"
NONCE_PARAM = "install"
EVENTS = "events"
#: Comment stories change no task state; skipping them also keeps our own comments from causing fetches.
COMMENT_SUBTYPES = frozenset({"comment_added", "comment_edited"})
#: Actions on a section, field or tag that can change the state or links of the tasks that use it.
RESHAPING = frozenset({"changed", "deleted", "removed"})


@dataclass(frozen=True, slots=True)
class CompactEvent:
    """One Asana event, reduced to what decides a refetch."""

    action: str
    resource_gid: str
    resource_type: str
    resource_subtype: str = ""
    parent_gid: str = ""
    parent_type: str = ""
    field: str = ""


def intake(headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets) -> WebhookIntake:
    """Classify a request to `/webhooks/<source>`: handshake, heartbeat, or a delivery verified with the
    secret bound to the resource its URL names (a resource never installed verifies nothing)."""
    resource = query.get(RESOURCE_PARAM, "")
    secret = headers.get(HANDSHAKE_HEADER)
    if secret:
        return WebhookHandshake(
            resource=resource,
            secret=secret,
            response_headers={"X-Hook-Secret": secret},
            nonce=query.get(NONCE_PARAM, ""),
        )
    bound = secrets.get(resource) if resource else None
    signature = headers.get(SIGNATURE_HEADER)
    if bound is None and signature:
        # Signed with some secret, maybe another resource's: that one must not vouch for this resource.
        raise SignatureError(f"no webhook of this source is installed for resource {resource[:100]!r}")
    verify_hmac_sha256((bound,) if bound else (), body, signature)
    events = _events_list(body)
    if not events:
        return WebhookIgnored(event=EVENTS, reason="heartbeat")
    if not any(_may_matter(raw) for raw in events):
        # Comment stories (syncd's own among them), attachments, likes...: nothing a source could act on.
        return WebhookIgnored(event=EVENTS, reason="no event syncd uses")
    return WebhookAccepted(delivery_id=hashlib.sha256(body).hexdigest(), event=EVENTS)


class _EveryProject(Collection[str]):
    """A project list holding every project (listed as one wildcard): what an event might mean for some
    source's config."""

    def __contains__(self, gid: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        yield "*"

    def __len__(self) -> int:
        return 1


def _may_matter(raw: Any) -> bool:
    """Whether an event could change some source's mirror (a malformed one is stored, for the worker to
    record why it cannot be read)."""
    try:
        event = compact_event(raw)
    except MalformedPayload:
        return True
    return bool(_meaning(event, _EveryProject()))


def parse_events(body: bytes) -> list[CompactEvent]:
    """The events of a delivery body `{"events": [...]}`."""
    return [compact_event(raw) for raw in _events_list(body)]


def compact_event(raw: Any) -> CompactEvent:
    """One event object (webhook delivery or Events API) -> `CompactEvent`."""
    if not isinstance(raw, Mapping):
        raise MalformedPayload("an asana event is not a JSON object")
    resource = raw.get("resource")
    if not isinstance(resource, Mapping) or not resource.get("gid"):
        raise MalformedPayload("an asana event has no resource gid")
    parent = _mapping(raw.get("parent"))
    change = _mapping(raw.get("change"))
    return CompactEvent(
        action=str(raw.get("action") or ""),
        resource_gid=str(resource["gid"]),
        resource_type=str(resource.get("resource_type") or raw.get("type") or ""),
        resource_subtype=str(resource.get("resource_subtype") or ""),
        parent_gid=str(parent.get("gid") or ""),
        parent_type=str(parent.get("resource_type") or ""),
        field=str(change.get("field") or ""),
    )


def effects(events: Iterable[CompactEvent], projects: Sequence[str]) -> DeliveryEffects:
    """What events mean for the mirror: tasks to fetch again, tasks that left, projects to re-list.

    Events apply in order, so a task deleted then undeleted in one batch is fetched, not removed."""
    refetch: dict[str, None] = {}
    removed: dict[str, None] = {}
    reconcile: dict[str, None] = {}
    for event in events:
        for kind, gid in _meaning(event, projects):
            if kind == "removed":
                refetch.pop(gid, None)
                removed[gid] = None
            elif kind == "refetch":
                removed.pop(gid, None)
                refetch[gid] = None
            else:
                reconcile[gid] = None
    return DeliveryEffects(refetch=tuple(refetch), removed=tuple(removed), reconcile=tuple(reconcile))


def _meaning(event: CompactEvent, projects: Collection[str]) -> list[tuple[str, str]]:
    """(kind, gid) pairs: kind is refetch, removed or reconcile."""
    gid, kind = event.resource_gid, event.resource_type
    if kind == "task":
        left_project = event.action == "removed" and event.parent_type == "project" and event.parent_gid in projects
        return [("removed" if event.action == "deleted" or left_project else "refetch", gid)]
    if event.parent_type == "task":
        # Stories (tag added, section changed, completed...) and tags whose parent is the task.
        skip = kind == "story" and event.resource_subtype in COMMENT_SUBTYPES
        return [] if skip else [("refetch", event.parent_gid)]
    if kind == "project":
        return [("reconcile", gid)] if gid in projects and event.action != "added" else []
    definition_changed = kind in {"section", "custom_field", "enum_option", "tag"} and event.action in RESHAPING
    if definition_changed:
        # A renamed section, field option or tag can change the state or links of every task in a project.
        if event.parent_type == "project" and event.parent_gid in projects:
            return [("reconcile", event.parent_gid)]
        return [("reconcile", project) for project in projects]
    return []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _events_list(body: bytes) -> list[Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPayload(f"the asana delivery is not JSON ({error})") from error
    if not isinstance(payload, Mapping) or not isinstance(payload.get("events"), list):
        raise MalformedPayload('the asana delivery has no "events" list')
    return list(payload["events"])
