"""`syncd sync --once`: a full backfill with a progress bar, then recompute and push, then exit.

Use it after `syncd db upgrade` on a new install, to rebuild the mirror from the trackers, or in a
cron job instead of a daemon. Exit 0 when every partition was listed; 1 when one could not be (each
failure is printed and kept on the source, as `syncd status` shows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from syncd.cli.options import EXIT_PROBLEM, ConfigOption, load_config_or_exit
from syncd.cli.plan import duration
from syncd.config.loader import config_secrets, default_config_path
from syncd.daemon.process import DaemonOptions, prepare
from syncd.logs import configure_logging
from syncd.runtime.backfill import Backfill, PartitionSynced
from syncd.store.errors import StoreError


def register(app: typer.Typer) -> None:
    """Add `syncd sync` to the app."""
    app.command("sync")(sync)


def sync(
    *,
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Sync everything once, then exit (required).")] = False,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Write comments and fields at the end.")] = True,
) -> None:
    """List every repository and project in full, recompute progress, write it back, and exit."""
    if not once:
        raise typer.BadParameter(
            "only one-shot syncs exist: add --once (the daemon is `syncd run`)", param_hint="--once"
        )
    loaded = load_config_or_exit(config)
    configure_logging(level="warning", secrets=config_secrets(loaded))
    console = Console(stderr=False)
    path = Path(default_config_path(config))
    try:
        prepared = prepare(loaded, DaemonOptions(config_path=path, host="127.0.0.1", port=0, roles=frozenset()))
    except StoreError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(EXIT_PROBLEM) from None
    try:
        failures = _run(Backfill(prepared.runtime), console, push=push)
    finally:
        prepared.close()
    if failures:
        raise typer.Exit(EXIT_PROBLEM)


def _run(backfill: Backfill, console: Console, *, push: bool) -> list[PartitionSynced]:
    """Mirror, compute and (optionally) push, with progress; returns the partitions that failed."""
    results = _mirror(backfill, console)
    failures = [result for result in results if result.error]
    applied = backfill.compute()
    console.print(f"computed: {applied} changes applied, progress recomputed", highlight=False)
    if push:
        _push(backfill, console)
    for failure in failures:
        console.print(f"[red]failed[/] {failure.source} {failure.partition}: {failure.error}", highlight=False)
    return failures


def _mirror(backfill: Backfill, console: Console) -> list[PartitionSynced]:
    partitions = backfill.partitions()
    results: list[PartitionSynced] = []
    with _progress(console) as progress:
        bar = progress.add_task("listing", total=len(partitions))
        for source, partition in partitions:
            progress.update(bar, description=f"listing {source} {partition}")
            result = backfill.mirror(source, partition)
            results.append(result)
            outcome = "FAILED" if result.error else f"{result.tasks} tasks, {result.requests} requests"
            progress.console.print(f"  {source} {partition}: {outcome} ({result.seconds:.1f}s)", highlight=False)
            progress.advance(bar)
    return results


def _push(backfill: Backfill, console: Console) -> None:
    for queued in backfill.queued():
        pace = " and ".join(queued.pace) or "no limit"
        console.print(
            f"writing {queued.writes} to {queued.source}: at least {duration(queued.seconds)} at its pace ({pace})",
            highlight=False,
        )
    total = backfill.remaining_writes()
    written = 0
    with _progress(console) as progress:
        bar = progress.add_task("writing comments and fields", total=total)
        for step in backfill.push():
            written = step.written
            progress.update(bar, completed=min(total, step.written), total=max(total, step.written + step.remaining))
    left = backfill.remaining_writes()
    tail = f"; {left} left to the running daemon (another process pushes, or a tracker asked to wait)" if left else ""
    console.print(f"pushed: {written} writes{tail}", highlight=False)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
        disable=not console.is_terminal,
    )
