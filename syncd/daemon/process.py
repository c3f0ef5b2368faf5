"""`syncd run`: prepare the store and runtime, then run the web server and the worker-side components.

Start-up (blocking, before any port is opened): open the store, hold the SQLite file (one daemon per
file), migrate (or refuse with the command to run), load the OKR tree, build the adapters. Running:
uvicorn (every role serves /healthz, /readyz, /metrics; the web role also takes webhooks) and the
role's components share one asyncio loop. SIGTERM/SIGINT stop it gracefully within a deadline: stop
accepting, commit every delivery already received, let components finish or release their claims.
SIGHUP (or a change of the config file) reloads the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import signal
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog
import uvicorn
from sqlalchemy import Engine

from syncd.config.models import SyncdConfig
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryWriter
from syncd.runtime.reload import ConfigReloader, build_adapters, build_stores, close_adapters
from syncd.store.engine import open_store
from syncd.store.lock import DaemonLock
from syncd.store.migrate import require_current, upgrade
from syncd.store.okr import sync_config
from syncd.web.app import WebhookFastPath, create_app
from syncd.web.limits import ServerLimits, server_config

log = structlog.get_logger("syncd.daemon")

ROLES = ("web", "worker", "scheduler")
#: The worker-side components each role runs, as "module:Class" (imported only when the role runs).
ROLE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "web": (),
    "worker": ("syncd.runtime.worker:Worker", "syncd.runtime.push.pusher:Pusher"),
    "scheduler": ("syncd.runtime.poll.scheduler:Scheduler",),
}


class Component(Protocol):
    """A long-running part of the daemon: runs until `stop` is set, then finishes or releases its work."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set."""
        ...


ComponentFactory = Callable[[Runtime], Component]


def component_factories(roles: frozenset[str]) -> list[ComponentFactory]:
    """The component classes of `roles`, in start order."""
    factories: list[ComponentFactory] = []
    for role in ROLES:
        if role in roles:
            for spec in ROLE_COMPONENTS[role]:
                module, _, name = spec.partition(":")
                factories.append(getattr(importlib.import_module(module), name))
    return factories


@dataclass(frozen=True)
class DaemonOptions:
    """How `syncd run` was asked to run."""

    config_path: Path
    host: str
    port: int
    roles: frozenset[str] = frozenset(ROLES)
    migrate: bool = True
    shutdown_timeout: float = 10.0
    reload_interval: float = 2.0


@dataclass
class Prepared:
    """Everything start-up produced; `close()` undoes it."""

    runtime: Runtime
    lock: DaemonLock
    components: list[ComponentFactory] = field(default_factory=list)

    def close(self) -> None:
        """Close adapters, the store engine and the thread pool; give the SQLite file back."""
        close_adapters(self.runtime.loaded.adapters)
        close_adapters(self.runtime.loaded.stores)
        self.runtime.executor.shutdown(wait=False, cancel_futures=True)
        self.runtime.engine.dispose()
        self.lock.release()


def prepare(config: SyncdConfig, options: DaemonOptions) -> Prepared:
    """Open, lock and migrate the store, load the OKR tree, build adapters. Raises `StoreError` on failure."""
    engine = open_store(config.store.url, pool_size=config.store.pool_size)
    lock = DaemonLock(config.store.url)
    try:
        lock.acquire()
        _migrate(engine, migrate=options.migrate)
        runtime = Runtime(loaded=LoadedConfig(config, options.config_path, {}), engine=engine)
        sync_config(engine, config, runtime.clock())
        components = component_factories(options.roles)
        adapters = build_adapters(config, runtime.requests.observer)
        runtime.loaded = LoadedConfig(config, options.config_path, adapters, build_stores(config))
    except BaseException:
        engine.dispose()
        lock.release()
        raise
    return Prepared(runtime=runtime, lock=lock, components=components)


def _migrate(engine: Engine, *, migrate: bool) -> None:
    """Bring the schema to the newest revision, or with `--no-migrate` refuse an outdated one."""
    if not migrate:
        require_current(engine)
        return
    before, after = upgrade(engine)
    if before != after:
        log.info("store.migrated", before=before, after=after)


def freeze_start_up_objects() -> None:
    """Keep the objects of start-up (modules, config, adapters, SQLAlchemy's tables) out of every later
    garbage collection: a full collection walks every tracked object and, with them, held the GIL for
    about 100 ms, stalling webhook answers; with them frozen it walks only what the daemon made since.
    They live as long as the process anyway (freed by reference counting if not)."""
    gc.collect()
    gc.freeze()
    log.debug("daemon.gc_frozen", objects=gc.get_freeze_count())


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the daemon owns SIGTERM/SIGINT/SIGHUP."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """No-op: the daemon's handlers stay in force."""
        yield


