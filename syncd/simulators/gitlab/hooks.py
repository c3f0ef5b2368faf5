"""Project hooks of the simulated instance: each change is posted to every hook of its project that wants it.

Deliveries carry GitLab's headers: `X-Gitlab-Event`, `X-Gitlab-Event-UUID`, `Idempotency-Key` and `webhook-id`
(one per delivery, the same on a retry), `webhook-timestamp`, `X-Gitlab-Instance`, `User-Agent`; with the hook's
secret token `X-Gitlab-Token`; with its signing token `webhook-signature: v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">` (Standard Webhooks). They are queued in order on one thread.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass

from syncd.simulators.gitlab.render import hook_event_header, hook_payload, hook_switch
from syncd.simulators.gitlab.state import GitLabState, ItemEvent
from syncd.simulators.kit.webhooks import DeliveryQueue, WebhookPoster


@dataclass(frozen=True)
class Delivery:
    """One delivery sent: where, its headers and body, and how the receiver answered."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    dropped: bool = False


def signature(signing_token: str, message_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{message_id}.{timestamp}.{body}` under the token's key."""
    key = base64.b64decode(signing_token.removeprefix("whsec_"))
    digest = hmac.digest(key, f"{message_id}.{timestamp}.".encode() + body, "sha256")
    return "v1," + base64.b64encode(digest).decode()


def delivery_headers(
    event_header: str, body: bytes, *, token: str | None, signing_token: str | None, instance: str, now: float
) -> dict[str, str]:
    """The headers GitLab sends with one delivery of `body`."""
    message_id, stamp = str(uuid.uuid4()), str(int(now))
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": event_header, "User-Agent": "GitLab/19.4.0",
               "X-Gitlab-Event-UUID": str(uuid.uuid4()), "Idempotency-Key": message_id, "webhook-id": message_id,
               "webhook-timestamp": stamp, "X-Gitlab-Instance": instance}  # fmt: skip
    if token:
        headers["X-Gitlab-Token"] = token
    if signing_token:
        headers["webhook-signature"] = signature(signing_token, message_id, stamp, body)
    return headers


class HookSender:
    """Turns state events into deliveries to the project hooks."""

    def __init__(self, state: GitLabState, instance_url: list[str]) -> None:
        self._state = state
        self._root = instance_url
        self._poster = WebhookPoster()
        self._queue: DeliveryQueue[tuple[str, bytes, dict[str, str]]] = DeliveryQueue(self._send, name="gitlab-hooks")
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

    def __call__(self, event: ItemEvent) -> None:
        """Queue the deliveries `event` makes."""
        with self._state.lock:
            project = self._state.projects[event.item.project_id]
            hooks = [h for h in self._state.hooks.values() if h.project_id == project.id]
        root = self._root[0]
        raw = json.dumps(hook_payload(root, project, event)).encode()
        for hook in hooks:
            if hook.events.get(hook_switch(event)):
                headers = delivery_headers(hook_event_header(event), raw, token=hook.token,
                                           signing_token=hook.signing_token, instance=root, now=time.time())  # fmt: skip
                self._queue.put((hook.url, raw, headers))

    def _send(self, job: tuple[str, bytes, dict[str, str]]) -> bool:
        url, raw, headers = job
        answer = self._poster.post(url, raw, headers)
        with self._lock:
            self.deliveries.append(Delivery(url, headers, raw, answer.status, answer.dropped))
        return True
