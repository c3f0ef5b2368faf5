"""Webhooks as Asana runs them: a handshake on creation, then signed, batched compact-event deliveries.

`POST /webhooks` first POSTs to the target with an `X-Hook-Secret` header and creates the webhook only
if the target answers 200/204 echoing it. Events of the followed resource queue on the webhook; each
`deliver()` sends them in batches as `{"events": [...]}` signed with `X-Hook-Signature` (hex HMAC-SHA256
of the body). A failed delivery stays queued and is retried on the next `deliver()`; deliveries can be
dropped on demand (lost forever, as when Asana gives up) and heartbeats (`{"events": []}`) sent.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from syncd.simulators.asana.records import SimWebhook
from syncd.simulators.asana.state import AsanaState
from syncd.simulators.asana.store import ApiError
from syncd.simulators.kit.webhooks import WebhookPoster, hmac_signer

EVENTS_PER_DELIVERY = 50
HANDSHAKE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: to which webhook, the exact body, the answer (None when dropped or unreachable)."""

    webhook: str
    target: str
    body: bytes
    status: int | None
    dropped: bool = False

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events it carried."""
        events: list[dict[str, Any]] = json.loads(self.body)["events"]
        return events


class WebhookHub:
    """Creates webhooks (with the handshake) and delivers their queued events."""

    def __init__(self, state: AsanaState) -> None:
        self._state = state
        self._poster = WebhookPoster([hmac_signer("X-Hook-Signature")], timeout=HANDSHAKE_TIMEOUT)
        self._send_lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        state.events.listen(self._queue)

    def create(self, resource: str, target: str) -> SimWebhook:
        """Handshake with `target`, then follow `resource`; 400 when the handshake fails."""
        with self._state.lock:
            store = self._state.store
            if resource not in store.projects and resource not in store.tasks and resource not in store.goals:
                raise ApiError(404, f"resource: Unknown object: {resource}")
        secret = secrets.token_hex(32)
        self._handshake(target, secret)
        with self._state.lock:
            hook = SimWebhook(store.new_gid(), resource, target, secret, store.now())
            store.webhooks[hook.gid] = hook
            return hook

    def delete(self, gid: str) -> None:
        """Stop a webhook."""
        with self._state.lock:
            self._state.store.webhook(gid)
            del self._state.store.webhooks[gid]

    def drop_next(self, deliveries: int) -> None:
        """Lose the next `deliveries` deliveries (their events are never sent)."""
        self._poster.drop_next(deliveries)

    def pending(self) -> int:
        """Events queued on all webhooks."""
        with self._state.lock:
            return sum(len(hook.pending) for hook in self._state.store.webhooks.values())

    def deliver(self, events_per_delivery: int = EVENTS_PER_DELIVERY) -> int:
        """Send every queued event, in batches; returns how many deliveries the targets accepted."""
        accepted, failing = 0, set[str]()
        with self._send_lock:
            while (batch := self._next_batch(events_per_delivery, failing)) is not None:
                hook, events = batch
                if self._send(hook, events):
                    accepted += 1
                else:
                    # Keep the events for the next round; stop sending to this target until then.
                    self._requeue(hook, events)
                    failing.add(hook.gid)
        return accepted

    def heartbeat(self, gid: str | None = None) -> int:
        """Send `{"events": []}` to one webhook or all; returns how many targets accepted it."""
        with self._state.lock:
            hooks = [self._state.store.webhook(gid)] if gid else list(self._state.store.webhooks.values())
        with self._send_lock:
            return sum(self._post(hook, b'{"events":[]}') in {200, 204} for hook in hooks)

    def close(self) -> None:
        """Release the HTTP client."""
        self._poster.close()

    def _queue(self, resource: str, event: dict[str, Any]) -> None:
        for hook in self._state.store.webhooks.values():
            if hook.active and hook.resource == resource:
                hook.pending.append(event)

    def _next_batch(self, size: int, skip: set[str]) -> tuple[SimWebhook, list[dict[str, Any]]] | None:
        with self._state.lock:
            hooks = self._state.store.webhooks.values()
            hook = next((h for h in hooks if h.pending and h.gid not in skip), None)
            if hook is None:
                return None
            events, hook.pending[:] = hook.pending[:size], hook.pending[size:]
            return hook, events

    def _requeue(self, hook: SimWebhook, events: list[dict[str, Any]]) -> None:
        with self._state.lock:
            hook.pending[:0] = events

    def _send(self, hook: SimWebhook, events: list[dict[str, Any]]) -> bool:
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        if self._poster.take_drop():
            self.deliveries.append(Delivery(hook.gid, hook.target, body, None, dropped=True))
            return True
        return self._post(hook, body) in {200, 204}

    def _post(self, hook: SimWebhook, body: bytes) -> int | None:
        headers = self._poster.signed(hook.secret, body, {"Content-Type": "application/json"})
        answer = self._poster.post(hook.target, body, headers, may_drop=False)
        if answer.error is not None:
            hook.last_failure_content = answer.error
        self.deliveries.append(Delivery(hook.gid, hook.target, body, answer.status))
        with self._state.lock:
            if answer.status in {200, 204}:  # what Asana counts as delivered
                hook.last_success_at, hook.delivery_retry_count = self._state.store.now(), 0
            else:
                hook.last_failure_at = self._state.store.now()
                hook.delivery_retry_count += 1
                if answer.status is not None:
                    hook.last_failure_content = f"{answer.status}"
        return answer.status

    def _handshake(self, target: str, secret: str) -> None:
        answer = self._poster.post(target, b"", {"X-Hook-Secret": secret}, may_drop=False)
        if answer.error is not None:
            failure = answer.error.partition(":")[0]
            raise ApiError(400, f"target: Could not reach {target} for the webhook handshake ({failure})")
        if answer.status not in {200, 204} or answer.headers.get("X-Hook-Secret") != secret:
            raise ApiError(
                400,
                f"target: The remote server at {target} did not complete the handshake: it answered {answer.status} "
                "and must answer 200 or 204 echoing the X-Hook-Secret header",
            )
