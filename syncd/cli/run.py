"""`syncd run`: the long-running daemon (webhook ingest, worker, scheduler, pusher), by role."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from syncd.cli.options import EXIT_PROBLEM, ConfigOption, load_config_or_exit
from syncd.config.loader import config_secrets, default_config_path
from syncd.config.models import SyncdConfig
from syncd.daemon.process import ROLES, Daemon, DaemonOptions, prepare
from syncd.logs import configure_logging
from syncd.store.errors import StoreError


class Role(StrEnum):
    """What this process does; `all` is one process doing everything (the SQLite setup)."""

    ALL = "all"
    WEB = "web"
    WORKER = "worker"
    SCHEDULER = "scheduler"


def resolve_roles(roles: list[Role] | None) -> frozenset[str]:
    """The roles this process runs: every one for none given or `all`, else the union of those given."""
    if not roles or Role.ALL in roles:
        return frozenset(ROLES)
    return frozenset(role.value for role in roles)


def register(app: typer.Typer) -> None:
    """Add `syncd run` to the app."""
    app.command("run")(run)


def run(
    *,
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option(envvar="SYNCD_HOST", help="Listen address. Default: server.host (127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(envvar="SYNCD_PORT", min=0, max=65535, help="Listen port. Default: server.port (8080)."),
    ] = None,
    role: Annotated[
        list[Role] | None,
        typer.Option(help="Run only part of the daemon (scale-out on PostgreSQL); repeat to combine. Default: all."),
    ] = None,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="Refuse to start on an outdated store instead of migrating it.")
    ] = False,
    shutdown_timeout: Annotated[
        float, typer.Option(envvar="SYNCD_SHUTDOWN_TIMEOUT", min=0.5, help="Seconds a graceful stop may take.")
    ] = 10.0,
    log_level: Annotated[str, typer.Option(envvar="SYNCD_LOG_LEVEL", help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the daemon: answer webhooks, apply changes, poll the trackers and write progress back.

    Stops gracefully on SIGTERM or Ctrl-C; reloads the config on SIGHUP or when the file changes.
    Exit 1 when the config is invalid, the store cannot be opened, or another daemon holds the SQLite file.
    """
    path = default_config_path(config)
    loaded = load_config_or_exit(path)
    configure_logging(level=log_level, secrets=config_secrets(loaded))
    options = DaemonOptions(
        config_path=path,
        host=host or loaded.server.host,
        port=loaded.server.port if port is None else port,
        roles=resolve_roles(role),
        migrate=not no_migrate,
        shutdown_timeout=shutdown_timeout,
    )
    # Until the daemon's own handlers are in place, a SIGHUP must not end the process (its default).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        prepared = prepare(loaded, options)
    except StoreError as error:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"syncd run: {error}", style="red", markup=False)
        raise typer.Exit(EXIT_PROBLEM) from None

    def relog(new: SyncdConfig) -> None:
        configure_logging(level=log_level, secrets=config_secrets(new))

    daemon = Daemon(prepared, options, on_reloaded=relog)
    try:
        code = asyncio.run(daemon.run())
    finally:
        prepared.close()
    if daemon.abandoned:
        # Threads still wait for a tracker past the deadline; a normal exit would join them (for as long as the
        # tracker holds them). Their clients are closed and their results unwanted: leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise typer.Exit(code)
