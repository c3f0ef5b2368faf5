"""`syncd status`: objectives and KRs with progress and status, warnings, sources, queues, failing targets.

Reads the config (structure, order) and the store (computed values) without writing, and talks to no
tracker, so the trackers' tokens and secrets need not be set. `--json` prints
the same data as `syncd.store.status_query.status_document` (the read API's shapes).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from syncd.cli.db import fail, open_store_or_exit
from syncd.cli.options import ConfigOption, load_config_for_store_reads_or_exit
from syncd.console.status import print_report
from syncd.store.errors import StoreError
from syncd.store.migrate import require_current
from syncd.store.status_query import read_status, status_document

JsonOption = Annotated[bool, typer.Option("--json", help="Print the status as JSON (the read API's shapes).")]


def register(app: typer.Typer) -> None:
    """Add `syncd status` to the app."""
    app.command("status")(status)


def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show objectives and key results with progress and status, sources, queues and failing targets.

    Exit 0 when the status was read; 1 when the config is invalid or the store is unreachable or not migrated.
    """
    loaded = load_config_for_store_reads_or_exit(config)
    engine = open_store_or_exit(loaded, create=False)
    try:
        require_current(engine)
        report = read_status(engine, loaded, datetime.now(UTC))
    except StoreError as error:
        raise fail(f"error: {error}") from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(status_document(report), indent=2))
    else:
        print_report(report, Console(highlight=False))
