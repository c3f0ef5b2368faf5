"""Records -> Asana JSON, and `opt_fields` selection (`tags.name`, `memberships.section.name`, ...).

Single-object reads return the full record when no `opt_fields` is given; lists return the compact
record, as Asana does. `gid` is always present on every object that has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from syncd.simulators.asana.records import SimCustomField, SimGoal, SimStory, SimTask, SimWebhook
from syncd.simulators.asana.store import SimStore

JSON = dict[str, Any]
COMPACT: dict[str, tuple[str, ...]] = {
    "task": ("name", "resource_type", "resource_subtype"),
    "story": ("created_at", "created_by", "resource_type", "text", "type", "resource_subtype"),
    "project": ("name", "resource_type"),
    "section": ("name", "resource_type"),
    "custom_field_setting": ("resource_type", "custom_field", "project", "is_important"),
    "webhook": ("resource_type", "active", "resource", "target"),
    "goal": ("name", "resource_type"),
}


def iso(moment: datetime | None) -> str | None:
    """Asana's timestamp format: ISO 8601 UTC with milliseconds and a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ref(gid: str, resource_type: str, name: str | None = None) -> JSON:
    """A compact reference to another object."""
    out: JSON = {"gid": gid, "resource_type": resource_type}
    if name is not None:
        out["name"] = name
    return out


def field_value(field: SimCustomField, value: float | str | None) -> JSON:
    """A custom field as it appears on a task: definition plus the task's value and display value."""
    out: JSON = {
        **ref(field.gid, "custom_field", field.name),
        "type": field.subtype,
        "resource_subtype": field.subtype,
        "enabled": True,
        "display_value": display_value(field, value),
    }
    if field.subtype == "number":
        is_percent = field.number_format == "percentage"
        out |= {"number_value": value, "format": field.number_format, "precision": field.precision}
        out["representation_type"] = "percentage" if is_percent else "number"
    elif field.subtype == "text":
        out |= {"text_value": value, "representation_type": "text"}
    elif field.subtype == "enum":
        out["enum_options"] = [enum_option(option) for option in field.enum_options]
        out["enum_value"] = next((enum_option(o) for o in field.enum_options if o.gid == value), None)
        out["representation_type"] = "enum"
    return out


def enum_option(option: Any) -> JSON:
    """One enum choice."""
    return {**ref(option.gid, "enum_option", option.name), "enabled": option.enabled, "color": option.color}


def display_value(field: SimCustomField, value: float | str | None) -> str | None:
    """What the Asana UI shows: `25%` for a percent field holding 0.25, the option name for an enum."""
    if value is None:
        return None
    if field.subtype == "number" and isinstance(value, int | float):
        shown = value * 100 if field.number_format == "percentage" else value
        text = f"{shown:.{field.precision}f}"
        return f"{text}%" if field.number_format == "percentage" else text
    if field.subtype == "enum":
        return next((o.name for o in field.enum_options if o.gid == value), None)
    return str(value)


def custom_field_definition(field: SimCustomField) -> JSON:
    """A custom field's own record (`GET /custom_fields/{gid}`)."""
    out = field_value(field, None)
    for key in ("display_value", "number_value", "text_value", "enum_value"):
        out.pop(key, None)
    return out


def task_fields(store: SimStore, task: SimTask) -> list[SimCustomField]:
    """The custom fields a task shows: those of its projects, then any holding a value."""
    gids: list[str] = []
    for project in task.projects:
        gids.extend(g for g in store.project(project).custom_fields if g not in gids)
    gids.extend(g for g in task.custom_values if g not in gids)
    return [store.fields[g] for g in gids]


