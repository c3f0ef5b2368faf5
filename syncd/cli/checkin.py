"""`syncd checkin KR VALUE`: record a metric KR's current value; progress and push state follow at once.

The command recomputes the KR (and its objective, and the comments that mention it) itself with the
worker's own step, so `syncd status` shows the new value right away whether or not a daemon runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from syncd.cli.db import fail, open_store_or_exit
from syncd.cli.options import ConfigOption, load_config_or_exit
from syncd.config.loader import config_secrets, default_config_path
from syncd.config.models import SyncdConfig
from syncd.core.render import format_number, format_percent
from syncd.logs import configure_logging
from syncd.ports import SourceAdapter
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.recompute.checkins import CheckInRefused, CheckIns, parse_time, parse_value
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.store.errors import StoreError
from syncd.store.migrate import require_current


def register(app: typer.Typer) -> None:
    """Add `syncd checkin` to the app."""
    app.command("checkin")(checkin)


def checkin(
    kr: Annotated[str, typer.Argument(help="The metric key result's id, e.g. ENG-1.3.", show_default=False)],
    value: Annotated[str, typer.Argument(help="Its current value, e.g. 4.5.", show_default=False)],
    note: Annotated[str, typer.Option("--note", help="Why or how it was measured.")] = "",
    at: Annotated[
        str | None, typer.Option("--at", help="When it was measured (ISO 8601; default now; naive means UTC).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Record the current value of a metric key result (measure: metric, aggregate: checkins).

    Exit 0 when recorded; 1 when refused (unknown KR, not a metric KR, not a number, time outside the
    cycle) or when the config or the store is not usable.
    """
    loaded = load_config_or_exit(config)
    configure_logging(level="warning", secrets=config_secrets(loaded))
    try:
        number, moment = parse_value(value), (parse_time(at) if at is not None else None)
        with cli_runtime(loaded, config) as runtime:
            recorded = CheckIns(runtime).record(kr, number, note=note, at=moment, via="cli")
    except CheckInRefused as error:
        raise fail(f"check-in refused: {error}") from None
    except StoreError as error:
        raise fail(f"error: {error}") from None
    line = (
        f"{recorded.kr_id}: checked in {format_number(recorded.value)} at {recorded.at:%Y-%m-%d %H:%M} UTC"
        f"{f' ({recorded.note})' if recorded.note else ''}; progress {format_percent(recorded.progress)}, "
        f"{recorded.status.replace('_', ' ')}"
    )
    if recorded.current is not None and recorded.current != recorded.value:
        line += f" (the current value stays {format_number(recorded.current)}, from a later check-in)"
    Console(highlight=False, soft_wrap=True).print(line, markup=False)


@contextmanager
def cli_runtime(config: SyncdConfig, option: Path | None) -> Iterator[Runtime]:
    """A runtime over the migrated store of `config`, its adapters built (no tracker I/O yet); all closed after.

    Raises `StoreError` when the store is not migrated; exits 1 when it cannot be opened."""
    engine = open_store_or_exit(config, create=False)
    adapters: dict[str, SourceAdapter] = {}
    try:
        require_current(engine)
        adapters = build_adapters(config)
        runtime = Runtime(loaded=LoadedConfig(config, default_config_path(option), adapters), engine=engine)
        try:
            yield runtime
        finally:
            runtime.executor.shutdown(wait=True)
    finally:
        close_adapters(adapters)
        engine.dispose()
