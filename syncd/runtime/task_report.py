"""What `syncd explain TASK` shows: one mirrored task, why it links (or almost links), and its comment.

Read-only. TASK is a tracker URL (a GitHub issue or pull request, an Asana task permalink, or the
simulators' pages the sandbox prints) or `source:ref` (`acme-github:acme/web#12`, `acme-asana:1200...`):
each tracker's descriptor says which (`TaskLinks`). An argument in none of these forms is refused as
unreadable, with the forms. The task is looked up in the mirror,
explained with the core (`explain_task`, near misses) under the config's rules against its KRs'
other linked tasks, and shown with the push targets (comment, field) syncd keeps on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from adapters.descriptor import TaskLinks
from adapters.registry import registry
from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.errors import SyncdError
from syncd.core.explain import TaskExplanation, explain_task
from syncd.core.matching import match_task, task_points
from syncd.core.model import TaskSnapshot
from syncd.store.connection import Connection, Engine, StoreFailure
from syncd.store.errors import StoreError, display_url, first_line
from syncd.store.push_targets import task_targets
from syncd.store.task_reads import linked_tasks, stored_links, task_by_url, tasks_by_external_id
from syncd.store.task_rows import row_snapshot
from syncd.store.utc import as_utc


def _task_links() -> dict[str, TaskLinks]:
    """Every registered tracker's task links by kind, in the registry's order."""
    return {descriptor.kind: descriptor.task_links for descriptor in registry().descriptors}


class TaskNotFound(SyncdError):
    """TASK names no task in the mirror (or no configured source); the message says what to do."""


class UnreadableTask(TaskNotFound):
    """TASK is in none of the forms `explain` reads; the message lists them."""


@dataclass(frozen=True)
class TaskTarget:
    """One write target syncd keeps on the task: what it should say, what was applied, how it went."""

    kind: str
    desired_text: str | None
    desired_number: float | None
    applied: bool
    applied_text: str | None
    applied_at: datetime | None
    remote_id: str | None
    attempts: int
    last_error: str | None
    failed_permanently: bool
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class TaskReport:
    """Everything `syncd explain` prints about one task."""

    task: TaskSnapshot
    seen_at: datetime | None
    points: float | None
    explanation: TaskExplanation
    stored_links: tuple[str, ...]
    targets: tuple[TaskTarget, ...]
    #: The tracker kind of the task's source (`github`, `asana`).
    source_kind: str = ""
    #: The container's name when its id is not one (an Asana project), read from the tracker by the caller.
    container_name: str | None = None
    #: Why `container_name` is missing although the id is no name (the tracker did not answer in time).
    container_note: str | None = None


def read_task_report(engine: Engine, config: SyncdConfig, task: str) -> TaskReport:
    """Explain `task` (URL or `source:ref`) from the store under `config`; raises `TaskNotFound`, `StoreError`."""
    where = display_url(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            row = find_task(conn, config, task)
            report = _report(conn, config, row)
            conn.rollback()
    except StoreFailure as error:
        raise StoreError(f"cannot read the task from the store at {where}: {first_line(error)}") from None
    return report


def find_task(conn: Connection, config: SyncdConfig, task: str) -> Any:
    """The `tasks` row that `task` names; `UnreadableTask` when it is in no form we read, else
    `TaskNotFound` saying how to get it mirrored."""
    text = task.strip()
    if text.lower().startswith(("http://", "https://")):
        row = _by_url(conn, config, text)
    else:
        row = _by_ref(conn, config, text)
    if row is None:
        raise TaskNotFound(
            f"no task {text} in the store yet; syncd mirrors a task when it polls its repo or project: "
            "run `syncd sync --once`, or wait for the next poll of a running daemon, then try again"
        )
    return row


def unreadable(text: str, config: SyncdConfig) -> UnreadableTask:
    """The error for an argument in no form we read, with the forms (and examples with the configured sources)."""
    links = _task_links()
    examples = [f"{s.name}:{links[s.kind].ref_example}" for s in config.sources if s.kind in links]
    refs = sorted({f"{links[s.kind].ref_form} ({s.kind})" for s in config.sources if s.kind in links})
    described = ", ".join(link.described for link in links.values())
    pages = ", ".join(link.simulator_page for link in links.values())
    return UnreadableTask(
        f"cannot read {text!r} as a task. Give a task's link: {described}, "
        f"or a simulator page the sandbox prints ({pages}); or SOURCE:REF with REF {' or '.join(refs) or 'the task id'}"
        + (f", e.g. {', '.join(examples)}" if examples else "")
    )


def _by_ref(conn: Connection, config: SyncdConfig, text: str) -> Any:
    kinds = {source.name: source.kind for source in config.sources}
    source, sep, external_id = text.partition(":")
    if sep and source in kinds:
        if not _is_ref(kinds[source], external_id.strip()):
            raise unreadable(text, config)
        return _lookup(conn, [source], [external_id.strip()])
    if sep and re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", source) and "/" not in source:
        known = ", ".join(kinds) or "none"
        raise TaskNotFound(f"no source named {source!r} in the config (sources: {known}); write SOURCE:REF or a URL")
    names = [name for name, kind in kinds.items() if _is_ref(kind, text)]
    if not names:
        raise unreadable(text, config)
    return _lookup(conn, names, [text])


def _is_ref(kind: str, ref: str) -> bool:
    """Whether `ref` is a task id of a `kind` source (any text for a kind we know no form of)."""
    links = _task_links().get(kind)
    return bool(ref) and (links is None or links.ref.fullmatch(ref) is not None)


def _by_url(conn: Connection, config: SyncdConfig, url: str) -> Any:
    parts = urlsplit(url)
    bare = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    found = task_by_url(conn, [bare, bare + "/"])
    if found is not None:
        return found
    path = parts.path.rstrip("/")
    named = False
    for kind, links in _task_links().items():
        if (external_id := links.external_id_in(path)) is not None:
            # Paths of two trackers may look alike (GitHub's `/o/r/issues/1` in GitLab's `/g/p/-/issues/1`):
            # the next kind is asked when this one's sources do not hold the task.
            named = True
            if (row := _lookup(conn, _sources_of(config, kind, parts.netloc), [external_id])) is not None:
                return row
    if named:
        return None
    raise unreadable(url, config)


def _sources_of(config: SyncdConfig, kind: str, host: str) -> list[str]:
    """Sources of `kind`, those whose API lives on `host` first (a GHES or simulator URL names its server)."""
    matching = [s for s in config.sources if s.kind == kind]
    matching.sort(key=lambda s: urlsplit(s.base_url).netloc.removeprefix("api.") != host.removeprefix("www."))
    return [s.name for s in matching]


def _lookup(conn: Connection, sources: Sequence[str], external_ids: Sequence[str]) -> Any:
    """The first row (in `sources` order) with one of `external_ids`, in any case (`Acme/Web#1`)."""
    if not sources:
        return None
    rows = sorted(
        tasks_by_external_id(conn, sources, external_ids),
        key=lambda row: (list(sources).index(row.source), row.external_id not in external_ids),
    )
    return rows[0] if rows else None


def _report(conn: Connection, config: SyncdConfig, row: Any) -> TaskReport:
    okr = build_okr(config)
    snapshot = row_snapshot(row)
    kr_ids = [link.kr_id for link in match_task(snapshot, okr.rules).links]
    explanation = explain_task(snapshot, okr.rules, okr.key_results, linked_tasks(conn, kr_ids))
    return TaskReport(
        task=snapshot,
        seen_at=as_utc(row.seen_at),
        points=task_points(snapshot, okr.rules.points_prefix),
        explanation=explanation,
        stored_links=stored_links(conn, row.id),
        targets=_targets(conn, snapshot),
        source_kind=next((s.kind for s in config.sources if s.name == snapshot.source), ""),
    )


def _targets(conn: Connection, task: TaskSnapshot) -> tuple[TaskTarget, ...]:
    return tuple(
        TaskTarget(
            kind=target.kind,
            desired_text=target.desired_text,
            desired_number=target.desired_number,
            applied=target.applied_hash == target.desired_hash and target.inflight_hash is None,
            applied_text=target.applied_text,
            applied_at=as_utc(target.applied_at),
            remote_id=target.remote_id,
            attempts=target.attempts,
            last_error=target.last_error,
            failed_permanently=target.failed_permanently,
            next_attempt_at=as_utc(target.next_attempt_at),
        )
        for target in task_targets(conn, task.source, task.external_id)
    )