class Daemon:
    """One running `syncd run` process."""

    def __init__(
        self,
        prepared: Prepared,
        options: DaemonOptions,
        *,
        on_reloaded: Callable[[SyncdConfig], None] | None = None,
    ) -> None:
        self.prepared = prepared
        self.runtime = prepared.runtime
        self.options = options
        self.stop = asyncio.Event()
        self.reloader = ConfigReloader(
            self.runtime, options.config_path, interval=options.reload_interval, on_reloaded=on_reloaded
        )
        web = "web" in options.roles
        self.writer = (
            DeliveryWriter(self.runtime.engine, on_stored=self.runtime.deliveries_waiting.set) if web else None
        )
        app = create_app(self.runtime, writer=self.writer, webhooks=web)
        self.server = _Server(
            server_config(
                WebhookFastPath(app),
                options.host,
                options.port,
                ServerLimits(),
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=max(1, int(options.shutdown_timeout / 2)),
            )
        )
        self.failed = False
        #: Whether the stop left calls behind (threads still waiting for a tracker): the process must not wait.
        self.abandoned = False

    async def run(self) -> int:
        """Serve until a stop signal; return the exit code (0 after a graceful stop)."""
        self._install_signal_handlers()
        tasks = [self._spawn("server", self._serve())]
        tasks += [self._spawn(type(c).__name__, c.run(self.stop)) for c in self._components()]
        tasks.append(self._spawn("reloader", self.reloader.watch(self.stop)))
        tasks.append(self._spawn("request_watch", self.runtime.requests.run(self.stop, self.runtime.engine)))
        freeze_start_up_objects()
        try:
            log.info("daemon.started", host=self.options.host, port=self.options.port, roles=sorted(self.options.roles))
            await self.stop.wait()
            log.info("daemon.stopping", deadline_seconds=self.options.shutdown_timeout)
            await self._shutdown(tasks)
        finally:
            gc.unfreeze()  # a daemon run inside another program (the sandbox, tests) gives them back
        return 1 if self.failed else 0

    def _components(self) -> list[Component]:
        """Build the role's components against the runtime."""
        return [factory(self.runtime) for factory in self.prepared.components]

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` as a task; if it ends by itself before a stop (a crash), stop the daemon with exit 1."""

        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except (Exception, SystemExit) as error:
                self.failed = True
                log.exception("daemon.component_failed", component=name, error=repr(error))
            else:
                if not self.stop.is_set():
                    self.failed = True
                    log.error("daemon.component_exited", component=name)
            self.stop.set()

        return asyncio.create_task(guarded(), name=name)

    async def _serve(self) -> None:
        """uvicorn until told to exit; a port that cannot be bound is a start-up failure."""
        await self.server.serve()
        if not self.server.started:
            raise OSError(f"cannot listen on {self.options.host}:{self.options.port}")

    def _install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT stop (a second one forces), SIGHUP reloads."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        """First signal: graceful stop; second: stop waiting for open connections."""
        if self.stop.is_set():
            log.warning("daemon.forced", signal=sig.name)
            self.server.force_exit = True
        log.info("daemon.signal", signal=sig.name)
        self.stop.set()

    def _on_reload_signal(self) -> None:
        """SIGHUP: reload the config file."""
        log.info("daemon.signal", signal="SIGHUP")
        self.reloader.request()

    async def _shutdown(self, tasks: Sequence[asyncio.Task[None]]) -> None:
        """Stop accepting, drain the ingest queue, wait for components; cancel what misses the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.shutdown_timeout
        self.server.should_exit = True
        self.runtime.deliveries_waiting.set()
        server_task = tasks[0]
        await asyncio.wait([server_task], timeout=max(0.0, deadline - loop.time()))
        if self.writer is not None:
            drained = await loop.run_in_executor(None, self.writer.close, max(0.0, deadline - loop.time()))
            log.info("daemon.ingest_drained", complete=drained)
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
        if pending:
            # Abandon in-flight tracker calls before any lease is given back: a closed client refuses every
            # request not yet sent, so a thread left waiting can no longer write once another replica may.
            self.abandoned = True
            close_adapters(self.runtime.loaded.adapters)
            close_adapters(self.runtime.loaded.stores)
        for task in pending:
            log.warning("daemon.deadline_exceeded", component=task.get_name())
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.reloader.close_retired()
        log.info("daemon.stopped", exit_code=1 if self.failed else 0)
