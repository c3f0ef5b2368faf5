"""GitHub's signed webhook deliveries for every change, sent in order by the kit's delivery queue.

Destinations are the repositories' hooks (created through the REST API) and targets a test or the
sandbox sets directly. `drop_next(n)` loses the next n deliveries on purpose (they are logged as
dropped), so tests can show that polling repairs what webhooks missed.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from syncd.simulators.github.entities import SimHook
from syncd.simulators.github.events import Change
from syncd.simulators.kit.webhooks import DeliveryQueue, WebhookPoster, hmac_signer

#: `X-Hub-Signature-256: sha256=<hex>`, and the older `X-Hub-Signature: sha1=<hex>` GitHub still sends.
SIGNERS = (
    hmac_signer("X-Hub-Signature-256", prefix="sha256="),
    hmac_signer("X-Hub-Signature", prefix="sha1=", digest="sha1"),
)


@dataclass(frozen=True)
class WebhookTarget:
    """A URL that receives changes; `events`/`repos` narrow what it gets (None: everything)."""

    url: str
    secret: str | None = None
    events: frozenset[str] | None = None
    repos: frozenset[str] | None = None
    content_type: str = "json"
    hook_id: int | None = None

    def wants(self, repo: str | None, event: str) -> bool:
        """Whether this target subscribes to `event` in `repo`."""
        if self.events is not None and event not in self.events and "*" not in self.events:
            return False
        return self.repos is None or repo is None or repo.lower() in self.repos


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: what was sent where, and how the receiver answered (or that it was dropped)."""

    delivery_id: str
    event: str
    action: str | None
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    dropped: bool = False
    error: str | None = None


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` as GitHub puts in `X-Hub-Signature-256`."""
    return SIGNERS[0](secret, body)["X-Hub-Signature-256"]


class WebhookSender:
    """Queues changes for their destinations and posts them, signed, from one background thread."""

    def __init__(self, hooks_of: Callable[[str], list[SimHook]], timeout: float = 10.0) -> None:
        self._hooks_of = hooks_of
        self._lock = threading.Lock()
        self._poster = WebhookPoster(SIGNERS, timeout=timeout)
        self._queue: DeliveryQueue[tuple[WebhookTarget, Change]] = DeliveryQueue(
            self._deliver, name="github-sim-webhooks"
        )
        self.targets: list[WebhookTarget] = []
        self.deliveries: list[Delivery] = []

    def add_target(
        self, url: str, secret: str | None = None, *, events: list[str] | None = None, repos: list[str] | None = None
    ) -> WebhookTarget:
        """Send changes (of these events/repos, or all) to `url`, signed with `secret`."""
        target = WebhookTarget(
            url,
            secret,
            None if events is None else frozenset(events),
            None if repos is None else frozenset(r.lower() for r in repos),
        )
        with self._lock:
            self.targets.append(target)
        return target

    def drop_next(self, count: int = 1) -> None:
        """Lose the next `count` deliveries (a network that ate them)."""
        self._poster.drop_next(count)

    def wants(self, repo: str | None, event: str) -> bool:
        """Whether any destination subscribes to `event` in `repo`."""
        return bool(self._destinations(repo, event))

    def publish(self, change: Change) -> None:
        """Queue a change for every destination that subscribes to it."""
        for target in self._destinations(change.repo, change.event):
            self.enqueue(target, change)

    def enqueue(self, target: WebhookTarget, change: Change) -> None:
        """Queue one delivery."""
        self._queue.put((target, change))

    def ping(self, hook: SimHook, change: Change) -> None:
        """Send `ping` to a just-created hook."""
        self.enqueue(self._target_of(hook), change)

    def start(self) -> None:
        """Start the delivery thread."""
        self._queue.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the deliveries already queued."""
        self._queue.stop(timeout)
        self._poster.close()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has been sent (or dropped); False on timeout."""
        return self._queue.wait_idle(timeout)

    def _destinations(self, repo: str | None, event: str) -> list[WebhookTarget]:
        with self._lock:
            found = [target for target in self.targets if target.wants(repo, event)]
        if repo is not None:
            hooks = [self._target_of(hook) for hook in self._hooks_of(repo) if hook.active]
            found.extend(target for target in hooks if target.wants(repo, event))
        return found

    @staticmethod
    def _target_of(hook: SimHook) -> WebhookTarget:
        return WebhookTarget(hook.url, hook.secret, frozenset(hook.events), None, hook.content_type, hook.id)

    def _deliver(self, job: tuple[WebhookTarget, Change]) -> bool:
        target, change = job
        body, headers = self._encode(target, change)
        headers = self._poster.signed(target.secret, body, headers)
        answer = self._poster.post(target.url, body, headers)
        delivery_id = headers["X-GitHub-Delivery"]
        sent = Delivery(delivery_id, change.event, change.action, target.url, headers, body, answer.status)
        self.deliveries.append(replace(sent, dropped=answer.dropped, error=answer.error))
        return True  # GitHub sends each delivery once; redelivery is a person's decision

    @staticmethod
    def _encode(target: WebhookTarget, change: Change) -> tuple[bytes, dict[str, str]]:
        text = json.dumps(change.payload, separators=(",", ":"))
        if target.content_type == "form":
            body, content_type = urllib.parse.urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = text.encode(), "application/json"
        headers = {
            "Content-Type": content_type,
            "User-Agent": "GitHub-Hookshot/simulator",
            "X-GitHub-Event": change.event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(target.hook_id or 0),
        }
        return body, headers
