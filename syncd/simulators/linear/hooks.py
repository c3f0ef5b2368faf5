"""Webhooks of the simulated workspace: each change is posted, signed, to every enabled hook that wants it.

A hook wants a change of a resource type it lists, about its team (before or after a move), or any team's
with `allPublicTeams`. Deliveries carry Linear's headers: `Linear-Delivery` (a UUID per delivery),
`Linear-Event` (the type) and, with a secret, `Linear-Signature` (hex HMAC-SHA256 of the raw body); the
body carries `webhookTimestamp` (ms) and `webhookId`. They are queued in order on one thread.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncd.simulators.kit.webhooks import DeliveryQueue, WebhookPoster, hmac_signer
from syncd.simulators.linear.state import Change, Comment, Hook, Issue, Label, LinearState, iso

SIGNER = hmac_signer("Linear-Signature")
ORGANIZATION_ID = "7a661544-df08-4cd1-a1e3-5ec611898806"


@dataclass(frozen=True)
class Delivery:
    """One delivery sent: where, its headers and body, and how the receiver answered."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    dropped: bool = False


def issue_data(state: LinearState, issue: Issue, site: str) -> dict[str, Any]:
    """An issue as webhook `data` (`IssueWebhookPayload`'s fields syncd and people read)."""
    team = state.teams[issue.team_id]
    workflow = state.states[issue.state_id]
    labels = [state.labels[i] for i in issue.label_ids if i in state.labels]
    return {
        "id": issue.id, "identifier": issue.identifier, "number": issue.number, "title": issue.title,
        "createdAt": iso(issue.created), "updatedAt": iso(issue.updated),
        "archivedAt": iso(issue.archived) if issue.archived else None, "trashed": issue.trashed or None,
        "estimate": issue.estimate, "priority": 0, "priorityLabel": "No priority", "sortOrder": 0.0,
        "prioritySortOrder": 0.0, "teamId": team.id, "team": {"id": team.id, "key": team.key, "name": team.name},
        "stateId": workflow.id, "state": {"id": workflow.id, "name": workflow.name, "type": workflow.type,
                                          "color": "#e2e2e2"},
        "labelIds": [label.id for label in labels], "labels": [_label_child(label) for label in labels],
        "previousIdentifiers": list(issue.previous), "subscriberIds": [], "reactionData": {},
        "url": f"{site}/issue/{issue.identifier}",
    }  # fmt: skip


def _label_child(label: Label) -> dict[str, Any]:
    child: dict[str, Any] = {"id": label.id, "name": label.name, "color": "#4EA7FC"}
    if label.parent_id:
        child["parentId"] = label.parent_id
    return child


def label_data(label: Label) -> dict[str, Any]:
    """A label as webhook `data`."""
    return {"id": label.id, "name": label.name, "color": "#4EA7FC", "isGroup": label.is_group,
            "parentId": label.parent_id, "teamId": label.team_id, "createdAt": iso(label.updated),
            "updatedAt": iso(label.updated)}  # fmt: skip


def comment_data(state: LinearState, comment: Comment) -> dict[str, Any]:
    """A comment as webhook `data`."""
    issue = state.issues[comment.issue_id]
    return {"id": comment.id, "body": comment.body, "issueId": issue.id, "userId": comment.user_id,
            "createdAt": iso(comment.created), "updatedAt": iso(comment.updated), "reactionData": [],
            "issue": {"id": issue.id, "title": issue.title}}  # fmt: skip


class HookSender:
    """Turns state changes into signed deliveries to the workspace's webhooks."""

    def __init__(self, state: LinearState, site: Callable[[], str]) -> None:
        self._state = state
        self._site = site
        self._poster = WebhookPoster([SIGNER])
        self._queue: DeliveryQueue[tuple[str, bytes, dict[str, str]]] = DeliveryQueue(self._send, name="linear-hooks")
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []

    def start(self) -> None:
        """Start the delivery thread."""
        self._queue.start()

    def stop(self) -> None:
        """Stop after what is queued."""
        self._queue.stop()
        self._poster.close()

    def drop_next(self, count: int = 1) -> None:
        """Lose the next `count` deliveries."""
        self._poster.drop_next(count)

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was answered."""
        return self._queue.wait_idle(timeout)

    def body(self, change: Change, hook: Hook) -> dict[str, Any]:
        """The body Linear posts for `change` to `hook`."""
        data = self._data(change)
        body: dict[str, Any] = {
            "action": change.action, "actor": {"id": self._state.viewer_id, "type": "user", "name": "A person"},
            "createdAt": data.get("updatedAt"), "data": data, "type": change.type,
            "organizationId": ORGANIZATION_ID, "webhookId": hook.id, "webhookTimestamp": int(time.time() * 1000),
        }  # fmt: skip
        if change.type == "Issue" and change.action != "remove":
            body["url"] = data["url"]
        if change.updated_from is not None and change.action == "update":
            body["updatedFrom"] = change.updated_from
        return body

    def _data(self, change: Change) -> dict[str, Any]:
        with self._state.lock:
            if change.type == "Issue":
                return issue_data(self._state, change.after, self._site())
            if change.type == "Comment":
                return comment_data(self._state, change.after)
            return label_data(change.after)

    def wants(self, hook: Hook, change: Change) -> bool:
        """Whether `hook` is sent `change`."""
        if not hook.enabled or change.type not in hook.resource_types:
            return False
        return hook.all_public_teams or hook.team_id in change.team_ids or not change.team_ids

    def __call__(self, change: Change) -> None:
        """Queue the deliveries `change` makes."""
        for hook in list(self._state.hooks.values()):
            if self.wants(hook, change):
                raw = json.dumps(self.body(change, hook)).encode()
                self._queue.put((hook.url, raw, self.signed_headers(hook.secret, raw, change.type)))

    def signed_headers(self, secret: str | None, raw: bytes, event: str) -> dict[str, str]:
        """Headers of a delivery of `raw` signed with `secret` (also for deliveries made up by tests)."""
        headers = {"Content-Type": "application/json; charset=utf-8", "Linear-Delivery": str(uuid.uuid4()),
                   "Linear-Event": event, "User-Agent": "Linear-Webhook"}  # fmt: skip
        return self._poster.signed(secret, raw, headers)

    def _send(self, job: tuple[str, bytes, dict[str, str]]) -> bool:
        url, raw, headers = job
        answer = self._poster.post(url, raw, headers)
        with self._lock:
            self.deliveries.append(Delivery(url, headers, raw, answer.status, answer.dropped))
        return True
