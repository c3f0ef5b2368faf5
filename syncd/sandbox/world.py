"""The sandbox's world: simulators seeded with the company, the generated files, the prepared daemon.

`SandboxWorld.start` does everything that blocks and needs no event loop: a fresh store in the
sandbox directory (refused while another sandbox uses it), a simulator of every registered tracker
with a sandbox part (`syncd.sandbox.tracker`) on a free loopback port with fresh credentials, the
company spread over them, `syncd.yaml` and `sandbox.env`, the environment variables the config refers
to, and the daemon's `prepare` (store migrated, adapters built).
`close` undoes all of it; the caller runs the daemon itself (see `syncd.sandbox.run`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from adapters.registry import build_adapter, load_config
from syncd.config.models import SyncdConfig
from syncd.core.errors import SyncdError
from syncd.core.model import CheckIn
from syncd.daemon.process import Daemon, DaemonOptions, Prepared, prepare
from syncd.ports import WebhookAction
from syncd.runtime.ingest.handshakes import install_webhooks
from syncd.sandbox.company import Company, acme
from syncd.sandbox.config import Endpoints, SandboxPaths, config_header, sandbox_config, write_files
from syncd.sandbox.okr_store import quantive_item, quantive_secrets, start_quantive
from syncd.sandbox.seed import seed
from syncd.sandbox.tracker import SandboxSource, sandbox_sources
from syncd.simulators.quantive import QuantiveSimulator
from syncd.store.engine import DATABASE_URL_ENV
from syncd.store.errors import StoreLocked
from syncd.store.lock import DaemonLock


class SandboxError(SyncdError):
    """The sandbox cannot start (its directory is in use, the daemon does not come up)."""


@dataclass
class SandboxWorld:
    """Everything one sandbox run set up; `close()` stops and releases it."""

    paths: SandboxPaths
    company: Company
    sources: tuple[SandboxSource, ...]
    endpoints: Endpoints
    config: SyncdConfig
    prepared: Prepared
    options: DaemonOptions
    checkins: list[CheckIn] = field(default_factory=list)
    #: One line per registered tracker the sandbox left out (it names no sandbox part).
    left_out: tuple[str, ...] = ()
    #: The simulated Quantive syncd feeds every KR's progress into (an OKR store).
    quantive: QuantiveSimulator | None = None
    _cleanup: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def start(
        cls, paths: SandboxPaths, credentials: Mapping[str, str], *, port: int = 0, today: date | None = None
    ) -> SandboxWorld:
        """Set up the sandbox in `paths` (after `fresh_store`) with `credentials` (see `new_secrets`); the
        daemon will listen on `port` (0: a free one). Raises `StoreError` when the store cannot be prepared."""
        credentials = {**quantive_secrets(), **credentials}  # a caller without the simulated Quantive's gets fresh ones
        daemon_port = usable_port(port)
        company = acme(today or date.today())
        trackers = sandbox_sources(company.name)
        with ExitStack() as cleanup:
            sources = trackers.sources
            seed(company, sources)
            apis = _start_simulators(sources, credentials, cleanup)
            endpoints = Endpoints(apis, daemon_port)
            config_data = sandbox_config(company, sources, endpoints, paths.store)
            quantive = start_quantive(company, credentials, cleanup)
            config_data["okr_stores"] = [quantive_item(company, quantive.url)]
            write_files(paths, config_data, credentials, config_header(sources, paths.env))
            cleanup.enter_context(environment(credentials))
            config = load_config(paths.config)
            options = DaemonOptions(config_path=paths.config, host="127.0.0.1", port=endpoints.daemon_port)
            prepared = prepare(config, options)
            cleanup.callback(prepared.close)
            world = cls(
                paths, company, sources, endpoints, config, prepared, options, left_out=trackers.left_out,
                quantive=quantive,
            )  # fmt: skip
            world._cleanup = cleanup.pop_all()
        return world

    def daemon(self) -> Daemon:
        """The daemon over the prepared store and adapters (build it inside the running event loop)."""
        return Daemon(self.prepared, self.options)

    def install_webhooks(self) -> list[WebhookAction]:
        """What `syncd webhooks install` does, for every source: each through its adapter (a tracker that
        hands secrets over in a handshake needs the daemon already serving)."""
        actions: list[WebhookAction] = []
        for source in self.config.sources:
            adapter = build_adapter(source)
            runtime = self.prepared.runtime
            try:
                actions += install_webhooks(
                    runtime.engine, adapter, self.endpoints.daemon_url, dry_run=False, clock=runtime.clock
                )
            finally:
                adapter.close()
        return actions

    def close(self) -> None:
        """Close the store and adapters, stop every simulator, restore the environment."""
        self._cleanup.close()

    def source(self, name: str) -> SandboxSource:
        """The sandbox source of a config source name."""
        return next(source for source in self.sources if source.name == name)

    def holder(self, key: str) -> SandboxSource:
        """The source whose tracker holds the seeded item of a story key (KeyError when none does)."""
        found = next((source for source in self.sources if key in source.tracker.story_keys()), None)
        if found is None:
            raise KeyError(f"no sandbox tracker holds the seeded item {key!r}")
        return found

    def page(self, key: str) -> str:
        """The simulator page of a seeded item, by its story key."""
        return self.holder(key).tracker.page(key)


def _start_simulators(
    sources: tuple[SandboxSource, ...], credentials: Mapping[str, str], cleanup: ExitStack
) -> dict[str, str]:
    """Every tracker's simulator on a free loopback port, accepting this run's secrets; stopped by `cleanup`.
    Returns each source's API root."""
    apis = {}
    for source in sources:
        apis[source.name] = source.tracker.start(credentials)
        cleanup.callback(source.tracker.stop)
        source.tracker.after_seed()
    return apis


def fresh_store(paths: SandboxPaths) -> None:
    """Delete the previous run's store (its tasks lived in simulators that are gone); refuse while in use."""
    paths.directory.mkdir(parents=True, exist_ok=True)
    try:
        with DaemonLock(f"sqlite:///{paths.store}"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{paths.store}{suffix}").unlink(missing_ok=True)
    except StoreLocked as error:
        raise SandboxError(f"{error}. Another sandbox runs in {paths.directory}: stop it, or give --dir") from None


def usable_port(port: int) -> int:
    """`port` if nobody listens on it (0: a free one); a busy port is a `SandboxError` naming it."""
    if port == 0:
        return free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            raise SandboxError(f"port {port} is busy ({error.strerror}); give another --port, or none") from None
    return port


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set the config's secret variables (and drop `SYNCD_DATABASE_URL`, which would move the store) for a while."""
    changed = {**values, DATABASE_URL_ENV: None}
    saved = {name: os.environ.get(name) for name in changed}
    try:
        for name, value in changed.items():
            _set(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
