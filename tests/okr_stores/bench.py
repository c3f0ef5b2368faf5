"""A worker bench whose config has OKR stores, each spoken to by its real client over HTTP on 127.0.0.1.

with store_bench(tmp_path, okr_stores=[quantive_item(sim.url)]) as env: ...
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.registry import build_store
from syncd.runtime.context import LoadedConfig
from syncd.runtime.push.pusher import Pusher
from syncd.runtime.worker import Worker
from tests.support.fake_adapter import task
from tests.support.worker_env import WorkerEnv, okr_config, sqlite_bench

QUANTIVE_TOKEN = "quantive-token-0123456789"
QUANTIVE_ACCOUNT = "5be26318e5274a0007f17f61"
QUANTIVE_METRIC = "6512f0c2a1b2c3d4e5f60718"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
#: The coalescing window of the bench's config (push.coalesce_window default).
WINDOW = 2


def quantive_item(url: str, **extra: Any) -> dict[str, Any]:
    """An `okr_stores:` item for the simulated Quantive: ENG-1.1 feeds its metric."""
    return {
        "name": "acme-quantive", "kind": "quantive", "base_url": url, "token": SecretStr(QUANTIVE_TOKEN),
        "account_id": QUANTIVE_ACCOUNT, "metrics": {"ENG-1.1": QUANTIVE_METRIC}, **extra,
    }  # fmt: skip


WORKBOARD_TOKEN = "workboard-token-0123456789"
WORKBOARD_METRIC = "381920"


def workboard_item(url: str, **extra: Any) -> dict[str, Any]:
    """An `okr_stores:` item for the simulated WorkBoard: ENG-1.1 feeds its metric."""
    return {
        "name": "acme-workboard", "kind": "workboard", "base_url": url, "token": SecretStr(WORKBOARD_TOKEN),
        "metrics": {"ENG-1.1": WORKBOARD_METRIC}, **extra,
    }  # fmt: skip


def webhook_item(url: str, secret: str = WEBHOOK_SECRET, **extra: Any) -> dict[str, Any]:
    """An `okr_stores:` item for the test receiver."""
    return {"name": "okr-events", "kind": "webhook", "url": url, "secret": SecretStr(secret), **extra}


@contextmanager
def store_bench(directory: Path, okr_stores: list[Mapping[str, Any]], **overrides: Any) -> Iterator[WorkerEnv]:
    """The worker bench with these `okr_stores:` built by the registry (closed afterwards). Its clock starts at
    the real now (inside the bench's cycle): receivers check a webhook's timestamp against their own clock."""
    config = okr_config(okr_stores=okr_stores, **overrides)
    with sqlite_bench(directory, config) as bench:
        bench.clock.now = datetime.now(UTC).replace(microsecond=0)
        stores = {item.name: build_store(item) for item in config.okr_stores}
        bench.runtime.loaded = LoadedConfig(config, None, bench.runtime.loaded.adapters, stores)
        try:
            yield bench
        finally:
            for store in stores.values():
                store.close()


def change(bench: WorkerEnv, external_id: str, **fields: Any) -> None:
    """The tracker changes a task and a webhook tells us; the worker applies it (recompute included)."""
    snapshot = bench.tracker.put(task(external_id, updated_at=bench.clock(), **fields))
    bench.deliver("task.changed", snapshot=snapshot)
    Worker(bench.runtime).drain()


def settle(bench: WorkerEnv, pusher: Pusher, seconds: float = WINDOW) -> int:
    """Let `seconds` pass (the coalescing window by default) and push what is due."""
    bench.clock.advance(seconds)
    return pusher.run_once()


def later(bench: WorkerEnv, days: float) -> None:
    """Move the clock on by `days` (expected progress moves with it)."""
    bench.clock.advance(timedelta(days=days).total_seconds())
