"""Asana task JSON -> `TaskSnapshot` (pure): state by completion, sections and custom fields per config.

A task is in scope when it is in a configured project (or, for subtasks when `include_subtasks` is on,
under a task that is). A task out of scope comes back as a `deleted` snapshot: it leaves its KRs.
State precedence: dropped (section or field value) > done (`completed`) > in progress > open, so a
task completed inside a "Won't do" section counts as dropped, not done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.asana.config import AsanaSourceConfig, StateRule
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskSnapshot, TaskState

#: Everything the engine needs of a task, in one request (every name is in the OpenAPI opt_fields enum).
TASK_OPT_FIELDS: tuple[str, ...] = (
    "name",
    "completed",
    "modified_at",
    "permalink_url",
    "parent",
    "projects",
    "memberships.project",
    "memberships.section.name",
    "tags.name",
    "assignee.name",
    "num_subtasks",
    "custom_fields.name",
    "custom_fields.type",
    "custom_fields.number_value",
    "custom_fields.text_value",
    "custom_fields.enum_value.name",
    "custom_fields.display_value",
)
TASK_FIELDS = ",".join(TASK_OPT_FIELDS)
JSON = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StateMatch:
    """Section names and field values (case-insensitive) that put a task in one state."""

    sections: frozenset[str] = frozenset()
    field: str | None = None
    values: frozenset[str] = frozenset()

    @classmethod
    def from_rule(cls, rule: StateRule) -> StateMatch:
        """Build from the config's `in_progress`/`dropped` rule."""
        custom = rule.custom_field
        return cls(
            frozenset(name.casefold() for name in rule.sections),
            custom.field if custom else None,
            frozenset(value.casefold() for value in custom.values) if custom else frozenset(),
        )

    def matches(self, sections: Iterable[str], fields: Sequence[JSON]) -> bool:
        """True when one of the task's sections, or the configured field's value, is listed."""
        if any(name.casefold() in self.sections for name in sections):
            return True
        if self.field is None:
            return False
        value = field_text(find_field(fields, self.field))
        return value is not None and value.casefold() in self.values


@dataclass(frozen=True, slots=True)
class TaskRules:
    """What normalization needs of the config, with the projects resolved (configured and team ones)."""

    source: str
    projects: tuple[str, ...]
    in_progress: StateMatch = StateMatch()
    dropped: StateMatch = StateMatch()
    include_subtasks: bool = False
    points_field: str | None = None
    enum_field: str | None = None
    project_krs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: `match.tags`: tag names become the task's labels (kr:..., points:...); off, tags link nothing.
    tags: bool = True

    @classmethod
    def from_config(cls, config: AsanaSourceConfig, projects: Sequence[str]) -> TaskRules:
        """Rules of one source over its resolved projects."""
        return cls(
            source=config.name,
            projects=tuple(projects),
            in_progress=StateMatch.from_rule(config.in_progress),
            dropped=StateMatch.from_rule(config.dropped),
            include_subtasks=config.include_subtasks,
            points_field=config.points_field,
            enum_field=config.match.enum_field,
            project_krs={project: tuple(krs) for project, krs in config.match.project_krs.items()},
            tags=config.match.tags,
        )


def snapshot(task: JSON, rules: TaskRules, *, inherited_container: str = "") -> TaskSnapshot:
    """Normalize one task. `inherited_container` is the configured project of a subtask's ancestor."""
    gid = _text(task, "gid")
    container = own_container(task, rules) or inherited_container
    is_subtask = bool(task.get("parent"))
    out_of_scope = not container or (is_subtask and not rules.include_subtasks)
    fields: Sequence[JSON] = task.get("custom_fields") or ()
    return TaskSnapshot(
        source=rules.source,
        external_id=gid,
        url=str(task.get("permalink_url") or ""),
        title=str(task.get("name") or ""),
        state=task_state(task, rules),
        updated_at=parse_time(_text(task, "modified_at"), gid),
        labels=tuple(str(tag.get("name") or "") for tag in task.get("tags") or ()) if rules.tags else (),
        points=_number(find_field(fields, rules.points_field)) if rules.points_field else None,
        assignee=(task.get("assignee") or {}).get("name"),
        deleted=out_of_scope,
        container=container,
        kind="subtask" if is_subtask else "task",
        numbers=_numbers(fields),
        linked_krs=_linked_krs(task, fields, rules, container),
    )


def tombstone(source: str, gid: str, at: datetime, container: str = "") -> TaskSnapshot:
    """A task that left the source (deleted, or removed from the project), known only by its id."""
    return TaskSnapshot(source, gid, "", "", TaskState.OPEN, at, deleted=True, container=container, kind="task")


def task_state(task: JSON, rules: TaskRules) -> TaskState:
    """dropped > done > in progress > open (see the module docstring)."""
    sections = section_names(task, rules.projects)
    fields: Sequence[JSON] = task.get("custom_fields") or ()
    if rules.dropped.matches(sections, fields):
        return TaskState.DROPPED
    if task.get("completed"):
        return TaskState.DONE
    if rules.in_progress.matches(sections, fields):
        return TaskState.IN_PROGRESS
    return TaskState.OPEN


def own_container(task: JSON, rules: TaskRules) -> str:
    """The first configured project (in config order) the task itself is in, or ''."""
    mine = {str(p.get("gid")) for p in task.get("projects") or ()}
    mine |= {str((m.get("project") or {}).get("gid")) for m in task.get("memberships") or ()}
    return next((p for p in rules.projects if p in mine), "")


def section_names(task: JSON, projects: Sequence[str]) -> list[str]:
    """Names of the task's sections in the configured projects."""
    names = []
    for membership in task.get("memberships") or ():
        project = str((membership.get("project") or {}).get("gid", ""))
        section = membership.get("section") or {}
        if project in projects and section.get("name"):
            names.append(str(section["name"]))
    return names


def find_field(fields: Sequence[JSON], ref: str | None) -> JSON | None:
    """A task's custom field by gid or (case-insensitive) name."""
    if ref is None:
        return None
    wanted = ref.casefold()
    return next((f for f in fields if f.get("gid") == ref or str(f.get("name", "")).casefold() == wanted), None)


def field_text(custom: JSON | None) -> str | None:
    """A field's value as text: an enum's option name, else the display value."""
    if custom is None:
        return None
    enum_value = custom.get("enum_value")
    if isinstance(enum_value, Mapping) and enum_value.get("name"):
        return str(enum_value["name"])
    shown = custom.get("display_value") if custom.get("display_value") is not None else custom.get("text_value")
    return None if shown is None else str(shown)


def parse_time(text: str, where: str) -> datetime:
    """Asana's `2026-01-02T03:04:05.678Z` as an aware datetime."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise MalformedPayload(f"asana task {where}: {text!r} is not an ISO 8601 timestamp") from error


def _linked_krs(task: JSON, fields: Sequence[JSON], rules: TaskRules, container: str) -> tuple[str, ...]:
    krs: list[str] = []
    enum_value = field_text(find_field(fields, rules.enum_field)) if rules.enum_field else None
    if enum_value and enum_value.strip():
        krs.append(enum_value.strip())
    projects = [str(p.get("gid")) for p in task.get("projects") or ()] + [container]
    for project in projects:
        krs.extend(rules.project_krs.get(project, ()))
    return tuple(dict.fromkeys(krs))


def _numbers(fields: Sequence[JSON]) -> tuple[tuple[str, float], ...]:
    return tuple(
        (str(f.get("name")), float(f["number_value"]))
        for f in fields
        if f.get("type") == "number" and isinstance(f.get("number_value"), int | float)
    )


def _number(custom: JSON | None) -> float | None:
    value = None if custom is None else custom.get("number_value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(task: JSON, key: str) -> str:
    value = task.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(f"asana task {task.get('gid', '?')} has no {key}; ask for it in opt_fields")
    return value
