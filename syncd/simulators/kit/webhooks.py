"""Sending signed webhooks as a tracker does: signing strategies, one poster that records every answer,
and an ordered delivery queue on a background thread with optional retries.

A tracker picks its signers (GitHub: `X-Hub-Signature-256: sha256=<hex>` and the older sha1 header; Asana:
`X-Hook-Signature: <hex>`; a shared-token tracker: a constant header), encodes its payloads, and either
queues deliveries (`DeliveryQueue`, GitHub's push model) or posts batches when told (Asana's). `drop_next(n)`
loses the next n posts on purpose, so tests can show that polling repairs what webhooks missed.
"""

from __future__ import annotations

import hmac
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

Signer = Callable[[str, bytes], dict[str, str]]
J = TypeVar("J")
OK = frozenset({200, 201, 202, 204})


def hmac_signer(header: str, *, prefix: str = "", digest: str = "sha256") -> Signer:
    """A signer putting `prefix + hex(HMAC-digest(secret, body))` in `header`."""

    def sign(secret: str, body: bytes) -> dict[str, str]:
        return {header: prefix + hmac.new(secret.encode(), body, digest).hexdigest()}

    return sign


def token_signer(header: str) -> Signer:
    """A signer sending the secret itself in `header` (trackers that authenticate with a shared token)."""

    def sign(secret: str, body: bytes) -> dict[str, str]:
        return {header: secret}

    return sign


def signature_headers(signers: Iterable[Signer], secret: str | None, body: bytes) -> dict[str, str]:
    """Every signer's headers for `body` (none without a secret)."""
    headers: dict[str, str] = {}
    if secret:
        for signer in signers:
            headers.update(signer(secret, body))
    return headers


@dataclass(frozen=True)
class PostAnswer:
    """How a receiver answered one post: its status, or why there was none (unreachable, or dropped on purpose)."""

    status: int | None
    error: str | None = None
    dropped: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # the receiver's answer headers

    @property
    def accepted(self) -> bool:
        """Whether the receiver took it (a 2xx a tracker counts as delivered)."""
        return self.status in OK


class WebhookPoster:
    """Posts signed bodies over one HTTP client; can lose the next posts on demand (thread-safe)."""

    def __init__(self, signers: Iterable[Signer] = (), *, timeout: float = 10.0) -> None:
        self.signers = tuple(signers)
        self._http = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._drop = 0

    def drop_next(self, count: int = 1) -> None:
        """Lose the next `count` posts (a network that ate them)."""
        with self._lock:
            self._drop += count

    def signed(self, secret: str | None, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """`headers` plus the signature headers of `body`."""
        return {**headers, **signature_headers(self.signers, secret, body)}

    def post(self, url: str, body: bytes, headers: dict[str, str], *, may_drop: bool = True) -> PostAnswer:
        """Post `body` as is (already signed), unless a drop is due (`may_drop=False`: handshakes, heartbeats)."""
        if may_drop and self.take_drop():
            return PostAnswer(None, dropped=True)
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as failure:
            return PostAnswer(None, f"{type(failure).__name__}: {failure}")
        return PostAnswer(response.status_code, headers=response.headers)  # httpx's: case-insensitive

    def take_drop(self) -> bool:
        """Spend one pending drop, if any: True when the caller should lose what it was about to send."""
        with self._lock:
            dropped = self._drop > 0
            self._drop -= 1 if dropped else 0
        return dropped

    def close(self) -> None:
        """Release the HTTP client."""
        self._http.close()


class DeliveryQueue(Generic[J]):
    """Runs `send(job)` for each queued job, in order, on one background thread.

    `send` returns whether the job is done; a job that is not is tried again up to `retries` more times,
    `retry_delay` seconds apart (0 retries: one attempt, as GitHub sends)."""

    def __init__(self, send: Callable[[J], bool], *, name: str, retries: int = 0, retry_delay: float = 0.0) -> None:
        self._send = send
        self._name = name
        self._retries = retries
        self._retry_delay = retry_delay
        self._queue: queue.Queue[J | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None

    def put(self, job: J) -> None:
        """Queue one job."""
        with self._idle:
            self._pending += 1
        self._queue.put(job)

    def start(self) -> None:
        """Start the delivery thread."""
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the jobs already queued."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued job is done (or out of retries); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._attempt(job)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _attempt(self, job: J) -> None:
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(self._retry_delay)
            if self._send(job):
                return
