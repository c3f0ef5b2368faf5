"""The sandbox's world: simulators seeded with the company, the generated files, the prepared daemon.

`SandboxWorld.start` does everything that blocks and needs no event loop: a fresh store in the
sandbox directory (refused while another sandbox uses it), the GitHub and Asana simulators on free
loopback ports with fresh credentials, the seed, `syncd.yaml` and `sandbox.env`, the environment
variables the config refers to, and the daemon's `prepare` (store migrated, adapters built).
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
from syncd.runtime.handshakes import install_webhooks
from syncd.sandbox.company import Company, acme
from syncd.sandbox.config import ASANA_TOKEN_ENV, GITHUB_TOKEN_ENV, Endpoints, SandboxPaths, sandbox_config, write_files
from syncd.sandbox.seed import SeededIds, seed
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import DATABASE_URL_ENV
from syncd.store.errors import StoreLocked
from syncd.store.lock import DaemonLock

#: The GitHub user syncd writes as in the simulator.
BOT_LOGIN = "syncd-bot"


class SandboxError(SyncdError):
    """The sandbox cannot start (its directory is in use, the daemon does not come up)."""


@dataclass
class SandboxWorld:
    """Everything one sandbox run set up; `close()` stops and releases it."""

    paths: SandboxPaths
    company: Company
    ids: SeededIds
    github: GitHubSimulator
    asana: AsanaSimulator
    endpoints: Endpoints
    config: SyncdConfig
    prepared: Prepared
    options: DaemonOptions
    checkins: list[CheckIn] = field(default_factory=list)
    _cleanup: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def start(
        cls, paths: SandboxPaths, credentials: Mapping[str, str], *, port: int = 0, today: date | None = None
    ) -> SandboxWorld:
        """Set up the sandbox in `paths` (after `fresh_store`) with `credentials` (see `new_secrets`); the
        daemon will listen on `port` (0: a free one). Raises `StoreError` when the store cannot be prepared."""
        daemon_port = usable_port(port)
        with ExitStack() as cleanup:
            company = acme(today or date.today())
            github, asana = _start_simulators(credentials, cleanup)
            ids = seed(company, github, asana)
            asana.start_auto_delivery()
            endpoints = Endpoints(github.api_url, asana.base_url, daemon_port)
            write_files(paths, sandbox_config(company, ids, endpoints, paths.store), credentials)
            cleanup.enter_context(environment(credentials))
            config = load_config(paths.config)
            options = DaemonOptions(config_path=paths.config, host="127.0.0.1", port=endpoints.daemon_port)
            prepared = prepare(config, options)
            cleanup.callback(prepared.close)
            world = cls(paths, company, ids, github, asana, endpoints, config, prepared, options)
            world._cleanup = cleanup.pop_all()
        return world

    def daemon(self) -> Daemon:
        """The daemon over the prepared store and adapters (build it inside the running event loop)."""
        return Daemon(self.prepared, self.options)

    def install_webhooks(self) -> list[WebhookAction]:
        """What `syncd webhooks install` does, for both sources: GitHub hooks created over REST, Asana
        webhooks created with their handshake (so the daemon must already be serving)."""
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
        """Close the store and adapters, stop both simulators, restore the environment."""
        self._cleanup.close()

    def page(self, key: str) -> str:
        """The simulator page of a seeded issue or task, by its story key."""
        if key in self.ids.issues:
            return self.github_page(*self.ids.issue(key))
        return self.asana_page(self.ids.task(key))

    def github_page(self, repo: str, number: int) -> str:
        """The simulator's plain-text page of an issue (add `?format=json` for JSON)."""
        return f"{self.endpoints.github_web}/_sim/repos/{repo}/issues/{number}"

    def asana_page(self, gid: str) -> str:
        """The simulator's plain-text page of a task (add `?format=json` for JSON)."""
        return f"{self.endpoints.asana_web}/_sim/tasks/{gid}"


def _start_simulators(credentials: Mapping[str, str], cleanup: ExitStack) -> tuple[GitHubSimulator, AsanaSimulator]:
    """Both simulators on free loopback ports, accepting this run's tokens; stopped by `cleanup`."""
    # The simulator may pace writes like GitHub (80/min); the sandbox config asks for more, so it does not.
    github = GitHubSimulator(token=credentials[GITHUB_TOKEN_ENV], login=BOT_LOGIN, writes_per_minute=None)
    github.start()
    cleanup.callback(github.stop)
    asana = AsanaSimulator(token=credentials[ASANA_TOKEN_ENV])
    asana.start()
    cleanup.callback(asana.stop)
    return github, asana


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
