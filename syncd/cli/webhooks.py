"""`syncd webhooks install`: register (or repair) the webhooks that deliver each source's changes to syncd.

Idempotent: each adapter matches an existing hook of ours by its URL and updates it, never adding a
second one; `--dry-run` only says what it would do. Asana creates a webhook only after a handshake
with the URL, so the daemon must be running and reachable there (the command says so), and the daemon
accepts that handshake only because this command opened a window for it in the store first.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from syncd.cli.db import fail, open_store_or_exit
from syncd.cli.options import EXIT_PROBLEM, ConfigOption, load_config_or_exit
from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.core.errors import TrackerError
from syncd.logs import configure_logging, redact
from syncd.ports import SourceAdapter, WebhookAction
from syncd.runtime.context import utc_now
from syncd.runtime.ingest.handshakes import handshakes, install_webhooks
from syncd.runtime.reload import build_adapters, close_adapters

ACTION_STYLES = {"create": "green", "update": "yellow", "unchanged": "dim"}

webhooks_app = typer.Typer(
    help="Register the trackers' webhooks that deliver changes to syncd.", no_args_is_help=True, add_completion=False
)


def register(app: typer.Typer) -> None:
    """Add `syncd webhooks` and its subcommands to the app."""
    app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("install")
def install(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable). Default: every source.")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="The public URL trackers reach syncd at. Default: server.public_url.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be created or updated; change nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create or update one webhook per repository or project, delivering to PUBLIC_URL/webhooks/SOURCE.

    Exit 0 when every source is done; 1 when a source failed or the URL or a source name is wrong.
    """
    loaded = load_config_or_exit(config)
    configure_logging(level="warning", secrets=config_secrets(loaded))
    public_url = _public_url(url or loaded.server.public_url)
    names = _selected(loaded, source)
    console = Console(highlight=False, soft_wrap=True)
    adapters = build_adapters(loaded)
    needs_store = not dry_run and any(handshakes(adapters[name].kind) for name in names)
    engine = open_store_or_exit(loaded, create=False) if needs_store else None
    try:
        results = [_install_one(engine, adapters[name], public_url, dry_run, console) for name in names]
    finally:
        close_adapters(adapters)
        if engine is not None:
            engine.dispose()
    counts = Counter(action.action for actions in results if actions is not None for action in actions)
    verb = "would be " if dry_run else ""
    summary = f"{counts['create']} {verb}created, {counts['update']} {verb}updated, {counts['unchanged']} unchanged"
    console.print(Text(summary + (" (dry run: nothing changed)" if dry_run else ""), style="bold"))
    if any(actions is None for actions in results):
        raise typer.Exit(EXIT_PROBLEM)


def _public_url(url: str | None) -> str:
    """The URL to deliver to, or exit 1 saying how to give one."""
    if not url:
        raise fail("error: no public URL: pass --url https://syncd.example.com or set server.public_url in the config")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(f"error: {url!r} is not an http(s) URL; give the address trackers reach syncd at")
    return url.rstrip("/")


def _selected(config: SyncdConfig, wanted: list[str] | None) -> list[str]:
    """The enabled sources to install for (config order), or exit 1 naming an unknown or disabled one."""
    enabled = [s.name for s in config.sources if s.enabled]
    for name in wanted or []:
        if name not in {s.name for s in config.sources}:
            raise fail(f"error: no source named {name!r} in the config (sources: {', '.join(enabled) or 'none'})")
        if name not in enabled:
            raise fail(f"error: source {name!r} is disabled in the config; enable it first")
    return [name for name in enabled if not wanted or name in wanted]


def _install_one(
    engine: Engine | None, adapter: SourceAdapter, url: str, dry_run: bool, console: Console
) -> list[WebhookAction] | None:
    """Install one source's hooks and print each action; None (and the reason) when the tracker refused."""
    console.print(Text(f"{adapter.name} ({adapter.kind}) -> {url}/webhooks/{adapter.name}", style="bold"))
    if handshakes(adapter.kind):
        console.print(
            f"  note: {adapter.kind} checks the URL with a handshake before creating a webhook, so `syncd run` "
            f"must be running and reachable at {url}",
            markup=False,
        )
    try:
        actions = list(install_webhooks(engine, adapter, url, dry_run=dry_run, clock=utc_now))
    except TrackerError as error:
        console.print(Text(redact(f"  failed: {error}"), style="red"))
        return None
    for action in actions:
        verb = f"would {action.action}" if dry_run and action.action != "unchanged" else action.action
        line = f"  {verb:<15} {action.target}" + (f"  {action.detail}" if action.detail else "")
        console.print(Text(redact(line), style=ACTION_STYLES.get(action.action, "")))
    return actions
