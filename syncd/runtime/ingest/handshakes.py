"""Handshake windows: a webhook handshake is accepted only from the webhook an install is creating.

Asana proves a new webhook by POSTing `X-Hook-Secret` to its target *during* the create call, and signs
later deliveries with it. Anyone can POST such a header, so each creation is bound to the install making
it: `expect` opens a window for (source, resource) holding the hash of a one-time nonce that only the
target the install registers carries; the daemon takes the handshake bearing that nonce once and keeps
its secret *pending* in the window, verifying nothing. When the create call answers, `confirm` keeps the
secret (bound to the resource and the webhook's id) only if the created webhook follows that resource,
delivers to the target with that nonce, and the answer repeats the same secret; otherwise it is
discarded. Installing goes through `install_webhooks` here so no caller forgets it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import structlog

from adapters.registry import registry
from syncd.ports import CreatedWebhook, SourceAdapter, WebhookAction
from syncd.store import handshakes as store
from syncd.store.connection import Engine
from syncd.store.handshakes import nonce_hash

__all__ = ["WINDOW", "StoreHandshakes", "confirmation_problem", "handshakes", "install_webhooks", "nonce_hash"]

log = structlog.get_logger("syncd.handshakes")

#: How long an install may take between opening the window and the tracker's handshake.
WINDOW = timedelta(minutes=10)


def handshakes(kind: str) -> bool:
    """Whether trackers of `kind` handshake with the target before creating a webhook (their descriptor says)."""
    descriptor = registry().get(kind)
    return descriptor is not None and descriptor.webhooks.handshake


def confirmation_problem(
    resource: str, expected_nonce_hash: str, pending: str | None, created: CreatedWebhook | None
) -> str | None:
    """Why the secret `pending` in `resource`'s window (of nonce hash `expected_nonce_hash`) must not verify
    that resource's deliveries; None when it may. `created` is the create call's answer (None: it failed)."""
    if created is None:
        return "the create call failed"
    if pending is None:
        return "no handshake with this install's nonce arrived"
    carried = [value for _, value in parse_qsl(urlsplit(created.target).query)]
    problems = (
        (not created.gid, "the create call's answer names no webhook"),
        (created.resource != resource, f"the created webhook follows {created.resource[:100]!r}, not {resource!r}"),
        (
            not any(hmac.compare_digest(nonce_hash(value), expected_nonce_hash) for value in carried),
            "the created webhook's target does not carry this install's nonce",
        ),
        (
            created.secret is not None and not hmac.compare_digest(created.secret, pending),
            "the create call's answer repeats another secret than the handshake's",
        ),
    )
    return next((problem for failed, problem in problems if failed), None)


class StoreHandshakes:
    """`WebhookHandshakes` over the store, for one source's install; `close` drops what it left open."""

    def __init__(self, engine: Engine, source: str, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._source = source
        self._clock = clock
        self._open: set[str] = set()

    def confirmed(self, resource: str) -> str | None:
        """The webhook id bound to `resource`'s secret (None: no secret, or one stored before 0006)."""
        return store.confirmed_webhook(self._engine, self._source, resource)

    def expect(self, resource: str) -> str:
        """Open (or reopen, with a fresh nonce) the window of `resource`; the nonce for its target."""
        nonce = secrets.token_urlsafe(32)
        store.open_window(self._engine, self._source, resource, nonce, self._clock() + WINDOW)
        self._open.add(resource)
        return nonce

    def confirm(self, resource: str, created: CreatedWebhook | None) -> bool:
        """Close the window; move its pending secret to `webhook_secrets` if `created` matches it, else drop it."""
        with self._engine.begin() as conn:
            window = store.take_window(conn, self._source, resource)
            self._open.discard(resource)
            pending = window.secret if window is not None else None
            problem = confirmation_problem(resource, window.nonce_hash if window else "", pending, created)
            if problem is not None:
                log.warning("handshake.discarded", source=self._source, resource=resource, reason=problem)
                return False
            assert created is not None  # no problem means the webhook was created
            assert pending is not None  # ... and its handshake arrived
            store.keep_secret(conn, self._source, resource, secret=pending, webhook_gid=created.gid, now=self._clock())
        log.info("handshake.confirmed", source=self._source, resource=resource, webhook=created.gid)
        return True

    def close(self) -> None:
        """Drop the windows opened and never confirmed (an install that stopped half-way keeps no secret)."""
        if self._open:
            store.drop_windows(self._engine, self._source, self._open)
            self._open.clear()


def install_webhooks(
    engine: Engine | None, adapter: SourceAdapter, url: str, *, dry_run: bool, clock: Callable[[], datetime]
) -> Sequence[WebhookAction]:
    """`adapter.install_webhooks`, with each creation's handshake bound to this install when its tracker
    handshakes (`engine` is the daemon's store; None only for trackers that do not)."""
    if dry_run or not handshakes(adapter.kind):
        return adapter.install_webhooks(url, dry_run=dry_run)
    if engine is None:
        raise ValueError(f"{adapter.kind} webhooks handshake with the daemon: the store is needed to expect it")
    expected = StoreHandshakes(engine, adapter.name, clock)
    try:
        return adapter.install_webhooks(url, dry_run=False, handshakes=expected)
    finally:
        expected.close()
