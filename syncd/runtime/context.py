"""What every part of the daemon shares: config, store engine, adapters, metrics, clock, identity.

Built once by the daemon's factory and passed in (no globals). On a config reload the daemon builds
a new `LoadedConfig` and swaps it in; readers take `runtime.loaded` once per unit of work so one unit
never sees two configs.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.logs import redact
from syncd.ports import OkrStore, SourceAdapter
from syncd.runtime.holds import SourceHolds
from syncd.runtime.metrics import Metrics
from syncd.runtime.request_watch import RequestWatch
from syncd.store.connection import Engine


def utc_now() -> datetime:
    """The wall clock, timezone-aware UTC (the one clock the daemon reads; tests pass their own)."""
    return datetime.now(UTC)


def default_worker_id() -> str:
    """host:pid, unique per process, shown in claims and leases."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class LoadedConfig:
    """One validated config and the adapters and OKR stores built from it."""

    config: SyncdConfig
    path: Path | None
    adapters: Mapping[str, SourceAdapter]
    #: The enabled `okr_stores:` by name (their push targets' `source`).
    stores: Mapping[str, OkrStore] = field(default_factory=dict)


@dataclass
class Runtime:
    """The daemon's shared state; `loaded` is replaced whole on reload."""

    loaded: LoadedConfig
    engine: Engine
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utc_now
    worker_id: str = field(default_factory=default_worker_id)
    #: Bounded pool for blocking SDK calls and store work off the event loop.
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=16))
    #: Set by the webhook writer after it committed new deliveries, to wake this process's worker at once.
    deliveries_waiting: asyncio.Event = field(default_factory=asyncio.Event)
    #: Sources that asked us to wait (Retry-After): shared by the scheduler and the pusher of this process.
    holds: SourceHolds = field(default_factory=SourceHolds)
    #: Every tracker request of this process, counted, and each source's throttling or failures while they last.
    requests: RequestWatch = field(init=False)

    def __post_init__(self) -> None:
        # The clock is read through the runtime: a test that swaps `runtime.clock` later moves the watch too.
        self.requests = RequestWatch(self.metrics, lambda: self.clock(), redact=self.redact)  # noqa: PLW0108

    def redact(self, text: str) -> str:
        """`text` with every secret of the config in force replaced (error text before it is stored or shown)."""
        return redact(text, config_secrets(self.config))

    @property
    def config(self) -> SyncdConfig:
        """The config in force."""
        return self.loaded.config

    def adapter(self, source: str) -> SourceAdapter | None:
        """The adapter of a configured, enabled source, or None."""
        return self.loaded.adapters.get(source)

    def store(self, name: str) -> OkrStore | None:
        """The OKR store of a configured, enabled `okr_stores:` item, or None."""
        return self.loaded.stores.get(name)
