"""Admin webhooks of the simulated site: each change is posted, signed, to every enabled hook that wants it.

A hook wants an event it lists, for an issue its JQL filter matches before or after the change (a move out
of the followed project still reaches the hook that followed it). Deliveries carry Jira's headers:
`X-Atlassian-Webhook-Identifier` (one per delivery, the same on a retry; left out when `send_identifier` is
off, as a Data Center server may) and, with a secret, `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`. They are queued in order on one thread.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from syncd.simulators.jira import jql
from syncd.simulators.jira.render import comment_json, issue_json, user_json
from syncd.simulators.jira.routes import Site
from syncd.simulators.jira.state import AdminHook, IssueEvent
from syncd.simulators.kit.webhooks import DeliveryQueue, WebhookPoster, hmac_signer

SIGNER = hmac_signer("X-Hub-Signature", prefix="sha256=")


@dataclass(frozen=True)
class Delivery:
    """One delivery sent: where, its headers and body, and how the receiver answered."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    dropped: bool = False


def payload(site: Site, event: IssueEvent) -> dict[str, Any]:
    """The body Jira posts for `event`."""
    body: dict[str, Any] = {
        "timestamp": int(event.after.updated.timestamp() * 1000),
        "webhookEvent": event.event,
        "user": user_json(site.url, site.display_name, site.email, site.time_zone),
        "issue": issue_json(site.url, event.after),
    }
    if event.type_name is not None:
        body["issue_event_type_name"] = event.type_name
    if event.event == "jira:issue_updated":
        body["changelog"] = {"id": str(event.after.updated.timestamp())[:10], "items": list(event.items)}
    if event.comment is not None:
        body["comment"] = comment_json(site.url, event.comment)
    return body


class HookSender:
    """Turns state events into signed deliveries to the admin hooks."""

    def __init__(self, site: Site, hooks: dict[int, AdminHook]) -> None:
        self._site = site
        self._hooks = hooks
        self._poster = WebhookPoster([SIGNER])
        self._queue: DeliveryQueue[tuple[str, bytes, dict[str, str]]] = DeliveryQueue(self._send, name="jira-hooks")
        self._sequence = 0
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        #: Whether deliveries carry `X-Atlassian-Webhook-Identifier` (Cloud does; Data Center is not known to).
        self.send_identifier = True

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

    def __call__(self, event: IssueEvent) -> None:
        """Queue the deliveries `event` makes."""
        zone = ZoneInfo(self._site.time_zone)
        raw = json.dumps(payload(self._site, event)).encode()
        for hook in list(self._hooks.values()):
            if hook.enabled and event.event in hook.events and self._wanted(hook, event, zone):
                with self._lock:
                    self._sequence += 1
                    identifier = str(self._sequence)
                headers = {"Content-Type": "application/json", "User-Agent": "Atlassian Webhook HTTP Client"}
                if self.send_identifier:
                    headers["X-Atlassian-Webhook-Identifier"] = identifier
                self._queue.put((hook.url, raw, self._poster.signed(hook.secret, raw, headers)))

    def _wanted(self, hook: AdminHook, event: IssueEvent, zone: ZoneInfo) -> bool:
        if not hook.jql:
            return True
        query = jql.parse(hook.jql, zone)
        return any(query.matches(issue) for issue in (event.before, event.after) if issue is not None)

    def signed_headers(self, secret: str | None, raw: bytes, event_id: str) -> dict[str, str]:
        """Headers of a delivery of `raw` signed with `secret` (for deliveries made up by tests)."""
        headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": event_id}
        return self._poster.signed(secret, raw, headers)

    def _send(self, job: tuple[str, bytes, dict[str, str]]) -> bool:
        url, raw, headers = job
        answer = self._poster.post(url, raw, headers)
        with self._lock:
            self.deliveries.append(Delivery(url, headers, raw, answer.status, answer.dropped))
        return True