def task_json(store: SimStore, task: SimTask) -> JSON:
    """A task's full record."""
    first_project = task.projects[0] if task.projects else "0"
    parent = store.tasks.get(task.parent) if task.parent else None
    return {
        **ref(task.gid, "task", task.name),
        "resource_subtype": "default_task",
        "notes": task.notes,
        "completed": task.completed,
        "completed_at": iso(task.completed_at),
        "created_at": iso(task.created_at),
        "modified_at": iso(task.modified_at),
        "permalink_url": f"{store.public_url}/0/{first_project}/{task.gid}",
        "assignee": _user_ref(store, task.assignee),
        "parent": {**ref(parent.gid, "task", parent.name), "resource_subtype": "default_task"} if parent else None,
        "projects": [ref(p, "project", store.projects[p].name) for p in task.projects],
        "memberships": [_membership(store, p, s) for p, s in task.memberships.items()],
        "tags": [ref(t, "tag", store.tags[t].name) for t in task.tags],
        "custom_fields": [field_value(f, task.custom_values.get(f.gid)) for f in task_fields(store, task)],
        "num_subtasks": len(store.subtasks(task.gid)),
        "workspace": ref(task.workspace, "workspace", store.workspaces[task.workspace].name),
    }


def story_json(store: SimStore, story: SimStory) -> JSON:
    """A story's full record (comments carry `html_text`)."""
    task = store.tasks.get(story.task)
    out: JSON = {
        **ref(story.gid, "story"),
        "created_at": iso(story.created_at),
        "created_by": _user_ref(store, story.created_by),
        "resource_subtype": story.subtype,
        "type": "comment" if story.is_comment else "system",
        "text": story.text,
        "is_edited": False,
        "target": ref(story.task, "task", task.name if task else None),
    }
    if story.is_comment:
        out["html_text"] = story.html_text
        out["is_editable"] = True
    return out


def goal_json(goal: SimGoal) -> JSON:
    """A goal with its metric."""
    return {
        **ref(goal.gid, "goal", goal.name),
        "metric": {
            **ref(f"{goal.gid}0", "goal_metric"),
            "resource_subtype": "number",
            "unit": goal.unit,
            "precision": goal.precision,
            "initial_number_value": goal.initial,
            "target_number_value": goal.target,
            "current_number_value": goal.current,
            "current_display_value": None if goal.current is None else f"{goal.current:.{goal.precision}f}",
            "progress_source": "manual",
        },
    }


def webhook_json(store: SimStore, hook: SimWebhook) -> JSON:
    """A webhook as `GET /webhooks` shows it (the secret is never shown)."""
    resource = store.projects.get(hook.resource) or store.tasks.get(hook.resource)
    kind = "project" if hook.resource in store.projects else "task"
    return {
        **ref(hook.gid, "webhook"),
        "active": hook.active,
        "resource": ref(hook.resource, kind, resource.name if resource else None),
        "target": hook.target,
        "created_at": iso(hook.created_at),
        "last_success_at": iso(hook.last_success_at),
        "last_failure_at": iso(hook.last_failure_at),
        "last_failure_content": hook.last_failure_content,
        "delivery_retry_count": hook.delivery_retry_count,
        "filters": [],
    }


def select(record: Mapping[str, Any], opt_fields: str | None, *, compact: str | None = None) -> JSON:
    """Keep the fields asked for (`a.b.c` paths); without `opt_fields`, the compact set of `compact`
    or the full record."""
    if opt_fields is None:
        if compact is None:
            return dict(record)
        picked: JSON = _pick(record, _tree(COMPACT[compact]))
        return picked
    picked = _pick(record, _tree(p.strip() for p in opt_fields.split(",") if p.strip()))
    return picked


def _tree(paths: Iterable[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for part in path.split("."):
            node = node.setdefault(part, {})
    return root


def _pick(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_pick(item, tree) for item in value]
    if not isinstance(value, Mapping):
        return value
    if not tree:
        return {k: value[k] for k in ("gid", "resource_type") if k in value} if "gid" in value else dict(value)
    out = {"gid": value["gid"]} if "gid" in value else {}
    for key, sub in tree.items():
        if key in value:
            out[key] = _pick(value[key], sub)
    return out


def _membership(store: SimStore, project: str, section: str) -> JSON:
    return {
        "project": ref(project, "project", store.projects[project].name),
        "section": ref(section, "section", store.sections[section].name),
    }


def _user_ref(store: SimStore, gid: str | None) -> JSON | None:
    if gid is None:
        return None
    return ref(gid, "user", store.users[gid].name)
