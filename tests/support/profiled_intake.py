"""Every registered tracker's webhook intake served as `syncd run` serves it, driven through the trackers'
bad-input profiles (`tests/<kind>/bad_inputs.py`): the bad-input matrix and the webhook fuzzer share it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, insert, select

from adapters.registry import registry
from syncd.config.models import SyncdConfig
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.store.schema import WebhookSecret
from syncd.store.tables import DELIVERIES
from tests.support.bad_inputs import Tracker
from tests.support.served_app import serving_app
from tests.support.webhooks import migrated_sqlite


def tracker_profiles() -> tuple[list[Tracker], list[str]]:
    """Each registered tracker's profile from `tests/<kind>/bad_inputs.py`, and the kinds that have none."""
    found, missing = [], []
    for kind in registry().kinds:
        try:
            found.append(importlib.import_module(f"tests.{kind}.bad_inputs").PROFILE)
        except ModuleNotFoundError:
            missing.append(kind)
    return found, missing


@dataclass(frozen=True)
class Served:
    """The daemon's web stack over every profiled tracker's real adapter: its URL and its store."""

    url: str
    engine: Engine

    def stored(self, source: str) -> int:
        """How many deliveries of `source` the store holds."""
        with self.engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(DELIVERIES).where(DELIVERIES.c.source == source))
        return int(count or 0)

    def post(self, tracker: Tracker, headers: dict[str, str], body: bytes) -> httpx.Response:
        """POST `body` to the tracker's webhook endpoint."""
        return httpx.post(f"{self.url}/webhooks/{tracker.source}{tracker.query}", content=body, headers=headers)


@contextmanager
def serving_trackers(store: Path, trackers: list[Tracker], config: Callable[[Path], SyncdConfig]) -> Iterator[Served]:
    """`config(store)` served as `syncd run` serves it, over a migrated SQLite store holding each tracker's
    handshake secret (Asana's)."""
    engine = migrated_sqlite(store)
    with engine.begin() as conn:
        for tracker in trackers:
            if tracker.handshake_secret is not None:
                resource, secret, webhook_gid = tracker.handshake_secret
                row = {
                    "source": tracker.source,
                    "resource": resource,
                    "secret": secret,
                    "created_at": datetime.now(UTC),
                    "webhook_gid": webhook_gid,
                }
                conn.execute(insert(WebhookSecret.__table__).values(**row))
    loaded = config(store)
    adapters = build_adapters(loaded)
    runtime = Runtime(loaded=LoadedConfig(loaded, None, adapters), engine=engine)
    try:
        with serving_app(runtime) as url:
            yield Served(url, engine)
    finally:
        close_adapters(adapters)
        engine.dispose()
