"""`syncd db upgrade` / `syncd db wait`: migrate the store, or wait until it is migrated; opening it as commands do."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from syncd.cli.options import EXIT_PROBLEM, ConfigOption, load_config_or_exit
from syncd.config.models import SyncdConfig
from syncd.store.engine import open_store, resolve_url
from syncd.store.errors import StoreError, display_url
from syncd.store.migrate import head_revision, require_current, upgrade

db_app = typer.Typer(
    help="Manage the OKR store (SQLite file or PostgreSQL database).", no_args_is_help=True, add_completion=False
)


def register(app: typer.Typer) -> None:
    """Add `syncd db` and its subcommands to the app."""
    app.add_typer(db_app, name="db")


def fail(message: str) -> typer.Exit:
    """Print one red line to stderr and return the exit to raise (exit code 1)."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(message, style="red"))
    return typer.Exit(EXIT_PROBLEM)


def open_store_or_exit(config: SyncdConfig, *, create: bool = True) -> Engine:
    """The store of `config` (or `SYNCD_DATABASE_URL`), or exit 1 with one clear line."""
    try:
        return open_store(config.store.url, pool_size=config.store.pool_size, create=create)
    except StoreError as error:
        raise fail(f"error: {error}") from None


@db_app.command("upgrade")
def upgrade_command(config: ConfigOption = None) -> None:
    """Create the store's tables or migrate them to this version of syncd (safe to run again).

    Exit 0 when the store is at the newest version; 1 when the store cannot be reached or migrated.
    """
    loaded = load_config_or_exit(config)
    engine = open_store_or_exit(loaded)
    where = display_url(resolve_url(loaded.store.url))
    try:
        before, after = upgrade(engine)
    except StoreError as error:
        raise fail(f"error: {error}") from None
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"store at {where}: already at {after}")
    else:
        typer.echo(f"store at {where}: upgraded from {before or 'empty'} to {after}")


@db_app.command("wait")
def wait_command(
    config: ConfigOption = None,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait before giving up.")] = 300.0,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between two looks.")] = 2.0,
) -> None:
    """Wait until the store is migrated to this version of syncd (by `syncd db upgrade` elsewhere); change nothing.

    For a pod's init container, so Deployments started with `--no-migrate` wait for the migration Job.
    Exit 0 once the store is current; 1 when it is still unreachable or behind after `--timeout` seconds.
    """
    loaded = load_config_or_exit(config)
    where = display_url(resolve_url(loaded.store.url))
    deadline = time.monotonic() + timeout
    while True:
        try:
            engine = open_store(loaded.store.url, pool_size=1, create=False)
            try:
                require_current(engine)
            finally:
                engine.dispose()
        except StoreError as error:
            if time.monotonic() + interval > deadline:
                raise fail(f"error: still not ready after {timeout:g}s: {error}") from None
            time.sleep(interval)
            continue
        typer.echo(f"store at {where}: at {head_revision()}")
        return
