"""Pure webhook handling for GitHub: verify `X-Hub-Signature-256`, classify, and interpret a delivery.

`intake` runs on the webhook path (verify before parsing, then keep or ignore); `interpret` runs in
the worker on the stored body and turns it into `DeliveryEffects` without any I/O.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import orjson

from adapters.github.config import GitHubSourceConfig
from adapters.github.normalize import removed_id, snapshot_from_issue, snapshot_from_pull_request
from syncd.core.errors import MalformedPayload
from syncd.core.signatures import verify_hmac_sha256
from syncd.ports import DeliveryEffects, WebhookAccepted, WebhookIgnored, WebhookIntake

#: Every comment or summary syncd writes carries this; deliveries about them are our own echo.
SYNCD_MARKER = "<!-- syncd:"

_USED_ACTIONS: dict[str, frozenset[str]] = {
    "issues": frozenset(
        {"opened", "edited", "deleted", "transferred", "closed", "reopened", "labeled", "unlabeled"}
        | {"assigned", "unassigned"}
    ),
    "pull_request": frozenset(
        {"opened", "edited", "closed", "reopened", "labeled", "unlabeled", "assigned", "unassigned"}
        | {"converted_to_draft", "ready_for_review"}
    ),
    "label": frozenset({"edited", "deleted"}),
    "issue_comment": frozenset({"created", "edited", "deleted"}),
    "installation": frozenset({"created", "new_permissions_accepted", "unsuspend"}),
    "installation_repositories": frozenset({"added"}),
}
#: The store keeps delivery ids up to this long (GitHub's are 36-character GUIDs).
MAX_DELIVERY_ID = 200
_REPOSITORY_EVENTS = frozenset({"issues", "pull_request", "label", "issue_comment"})
JsonObject = dict[str, Any]


def verify_signature(config: GitHubSourceConfig, headers: Mapping[str, str], body: bytes) -> None:
    """Check `X-Hub-Signature-256` in constant time when a secret is configured; SignatureError otherwise."""
    if config.webhook_secret is None:
        return
    secret = config.webhook_secret.get_secret_value()
    verify_hmac_sha256([secret], body, headers.get("x-hub-signature-256"), prefix="sha256=")


def parse_body(body: bytes) -> JsonObject:
    """The delivery's JSON object (`application/json`, or the `payload=` form GitHub sends by default)."""
    raw: bytes | str = body
    if body.startswith(b"payload="):
        raw = urllib.parse.parse_qs(body.decode("utf-8", errors="replace")).get("payload", [""])[0]
    try:
        payload = orjson.loads(raw)  # ~3x json.loads: the worker parses every stored delivery
    except orjson.JSONDecodeError as error:
        raise MalformedPayload(f"the delivery body is not JSON ({error.__class__.__name__}: {error})") from error
    if not isinstance(payload, dict):
        raise MalformedPayload("the delivery body is JSON but not an object")
    return payload


def _object(payload: Mapping[str, Any], key: str, event: str) -> JsonObject:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise MalformedPayload(f"a {event} delivery needs a `{key}` object")
    return value


def repository_of(payload: Mapping[str, Any], event: str) -> str:
    """`owner/name` of the delivery's repository."""
    name = _object(payload, "repository", event).get("full_name")
    if not isinstance(name, str) or name.count("/") != 1:
        raise MalformedPayload(f"a {event} delivery needs repository.full_name as owner/name")
    return name


def intake(config: GitHubSourceConfig, headers: Mapping[str, str], body: bytes) -> WebhookIntake:
    """Verify, then keep (`WebhookAccepted`) or acknowledge and drop (`WebhookIgnored`) one delivery."""
    verify_signature(config, headers, body)
    event = headers.get("x-github-event")
    if not event:
        raise MalformedPayload("the delivery has no X-GitHub-Event header")
    payload = parse_body(body)
    action = payload.get("action")
    name = f"{event}.{action}" if isinstance(action, str) else event
    reason = ignore_reason(config, event, action, payload)
    if reason is not None:
        return WebhookIgnored(event=name, reason=reason)
    delivery_id = headers.get("x-github-delivery")
    if not delivery_id:
        raise MalformedPayload("the delivery has no X-GitHub-Delivery header (needed to drop redeliveries)")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise MalformedPayload(f"the X-GitHub-Delivery header is longer than {MAX_DELIVERY_ID} characters")
    return WebhookAccepted(delivery_id=delivery_id, event=name)


