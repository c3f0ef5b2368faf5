"""Helpers for webhook-path tests: a signing intake-only adapter, a runtime around it, a migrated store.

`IntakeAdapter` implements just the pure webhook part of the port, GitHub-style (X-Hub-Signature-256
with a configured secret) or Asana-style (handshake, then X-Hook-Signature with the stored secrets),
so the web side is tested at our own boundary without any tracker SDK.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine

from adapters.registry import config_model
from syncd.config.models import SyncdConfig
from syncd.core.errors import MalformedPayload
from syncd.core.signatures import hmac_sha256_hex, verify_hmac_sha256
from syncd.ports import BoundSecrets, SourceAdapter, WebhookAccepted, WebhookHandshake, WebhookIgnored, WebhookIntake
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.store.engine import create_store_engine
from syncd.store.migrate import upgrade

SECRET = "it's-a-secret-to-everybody"


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `body`, as trackers send it."""
    return hmac_sha256_hex(secret, body)


class IntakeAdapter:
    """The webhook half of a source adapter; every I/O method of the port is absent on purpose."""

    def __init__(self, name: str, *, handshake: bool = False) -> None:
        self.name = name
        self.kind = "asana" if handshake else "github"
        self.handshake = handshake

    def intake(
        self, headers: Mapping[str, str], body: bytes, query: Mapping[str, str], secrets: BoundSecrets
    ) -> WebhookIntake:
        """Verify then classify, like the real adapters (Asana-style: with the secret of `?resource=`)."""
        if self.handshake and "x-hook-secret" in headers:
            secret = headers["x-hook-secret"]
            return WebhookHandshake(
                query.get("resource", ""), secret, {"X-Hook-Secret": secret}, nonce=query.get("install", "")
            )
        if self.handshake:
            bound = secrets.get(query.get("resource", ""))
            verify_hmac_sha256((bound,) if bound else (), body, headers.get("x-hook-signature"))
        else:
            verify_hmac_sha256([SECRET], body, headers.get("x-hub-signature-256"), prefix="sha256=")
        payload = _json(body)
        if self.handshake:
            if not payload.get("events"):
                return WebhookIgnored("events", "heartbeat")
            return WebhookAccepted(hashlib.sha256(body).hexdigest(), "events")
        event = headers.get("x-github-event", "")
        if event != "issues":
            return WebhookIgnored(event, "not an event syncd uses")
        return WebhookAccepted(headers.get("x-github-delivery", ""), f"issues.{payload.get('action')}")

    def close(self) -> None:
        """Nothing to release."""


def _json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or MalformedPayload."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise MalformedPayload(f"the body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("the body is not a JSON object")
    return payload


def source_config(adapter: IntakeAdapter) -> dict[str, Any]:
    """A minimal config entry for the adapter's source."""
    if adapter.handshake:
        return {"name": adapter.name, "kind": "asana", "token": "t", "workspace": "1", "projects": ["123"]}
    return {"name": adapter.name, "kind": "github", "token": "t", "repos": ["octo/repo"], "webhook_secret": SECRET}


def make_config(adapters: Sequence[IntakeAdapter], **server: Any) -> SyncdConfig:
    """A valid config with one cycle and the adapters' sources."""
    return config_model().model_validate(
        {
            "cycles": [{"id": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31"}],
            "server": server,
            "sources": [source_config(adapter) for adapter in adapters],
        }
    )


def make_runtime(engine: Engine, adapters: Sequence[IntakeAdapter], **server: Any) -> Runtime:
    """A runtime over `engine` whose sources are `adapters`."""
    loaded = LoadedConfig(
        config=make_config(adapters, **server),
        path=None,
        adapters={adapter.name: cast(SourceAdapter, adapter) for adapter in adapters},
    )
    return Runtime(loaded=loaded, engine=engine)


def migrated_sqlite(path: Path) -> Engine:
    """A SQLite store at `path`, migrated to head (dispose it when done)."""
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine
