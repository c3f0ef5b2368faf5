"""The human view of `syncd status`: objective tables, warnings, sources, queues and failing targets.

`syncd status` prints it, and `syncd sandbox` prints it again when its story ends.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncd.core.status import as_utc
from syncd.store.status_query import (
    FailingTarget,
    ObjectiveStatus,
    QueueDepths,
    SourceStatus,
    StatusReport,
    UnknownKrTask,
)
from syncd.store.status_rows import PACE_WINDOW, KrTarget

STATUS_STYLES = {
    "done": "bold green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "no_tasks": "dim",
    "not_started": "dim",
}


def print_report(report: StatusReport, console: Console) -> None:
    """The human view of a status report."""
    console.print(Text(f"store {report.store} at {_time(report.generated_at)}", style="dim"))
    if not report.objectives:
        console.print("No objectives in the config yet.")
    for objective in report.objectives:
        console.print(_objective_table(objective))
    if report.unknown_kr_tasks:
        _print_warnings(report.unknown_kr_tasks, console)
    if report.sources:
        console.print(_sources_table(report.sources, report.generated_at))
    console.print(_queues_line(report.queues))
    if report.failing_targets:
        console.print(_failing_table(report.failing_targets))
    if report.kr_targets:
        console.print(_kr_targets_table(report.kr_targets))


def _objective_table(objective: ObjectiveStatus) -> Table:
    title = Text.assemble(
        (f"{objective.id} ", "bold"),
        f"{objective.title} · {objective.cycle} · ",
        (f"{objective.percent}%", "bold"),
        " · ",
        (objective.status_text, STATUS_STYLES.get(objective.status, "")),
    )
    table = Table(title=title, title_justify="left", expand=False)
    for header in ("KR", "Title", "Progress", "Amount", "Status", "Last change"):
        table.add_column(header, justify="right" if header == "Progress" else "left")
    for kr in objective.key_results:
        table.add_row(
            kr.id,
            kr.title,
            f"{kr.percent}%",
            kr.amount,
            Text(kr.status_text, style=STATUS_STYLES.get(kr.status, "")),
            _time(kr.last_change) if kr.last_change else "never",
        )
    return table


def _print_warnings(tasks: tuple[UnknownKrTask, ...], console: Console) -> None:
    console.print(Text("Tasks naming unknown key results:", style="bold yellow"))
    for task in tasks:
        for item in task.unknown:
            hint = f"; did you mean {', '.join(item.suggestions)}?" if item.suggestions else ""
            line = f"  ⚠ {task.source} {task.external_id}: label {item.label!r} names no key result {item.kr_id}{hint}"
            console.print(Text(line, style="yellow"))


def _sources_table(sources: tuple[SourceStatus, ...], now: datetime) -> Table:
    table = Table(title="Sources", title_justify="left")
    for header in ("Source", "Kind", "Freshness", "Last error", "Budget left", "Writes queued"):
        table.add_column(header)
    for source in sources:
        freshness = "disabled" if not source.enabled else _freshness(source.age_seconds)
        budget = "unknown" if source.budget_remaining is None else _budget(source)
        error = Text(source.last_error, style="red") if source.last_error else Text("none", style="dim")
        if source.trouble and source.trouble_since:
            error = Text(f"since {_time(source.trouble_since)}: {source.trouble}", style="yellow")
            if source.last_error:
                error.append(f"\n{source.last_error}", style="red")
        table.add_row(source.name, source.kind, freshness, error, budget, _write_queue(source))
    return table


def _write_queue(source: SourceStatus) -> str:
    """ "58, about 1 min at 61/min": the queue and how long it takes at the last five minutes' pace."""
    if not source.queued_writes:
        return "none"
    per_minute = source.recent_writes / (PACE_WINDOW.total_seconds() / 60)
    if source.queue_eta_seconds is None:
        return f"{source.queued_writes}, none written in the last {_age(PACE_WINDOW.total_seconds())}"
    return f"{source.queued_writes}, about {_age(source.queue_eta_seconds)} at {per_minute:.3g}/min"


def _budget(source: SourceStatus) -> str:
    limit = f"/{source.budget_limit}" if source.budget_limit is not None else ""
    return f"{source.budget_remaining}{limit}"


def _freshness(age_seconds: float | None) -> str:
    if age_seconds is None:
        return "never polled"
    return f"polled {_age(age_seconds)} ago"


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _queues_line(queues: QueueDepths) -> str:
    return (
        f"Queues: {queues.pending_deliveries} pending deliveries, {queues.failed_deliveries} failed deliveries, "
        f"{queues.refresh_requests} refresh requests, {queues.due_push_targets} push targets due "
        f"({queues.waiting_push_targets} waiting)"
    )


def _failing_table(targets: tuple[FailingTarget, ...]) -> Table:
    table = Table(title="Failing push targets", title_justify="left")
    for header in ("Source", "Target", "Attempts", "Last error"):
        table.add_column(header)
    for target in targets:
        given_up = " (gave up)" if target.failed_permanently else ""
        table.add_row(target.source, f"{target.kind} {target.key}", f"{target.attempts}{given_up}", target.last_error)
    return table


def _kr_targets_table(targets: tuple[KrTarget, ...]) -> Table:
    table = Table(title="Goals and OKR stores", title_justify="left")
    for header in ("Destination", "Target", "Value", "State", "Written at", "Last error"):
        table.add_column(header)
    for target in targets:
        written = _time(target.applied_at) if target.applied_at is not None else "never"
        table.add_row(target.destination, f"{target.kind} {target.key}", target.value, target.state, written,
                      target.last_error or "")  # fmt: skip
    return table


def _time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")
