"""`syncd plan`: review a config change before merging it: every write it would make, as a diff.

Read-only everywhere: the trackers are only listed (GET), the store is only read, and the engine runs
in a scratch store that is thrown away (`syncd.runtime.dry_run`). Exit 0 when the plan ran, 2 when the
config is invalid (every problem printed), 1 when the store or a tracker could not be read in full.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from adapters.registry import load_config
from syncd.cli.db import fail
from syncd.cli.options import EXIT_PROBLEM, ConfigOption, print_config_error
from syncd.config.errors import ConfigError
from syncd.config.loader import config_secrets, default_config_path
from syncd.config.models import SyncdConfig
from syncd.core.status import as_utc
from syncd.logs import configure_logging, redact
from syncd.runtime.dry_run import Plan, make_plan
from syncd.runtime.push.write_preview import PlannedWrite, SourcePlan
from syncd.store.engine import open_store
from syncd.store.errors import StoreError, StoreNotMigrated
from syncd.store.migrate import current_revision, require_current

#: Exit code of `syncd plan` for an invalid config (2, like a usage error: nothing was planned).
EXIT_INVALID_CONFIG = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")]


def register(app: typer.Typer) -> None:
    """Add `syncd plan` to the app."""
    app.command("plan")(plan)


def plan(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Dry run: poll the trackers (read-only), compute with this config, and list every write it would make.

    Each write shows its target (source, kind, task or KR) and the old -> new content as a diff, with
    totals per source and the time the write budget needs. Nothing is written to a tracker or the store.
    Exit 0 when the plan ran; 2 when the config is invalid; 1 when the store or a tracker could not be read.
    """
    path = default_config_path(config)
    try:
        loaded = load_config(path)
    except ConfigError as error:
        print_config_error(error)
        raise typer.Exit(EXIT_INVALID_CONFIG) from None
    configure_logging(level="warning", secrets=config_secrets(loaded))
    try:
        baseline = baseline_store(loaded)
        try:
            result = make_plan(loaded, baseline, datetime.now(UTC))
        finally:
            if baseline is not None:
                baseline.dispose()
    except StoreError as error:
        raise fail(f"error: {error}") from None
    if as_json:
        typer.echo(json.dumps(plan_document(result), indent=2))
    else:
        print_plan(result, str(path), Console(highlight=False, soft_wrap=True))
    if result.problems:
        raise typer.Exit(EXIT_PROBLEM)


def baseline_store(config: SyncdConfig) -> Engine | None:
    """The store the config names, to read from; None when there is none yet (every write is then new)."""
    try:
        engine = open_store(config.store.url, pool_size=config.store.pool_size, create=False)
    except StoreNotMigrated:
        return None
    try:
        if current_revision(engine) is None:
            engine.dispose()
            return None
        require_current(engine)
    except StoreError:
        engine.dispose()
        raise
    return engine


def plan_document(result: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (times in ISO 8601 UTC)."""
    document = dataclasses.asdict(result)
    document["generated_at"] = as_utc(result.generated_at).isoformat().replace("+00:00", "Z")
    document["total_writes"] = len(result.writes)
    return document


def print_plan(result: Plan, path: str, console: Console) -> None:
    """The human view: each write as a diff, then totals per source."""
    when = as_utc(result.generated_at).strftime("%Y-%m-%d %H:%M UTC")
    console.print(Text(f"Plan for {path} against {result.baseline} at {when}; nothing was written.", style="bold"))
    for write in result.writes:
        _print_write(write, console)
    if not result.writes:
        console.print(Text("Nothing to write: the trackers already show what this config computes.", style="green"))
    for note in result.held:
        console.print(Text(note, style="yellow"))
    console.print(_totals(result.sources))
    console.print(Text(f"Total: {len(result.writes)} write{'s' if len(result.writes) != 1 else ''}", style="bold"))
    if result.dry_run:
        console.print(
            Text("push.dry_run is set: the daemon would record these but write none of them.", style="yellow")
        )
    for problem in result.problems:
        console.print(Text(redact(f"incomplete: {problem}"), style="red"))


def _print_write(write: PlannedWrite, console: Console) -> None:
    where = f"  {write.url}" if write.url else ""
    console.print(Text(f"\n{write.kind} {write.source} {write.key}{where}", style="bold cyan"))
    for line in write.diff.splitlines():
        style = (
            "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "dim"
            if line.startswith("@@")
            else ""
        )
        console.print(Text(f"  {line}", style=style))


def _totals(sources: tuple[SourcePlan, ...]) -> Table:
    table = Table(title="\nTotals per source", title_justify="left")
    for header in ("Source", "Read", "Writes", "Write limits", "Budget needs"):
        table.add_column(header)
    for source in sources:
        kinds = ", ".join(f"{count} {kind}" for kind, count in source.by_kind.items())
        read = ", ".join(
            _count(number, noun)
            for number, noun in ((source.partitions, "partition"), (source.tasks, "task"), (source.requests, "request"))
        )
        writes = f"{source.writes}" + (f" ({kinds})" if kinds else "")
        table.add_row(
            f"{source.source} ({source.kind})", read, writes, ", ".join(source.limits), duration(source.budget_seconds)
        )
    return table


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def duration(seconds: float) -> str:
    """`0s`, `45s`, `3m 20s`, `2h 5m`: how long the writes take at the allowed pace."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
