"""The outbound webhook OKR store: each change is one signed event, retried with back-off up to a day.

The back-off grows with the event's age (a tenth of it, 5 s to 1 h), so the store needs no attempt count;
past `give_up_after` a failure is `Permanent` and shown on the target with the receiver's last answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from adapters.standard_webhooks.client import WebhookClient
from adapters.standard_webhooks.config import WebhookStoreConfig
from adapters.standard_webhooks.events import event_time, event_writes, message_id, signature
from syncd.config.okr_store import OkrStoreConfig
from syncd.config.types import format_duration
from syncd.core.errors import Permanent, Retriable
from syncd.core.pacing import RateLimit
from syncd.ports import OkrState, OnlineCheck, PushWrite, WriteResult

DEFAULT_WRITES_PER_MINUTE = 120
MIN_DELAY, MAX_DELAY = 5.0, 3600.0


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookStore:
    """One `kind: webhook` store."""

    kind = "webhook"
    max_concurrent_writes = 1

    def __init__(
        self, config: WebhookStoreConfig, client: WebhookClient | None = None, clock: Callable[[], datetime] = _now
    ) -> None:
        self.config = config
        self.client = client or WebhookClient(config.url, config.timeout.total_seconds())
        self._clock = clock
        self._key = config.secret_key()

    @property
    def name(self) -> str:
        """The store's configured name."""
        return self.config.name

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """`writes_per_minute`, else 120 a minute."""
        return (RateLimit(self.config.writes_per_minute or DEFAULT_WRITES_PER_MINUTE, timedelta(minutes=1)),)

    def wanted(self, state: OkrState) -> Sequence[PushWrite]:
        """One event target per configured event type that applies."""
        return event_writes(state, list(self.config.events))

    def apply(self, write: PushWrite) -> WriteResult:
        """Sign and send the event (webhook-timestamp: now; webhook-id: stable for this event)."""
        body = (write.text or "").encode()
        msg_id = message_id(self.name, write.key, write.text or "")
        now = self._clock()
        stamp = int(now.timestamp())
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature(self._key, msg_id, stamp, body),
        }
        age = (now - (event_time(write.text or "") or now)).total_seconds()
        try:
            self.client.post(body, headers, delay=min(MAX_DELAY, max(MIN_DELAY, age / 10)))
        except Retriable as error:
            if age >= self.config.give_up_after.total_seconds():
                raise Permanent(f"gave up after {format_duration(self.config.give_up_after)} of retries; last: {str(error).removesuffix('; will retry')}",
                                status=error.status) from None  # fmt: skip
            raise
        return WriteResult(msg_id)

    def check_online(self) -> Sequence[OnlineCheck]:
        """Nothing is sent by `check --online` (a test event would reach the receiver's users): the URL only."""
        return [OnlineCheck(self.name, "receiver", True, f"events go to {self.client.url} (not sent by check)")]

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def build_store(config: OkrStoreConfig) -> WebhookStore:
    """The registry's factory (no I/O until used)."""
    if not isinstance(config, WebhookStoreConfig):
        raise TypeError(f"a webhook store needs a WebhookStoreConfig, not {type(config).__name__}")
    return WebhookStore(config)
