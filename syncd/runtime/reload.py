"""Config reload on SIGHUP or a change of the config file: a valid new config is swapped in whole.

An invalid file is refused (`config.reload_rejected` with every problem) and the old config keeps
running. A valid one is synced into the store (cycles, objectives, KRs), every KR and task is marked
dirty so links and progress are recomputed under the new rules, and `Runtime.loaded` is replaced.
Store URL and listening address are read once at start: a change of those is logged as needing a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import structlog

from adapters.registry import build_adapter, build_store, load_config
from syncd.config.errors import ConfigError
from syncd.config.models import SyncdConfig
from syncd.core.errors import SyncdError
from syncd.ports import OkrStore, RequestObserver, SourceAdapter, ignore_request
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.recompute.dirty import mark_active_krs_dirty
from syncd.store.connection import Connection, Engine, StoreFailure
from syncd.store.errors import first_line
from syncd.store.mirror import mark_live_tasks_dirty
from syncd.store.okr import sync_config
from syncd.store.transactions import run_in_transaction

log = structlog.get_logger("syncd.reload")


def build_adapters(
    config: SyncdConfig, observers: Callable[[str], RequestObserver] | None = None
) -> dict[str, SourceAdapter]:
    """One adapter per enabled source, each told of its requests by `observers(source)` if given; adapters
    already built are closed if a later one fails."""
    built: dict[str, SourceAdapter] = {}
    try:
        for source in config.sources:
            if source.enabled:
                built[source.name] = build_adapter(source, observers(source.name) if observers else ignore_request)
    except BaseException:
        close_adapters(built)
        raise
    return built


def build_stores(config: SyncdConfig) -> dict[str, OkrStore]:
    """One OKR store per enabled `okr_stores:` item (no I/O until used)."""
    return {store.name: build_store(store) for store in config.okr_stores if store.enabled}


def close_adapters(adapters: Mapping[str, SourceAdapter | OkrStore]) -> None:
    """Release every adapter's (or store's) connections, logging (not raising) a failure to do so."""
    for name, adapter in adapters.items():
        try:
            adapter.close()
        except (OSError, SyncdError) as error:
            log.warning("adapter.close_failed", source=name, error=str(error))


def mark_everything_dirty(engine: Engine, now: datetime) -> None:
    """Ask the worker to re-match every task and recompute every live KR (keeps earlier marks).

    Tasks first, then the KRs under the rollup lock: the lock order of every writer, so a reload on one
    replica cannot deadlock with a recompute on another (and a deadlock elsewhere is retried)."""

    def mark(conn: Connection) -> None:
        mark_live_tasks_dirty(conn, now)
        mark_active_krs_dirty(conn, now)

    run_in_transaction(engine, mark, what="mark everything dirty")


def restart_needed(old: SyncdConfig, new: SyncdConfig) -> list[str]:
    """Keys whose change takes effect only after a restart."""
    keys = []
    if old.store != new.store:
        keys.append("store")
    if (old.server.host, old.server.port) != (new.server.host, new.server.port):
        keys.append("server.host/port")
    return keys


class ConfigReloader:
    """Reloads `runtime`'s config from `path` when asked (SIGHUP) or when the file changes."""

    def __init__(
        self,
        runtime: Runtime,
        path: Path,
        *,
        interval: float = 2.0,
        on_reloaded: Callable[[SyncdConfig], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.path = path
        self.interval = interval
        self.on_reloaded = on_reloaded
        self._requested = asyncio.Event()
        self._stamp = self._file_stamp()
        self._retired: list[Mapping[str, SourceAdapter | OkrStore]] = []

    def request(self) -> None:
        """Ask for a reload at the next opportunity (safe to call from a signal handler on the loop)."""
        self._requested.set()

    def reload(self) -> bool:
        """Load, validate and swap in the config file (blocking). False, and the old one kept, if it is refused."""
        try:
            config = load_config(self.path)
            adapters = build_adapters(config, self.runtime.requests.observer)
            stores = build_stores(config)
        except ConfigError as error:
            log.error("config.reload_rejected", path=str(self.path), problems=[str(p) for p in error.problems])
            return False
        except (SyncdError, ValueError, OSError) as error:
            log.error("config.reload_rejected", path=str(self.path), problems=[str(error)])
            return False
        try:
            self._apply(config, adapters, stores)
        except StoreFailure as error:
            close_adapters(adapters)
            close_adapters(stores)
            log.error("config.reload_failed", path=str(self.path), error=first_line(error))
            return False
        return True

    def _apply(self, config: SyncdConfig, adapters: dict[str, SourceAdapter], stores: dict[str, OkrStore]) -> None:
        """Store the new OKR tree, mark everything for re-matching, swap the config in."""
        now = self.runtime.clock()
        report = sync_config(self.runtime.engine, config, now)
        mark_everything_dirty(self.runtime.engine, now)
        old = self.runtime.loaded
        self.runtime.loaded = LoadedConfig(config=config, path=self.path, adapters=adapters, stores=stores)
        # Work in flight may still hold an old adapter: close the previous generation, not this one.
        self.close_retired()
        self._retired.append(old.adapters)
        self._retired.append(old.stores)
        if self.on_reloaded is not None:
            self.on_reloaded(config)
        if keys := restart_needed(old.config, config):
            log.warning("config.restart_needed", keys=keys)
        log.info("config.reloaded", path=str(self.path), sources=sorted(adapters), okr_changed=report.changed)

    def close_retired(self) -> None:
        """Close adapters of configs replaced earlier."""
        while self._retired:
            close_adapters(self._retired.pop())

    async def watch(self, stop: asyncio.Event) -> None:
        """Until `stop`: reload when requested or when the file's modification time or size changes."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            await _first_of(stop, self._requested, within=self.interval)
            if stop.is_set():
                break
            stamp = self._file_stamp()
            if self._requested.is_set() or stamp != self._stamp:
                self._requested.clear()
                self._stamp = stamp
                try:
                    await loop.run_in_executor(self.runtime.executor, self.reload)
                except Exception:  # a reload bug must not stop a daemon whose config still works
                    log.exception("config.reload_failed", path=str(self.path))

    def _file_stamp(self) -> tuple[int, int] | None:
        """(mtime in ns, size) of the config file, or None while it is missing."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Return when any of `events` is set, or after `within` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
