"""`syncd explain TASK`: why a task links to which KRs, its weight, credit and share, and its comment.

TASK is a tracker URL or `source:ref`. Reads the config and the store without writing; `--json`
prints the same report as data.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adapters.registry import build_adapter, registry
from syncd.cli.db import fail, open_store_or_exit
from syncd.cli.deadline import DeadlinePassed, run_within
from syncd.cli.explain_kr import explain_kr, kr_ids
from syncd.cli.options import ConfigOption, load_config_or_exit
from syncd.config.loader import config_secrets
from syncd.config.models import SyncdConfig
from syncd.core.errors import TrackerError
from syncd.core.explain import LinkExplanation
from syncd.core.render import format_number, format_percent
from syncd.core.status import as_utc
from syncd.logs import redact
from syncd.runtime.task_report import TaskNotFound, TaskReport, TaskTarget, read_task_report
from syncd.store.errors import StoreError
from syncd.store.migrate import require_current

TaskArgument = Annotated[
    str,
    typer.Argument(
        help="A tracker URL (GitHub issue or pull request, Asana task) or SOURCE:REF, e.g. acme-github:acme/web#12; "
        "or a KR id (ENG-1.2): the goals and OKR stores it feeds.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")]
#: How long `explain` waits for a tracker to name the task's container (an Asana project) before showing its id.
NAME_DEADLINE = 3.0


def register(app: typer.Typer) -> None:
    """Add `syncd explain` to the app."""
    app.command("explain")(explain)


def explain(task: TaskArgument, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Explain one task: state, labels and points as mirrored; the rules that fired and near misses;
    the key results it counts towards with its weight, credit and share; and the comment syncd keeps on it.

    Exit 0 when explained; 1 when the task is not mirrored yet or the config or the store is not usable.
    """
    loaded = load_config_or_exit(config)
    engine = open_store_or_exit(loaded, create=False)
    try:
        require_current(engine)
        if task in kr_ids(loaded):  # `syncd explain ENG-1.1`: where the KR's progress is pushed
            explain_kr(engine, loaded, task, as_json=as_json)
            return
        report = read_task_report(engine, loaded, task)
    except (TaskNotFound, StoreError) as error:
        raise fail(f"error: {error}") from None
    finally:
        engine.dispose()
    report = with_container_name(report, loaded)
    if as_json:
        typer.echo(json.dumps(report_document(report), indent=2))
    else:
        print_task_report(report, Console(highlight=False, soft_wrap=True))


def with_container_name(report: TaskReport, config: SyncdConfig, deadline: float = NAME_DEADLINE) -> TaskReport:
    """The report with its container's name asked of the tracker (an Asana project gid -> its name), or with
    a note saying why not: the tracker did not answer within `deadline` or refused."""
    task = report.task
    source = next((s for s in config.sources if s.name == task.source), None)
    if not task.container or source is None:
        return report
    adapter = build_adapter(source)
    try:
        names = run_within(deadline, lambda: adapter.container_names([task.container]))
    except DeadlinePassed:
        return replace(report, container_note=f"{source.kind} did not answer within {deadline:g}s")
    except TrackerError as error:
        # The tracker's refusal may quote the credentials it was sent (some echo the Authorization header).
        note = redact(str(error).splitlines()[0], config_secrets(config)) if str(error) else type(error).__name__
        return replace(report, container_note=note)
    finally:
        adapter.close()
    return replace(report, container_name=names.get(task.container))


def report_document(report: TaskReport) -> dict[str, Any]:
    """The report as JSON-ready data (times in ISO 8601, enums as their values)."""
    document: dict[str, Any] = TypeAdapter(TaskReport).dump_python(report, mode="json")
    return document


def print_task_report(report: TaskReport, console: Console) -> None:
    """The human view of one task's explanation."""
    task, why = report.task, report.explanation
    console.print(Text.assemble((f"{task.ref} ", "bold"), task.title))
    console.print(f"  url        {task.url or '-'}", markup=False)
    state = f"{task.state.value}{' (deleted in the tracker)' if task.deleted else ''}"
    console.print(f"  state      {state}   kind {task.kind}   in {_container(report)}", markup=False)
    console.print(f"  labels     {', '.join(task.labels) or 'none'}", markup=False)
    points = format_number(report.points) if report.points is not None else "none"
    console.print(f"  points     {points}", markup=False)
    seen = _time(report.seen_at) if report.seen_at else "never"
    console.print(f"  updated    {_time(task.updated_at)}   last seen {seen}", markup=False)
    _print_links(why.links, console)
    _print_warnings(report, console)
    _print_targets(report.targets, console)


def _container(report: TaskReport) -> str:
    """`project Web (1200...)` when the tracker named it, the id alone (with why) when it could not."""
    task = report.task
    tracker = registry().get(report.source_kind)
    word = tracker.container_word if tracker is not None else "container"
    if report.container_name:
        return f"{word} {report.container_name} ({task.container})"
    if report.container_note:
        return f"{task.container} ({word} name not read: {report.container_note})"
    return task.container or "-"


def _print_links(links: tuple[LinkExplanation, ...], console: Console) -> None:
    if not links:
        console.print(Text("Counts towards no key result.", style="yellow"))
        return
    table = Table(title="Key results", title_justify="left")
    for header in ("KR", "Why", "Weight", "Credit", "Share", "How it counts"):
        table.add_column(header, justify="right" if header in ("Weight", "Credit", "Share") else "left")
    for link in links:
        share = format_percent(link.share) if link.share is not None else "-"
        table.add_row(
            f"{link.kr_id} {link.kr_title}",
            link.rule,
            format_number(link.weight),
            format_number(link.credit),
            share,
            link.note,
        )
    console.print(table)


def _print_warnings(report: TaskReport, console: Console) -> None:
    why = report.explanation
    for miss in why.near_misses:
        console.print(Text(f"  near miss: label {miss.label!r} {miss.reason}", style="yellow"))
    for unknown in why.unknown:
        hint = f"; did you mean {', '.join(unknown.suggestions)}?" if unknown.suggestions else ""
        console.print(Text(f"  ⚠ label {unknown.label!r} names no key result {unknown.kr_id}{hint}", style="yellow"))
    linked_now = sorted(link.kr_id for link in why.links)
    if sorted(report.stored_links) != linked_now:
        stored = ", ".join(report.stored_links) or "none"
        console.print(
            Text(f"  the store links it to {stored}: the daemon has not applied this config yet", style="yellow")
        )


def _print_targets(targets: tuple[TaskTarget, ...], console: Console) -> None:
    if not targets:
        console.print(Text("syncd keeps no comment or field on this task.", style="dim"))
        return
    for target in targets:
        console.print(Text(f"{target.kind.capitalize()} syncd keeps here: {_target_state(target)}", style="bold"))
        if target.last_error:
            console.print(Text(f"  last error: {target.last_error}", style="red"))
        content = target.desired_text if target.desired_text is not None else format_number(target.desired_number or 0)
        for line in content.splitlines():
            console.print(f"  │ {line}", markup=False)


def _target_state(target: TaskTarget) -> str:
    where = f"remote id {target.remote_id}" if target.remote_id else "not created yet"
    if target.failed_permanently:
        return f"{where}; gave up after {target.attempts} attempts"
    if target.applied:
        return f"{where}; up to date (written {_time(target.applied_at) if target.applied_at else 'earlier'})"
    due = f", next attempt {_time(target.next_attempt_at)}" if target.next_attempt_at else ""
    return f"{where}; waiting to be written{due}"


def _time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")