def ignore_reason(config: GitHubSourceConfig, event: str, action: object, payload: JsonObject) -> str | None:
    """Why a delivery is not worth storing, or None when it is."""
    unused = _unused_reason(event, action)
    if unused is not None:
        return unused
    if event in _REPOSITORY_EVENTS and not config.follows(repository_of(payload, event)):
        return f"repository {repository_of(payload, event)} is not followed by source {config.name}"
    if event == "pull_request" and not config.include_pull_requests:
        return "pull requests are excluded (include_pull_requests: false)"
    if event == "issue_comment":
        return _comment_ignore_reason(config, payload)
    if event.startswith("installation") and not (_installed_repos(config, payload) or event == "installation"):
        return "none of the added repositories is followed"
    return None


def _unused_reason(event: str, action: object) -> str | None:
    if event == "ping":
        return "ping: GitHub checks that the hook reaches us"
    used = _USED_ACTIONS.get(event)
    if used is None:
        return f"syncd does not use {event[:100]} events"
    if not isinstance(action, str):
        raise MalformedPayload(f"a {event} delivery needs `action` as a string")
    if action not in used:
        return f"{event}.{action} does not change what syncd mirrors"
    return None


def _comment_ignore_reason(config: GitHubSourceConfig, payload: JsonObject) -> str | None:
    comment = _object(payload, "comment", "issue_comment")
    if SYNCD_MARKER in str(comment.get("body") or ""):
        return "a comment syncd wrote itself"
    issue = _object(payload, "issue", "issue_comment")
    if issue.get("pull_request") is not None and not config.include_pull_requests:
        return "a comment on a pull request, and pull requests are excluded"
    return None


def _installed_repos(config: GitHubSourceConfig, payload: JsonObject) -> tuple[str, ...]:
    key = "repositories_added" if "repositories_added" in payload else "repositories"
    listed = payload.get(key) or []
    if not isinstance(listed, list):
        raise MalformedPayload(f"an installation delivery's `{key}` is not a list")
    names = [repo.get("full_name") for repo in listed if isinstance(repo, dict)]
    return tuple(name for name in names if isinstance(name, str) and config.follows(name))


def interpret(config: GitHubSourceConfig, event: str, body: bytes) -> DeliveryEffects:
    """What a stored delivery (`issues.labeled` style event) means for the mirror."""
    payload = parse_body(body)
    kind, _, action = event.partition(".")
    if kind == "issues":
        return _issue_effects(config, action, payload)
    if kind == "pull_request":
        pull = _object(payload, "pull_request", event)
        return DeliveryEffects(snapshots=(snapshot_from_pull_request(config, pull, repository_of(payload, event)),))
    if kind == "issue_comment":
        issue = _object(payload, "issue", event)
        return DeliveryEffects(snapshots=(snapshot_from_issue(config, issue, repository_of(payload, event)),))
    if kind == "label":
        return DeliveryEffects(reconcile=(repository_of(payload, event),))
    if kind == "installation":
        listed = _installed_repos(config, payload)
        return DeliveryEffects(reconcile=listed or tuple(config.repos))
    if kind == "installation_repositories":
        return DeliveryEffects(reconcile=_installed_repos(config, payload))
    raise MalformedPayload(f"event {event!r} is not one the github adapter stores")


def _issue_effects(config: GitHubSourceConfig, action: str, payload: JsonObject) -> DeliveryEffects:
    repo = repository_of(payload, "issues")
    issue = _object(payload, "issue", "issues")
    if action == "deleted":
        return DeliveryEffects(removed=(removed_id(issue, repo),))
    if action == "transferred":
        return _transfer_effects(config, repo, issue, payload)
    return DeliveryEffects(snapshots=(snapshot_from_issue(config, issue, repo),))


def _transfer_effects(config: GitHubSourceConfig, repo: str, issue: JsonObject, payload: JsonObject) -> DeliveryEffects:
    changes = _object(payload, "changes", "issues.transferred")
    new_repo = repository_of({"repository": changes.get("new_repository")}, "issues.transferred")
    new_issue = _object(changes, "new_issue", "issues.transferred")
    removed = (removed_id(issue, repo),)
    if not config.follows(new_repo):
        return DeliveryEffects(removed=removed)
    snapshot = snapshot_from_issue(config, new_issue, new_repo)
    return DeliveryEffects(snapshots=(snapshot,), removed=removed)
