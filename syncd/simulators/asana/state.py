"""The simulated Asana's state changes: every change updates the records and emits compact events.

One re-entrant lock guards everything; HTTP handlers, the Python API used by tests and the sandbox,
and the webhook dispatcher all go through `AsanaState`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from syncd.simulators.asana.events import EventLog
from syncd.simulators.asana.records import (
    SimCustomField,
    SimEnumOption,
    SimGoal,
    SimProject,
    SimSection,
    SimTag,
    SimTask,
    SimTeam,
    SimUser,
    SimWorkspace,
)
from syncd.simulators.asana.render import iso, ref
from syncd.simulators.asana.store import ApiError, SimStore, utc_now
from syncd.simulators.asana.stories import StoryBook


class AsanaState:
    """Records, events and the lock: the one object every part of the simulator changes."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.lock = threading.RLock()
        self.store = SimStore(clock=clock)
        self.events = EventLog()
        self.stories = StoryBook(self.store)
        self.stories.bind(self.emit_story)
        me = self.add_user("Sim Admin", "admin@example.com")
        self.store.me = me.gid

    # --- workspace structure (no events: admins set these up before syncd looks) ---
    def add_user(self, name: str, email: str) -> SimUser:
        """A user of the workspace."""
        with self.lock:
            user = SimUser(self.store.new_gid(), name, email)
            self.store.users[user.gid] = user
            return user

    def create_workspace(self, name: str) -> SimWorkspace:
        """A workspace."""
        with self.lock:
            workspace = SimWorkspace(self.store.new_gid(), name)
            self.store.workspaces[workspace.gid] = workspace
            return workspace

    def create_team(self, workspace: str, name: str) -> SimTeam:
        """A team of a workspace."""
        with self.lock:
            team = SimTeam(self.store.new_gid(), name, workspace)
            self.store.teams[team.gid] = team
            return team

    def create_project(
        self, workspace: str, name: str, *, team: str | None = None, sections: Iterable[str] = ("Untitled section",)
    ) -> SimProject:
        """A project with its sections (the first one is where new tasks land)."""
        with self.lock:
            now = self.store.now()
            project = SimProject(self.store.new_gid(), name, workspace, team, now, now)
            self.store.projects[project.gid] = project
            for section in sections:
                self.create_section(project.gid, section)
            return project

    def create_section(self, project: str, name: str) -> SimSection:
        """A section at the end of a project."""
        with self.lock:
            section = SimSection(self.store.new_gid(), name, project, self.store.now())
            self.store.sections[section.gid] = section
            self.store.project(project).sections.append(section.gid)
            return section

    def create_tag(self, workspace: str, name: str) -> SimTag:
        """A tag (or the existing one of that name)."""
        with self.lock:
            existing = self.store.tag_by_name(workspace, name)
            if existing is not None:
                return existing
            tag = SimTag(self.store.new_gid(), name, workspace)
            self.store.tags[tag.gid] = tag
            return tag

    def create_custom_field(
        self,
        workspace: str,
        name: str,
        subtype: str,
        *,
        number_format: str = "none",
        precision: int = 0,
        options: Iterable[str] = (),
    ) -> SimCustomField:
        """A custom field: `number` (format `none` or `percentage`), `text` or `enum` with options."""
        if subtype not in {"number", "text", "enum"}:
            raise ValueError(f"the simulator has number, text and enum custom fields, not {subtype!r}")
        with self.lock:
            enum_options = [SimEnumOption(self.store.new_gid(), option) for option in options]
            field = SimCustomField(
                self.store.new_gid(), name, subtype, workspace, number_format, precision, enum_options
            )
            self.store.fields[field.gid] = field
            return field

    def add_custom_field_to_project(self, project: str, field: str) -> None:
        """Add a field to a project (a custom field setting): its tasks then show and accept it."""
        with self.lock:
            settings = self.store.project(project).custom_fields
            if field not in settings:
                settings.append(self.store.custom_field(field).gid)

    def create_goal(
        self,
        workspace: str,
        name: str,
        *,
        unit: str = "none",
        initial: float = 0.0,
        target: float = 100.0,
        precision: int = 0,
    ) -> SimGoal:
        """A goal with a number metric."""
        with self.lock:
            goal = SimGoal(self.store.new_gid(), name, workspace, unit, precision, initial, target)
            self.store.goals[goal.gid] = goal
            return goal

    # --- tasks (each change emits events) ---
    def create_task(
        self,
        name: str,
        *,
        project: str | None = None,
        section: str | None = None,
        parent: str | None = None,
        tags: Iterable[str] = (),
        custom_fields: Mapping[str, Any] | None = None,
        completed: bool = False,
        assignee: str | None = None,
    ) -> SimTask:
        """A task in a project (first section unless named), or a subtask of `parent`."""
        with self.lock:
            workspace = self._workspace_of(project, parent)
            now = self.store.now()
            task = SimTask(self.store.new_gid(), name, workspace, now, now, parent=parent, assignee=assignee)
            self.store.tasks[task.gid] = task
            if parent is not None:
                self.store.children.setdefault(parent, []).append(task.gid)
            if project is not None:
                self._join_project(task, project, section)
            elif parent is not None:
                self.emit(task, "added", ref(parent, "task"))
            for tag in tags:
                self.add_tag(task.gid, tag)
            for field, value in (custom_fields or {}).items():
                self.set_custom_field(task.gid, field, value)
            if completed:
                self.complete_task(task.gid)
            return task

    def update_task(self, gid: str, changes: Mapping[str, Any]) -> SimTask:
        """Apply a `PUT /tasks/{gid}` body: name, notes, completed, custom_fields."""
        with self.lock:
            task = self.store.task(gid)
            for key, value in changes.items():
                if key == "custom_fields":
                    if not isinstance(value, Mapping):
                        raise ApiError(400, "custom_fields: Expected an object mapping custom field gids to values.")
                    for field, field_value in value.items():
                        self.set_custom_field(gid, field, field_value)
                elif key == "completed":
                    self.complete_task(gid, bool(value))
                elif key in {"name", "notes"}:
                    setattr(task, key, str(value))
                    self._changed(task, key)
                else:
                    raise ApiError(400, f"{key}: the simulator does not update this task field")
            return task

    def complete_task(self, gid: str, completed: bool = True) -> SimTask:
        """Mark a task complete (or incomplete again)."""
        with self.lock:
            task = self.store.task(gid)
            if task.completed != completed:
                task.completed = completed
                task.completed_at = self.store.now() if completed else None
                self._changed(task, "completed")
                self.stories.system(
                    task, "marked_complete" if completed else "marked_incomplete", "completed this task"
                )
            return task

    def add_tag(self, gid: str, tag: str) -> SimTask:
        """Tag a task, by tag gid or by name (a new name creates the tag)."""
        with self.lock:
            task = self.store.task(gid)
            tag_gid = self._tag_gid(task.workspace, tag)
            if tag_gid not in task.tags:
                task.tags.append(tag_gid)
                self._changed(task, "tags", "added", added_value=ref(tag_gid, "tag"))
                self.stories.system(task, "added_to_tag", f"added to {self.store.tags[tag_gid].name}")
            return task

    def remove_tag(self, gid: str, tag: str) -> SimTask:
        """Untag a task, by tag gid or name."""
        with self.lock:
            task = self.store.task(gid)
            tag_gid = self._tag_gid(task.workspace, tag)
            if tag_gid in task.tags:
                task.tags.remove(tag_gid)
                self._changed(task, "tags", "removed", removed_value=ref(tag_gid, "tag"))
                self.stories.system(task, "removed_from_tag", f"removed from {self.store.tags[tag_gid].name}")
            return task

    def move_to_section(self, gid: str, section: str) -> SimTask:
        """Move a task to a section of one of its projects (added to it, removed from the old one)."""
        with self.lock:
            task = self.store.task(gid)
            target = self.store.section(section)
            if target.project not in task.projects:
                raise ApiError(400, f"section: task {gid} is not in the project of section {section}")
            old = task.memberships.get(target.project)
            if old != section:
                task.memberships[target.project] = section
                self._touch(task)
                self.emit(task, "added", ref(section, "section"))
                if old is not None:
                    self.emit(task, "removed", ref(old, "section"))
                self.stories.system(task, "section_changed", f"moved to {target.name}")
            return task

    def set_custom_field(self, gid: str, field: str, value: Any) -> SimTask:
        """Set a custom field (by gid or name): numbers, text, or an enum option (gid or name); None clears."""
        with self.lock:
            task = self.store.task(gid)
            definition = self._field_for(task, field)
            task.custom_values[definition.gid] = _checked_value(definition, value)
            self._changed(task, "custom_fields", new_value=ref(definition.gid, "custom_field"))
            return task

    def add_to_project(self, gid: str, project: str, section: str | None = None) -> SimTask:
        """Add a task to another project."""
        with self.lock:
            task = self.store.task(gid)
            if project not in task.projects:
                self._join_project(task, project, section)
            return task

    def remove_from_project(self, gid: str, project: str) -> SimTask:
        """Take a task out of a project (it leaves that project's streams after this event)."""
        with self.lock:
            task = self.store.task(gid)
            if project in task.projects:
                self._touch(task)
                self.emit(task, "removed", ref(project, "project"))
                task.projects.remove(project)
                task.memberships.pop(project, None)
            return task

    def delete_task(self, gid: str) -> None:
        """Delete a task (later reads answer 404)."""
        with self.lock:
            task = self.store.task(gid)
            self._touch(task)
            self.emit(task, "deleted", None)
            task.deleted = True

    def rename_section(self, gid: str, name: str) -> SimSection:
        """Rename a section (a project-level change: its tasks' states may all change)."""
        with self.lock:
            section = self.store.section(gid)
            section.name = name
            event = self._event("changed", ref(gid, "section"), None, {"field": "name", "action": "changed"})
            self.events.append([section.project], event)
            return section

    def set_goal_metric(self, gid: str, value: float) -> SimGoal:
        """Set a goal's current metric value."""
        with self.lock:
            goal = self.store.goal(gid)
            goal.current = float(value)
            goal.modified_at = self.store.now()
            change = {"field": "current_number_value", "action": "changed"}
            self.events.append([gid], self._event("changed", ref(gid, "goal"), None, change))
            return goal

    # --- events ---
    def emit(
        self, task: SimTask, action: str, parent: dict[str, Any] | None, change: dict[str, Any] | None = None
    ) -> None:
        """Record a task event in the streams of the task, its projects and its parent's projects."""
        resource = {**ref(task.gid, "task", task.name), "resource_subtype": "default_task"}
        self.events.append(self._streams(task), self._event(action, resource, parent, change))

    def emit_story(self, task: SimTask, story: dict[str, Any], action: str) -> None:
        """Record a story event (`added`/`changed`/`removed`) whose parent is its task."""
        parent = ref(task.gid, "task", task.name)
        self.events.append(self._streams(task), self._event(action, story, parent, None))

    def _event(
        self, action: str, resource: dict[str, Any], parent: dict[str, Any] | None, change: dict[str, Any] | None
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "user": ref(self.store.me, "user"),
            "created_at": iso(self.store.now()),
            "action": action,
            "resource": resource,
            "parent": parent,
            "type": resource["resource_type"],
        }
        if change is not None:
            event["change"] = change
        return event

    def _streams(self, task: SimTask) -> list[str]:
        streams = [task.gid, *task.projects]
        parent = self.store.tasks.get(task.parent) if task.parent else None
        while parent is not None:
            streams.extend(parent.projects)
            parent = self.store.tasks.get(parent.parent) if parent.parent else None
        return streams

    def _changed(self, task: SimTask, field: str, action: str = "changed", **values: Any) -> None:
        self._touch(task)
        self.emit(task, "changed", None, {"field": field, "action": action, **values})

    def _touch(self, task: SimTask) -> None:
        task.modified_at = self.store.now()

    def _join_project(self, task: SimTask, project: str, section: str | None) -> None:
        record = self.store.project(project)
        target = section or (record.sections[0] if record.sections else None)
        if target is None:
            raise ApiError(400, f"project: {project} has no section to put the task in")
        if self.store.section(target).project != project:
            raise ApiError(400, f"section: {target} is not a section of project {project}")
        task.projects.append(project)
        task.memberships[project] = target
        self._touch(task)
        self.emit(task, "added", ref(project, "project"))
        self.emit(task, "added", ref(target, "section"))

    def _workspace_of(self, project: str | None, parent: str | None) -> str:
        if project is not None:
            return self.store.project(project).workspace
        if parent is not None:
            return self.store.task(parent).workspace
        raise ApiError(400, "workspace: a task needs a project or a parent")

    def _tag_gid(self, workspace: str, tag: str) -> str:
        if tag in self.store.tags:
            return tag
        return self.create_tag(workspace, tag).gid

    def _field_for(self, task: SimTask, field: str) -> SimCustomField:
        definition = self.store.fields.get(field) or next(
            (f for f in self.store.fields.values() if f.name == field), None
        )
        if definition is None:
            raise ApiError(404, f"custom_field: Unknown object: {field}")
        on_task = any(definition.gid in self.store.projects[p].custom_fields for p in task.projects)
        if not on_task and definition.gid not in task.custom_values:
            raise ApiError(400, f"custom_fields: Custom field with ID {definition.gid} is not on given object")
        return definition


def _checked_value(field: SimCustomField, value: Any) -> float | str | None:
    """The stored value for a field, or 400 when the type does not fit (Asana's checks, simplified)."""
    if value is None:
        return None
    if field.subtype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ApiError(400, f"custom_fields: Number value expected for custom field {field.gid}, got {value!r}")
        return round(float(value), field.precision + (2 if field.number_format == "percentage" else 0))
    if field.subtype == "text":
        if not isinstance(value, str):
            raise ApiError(400, f"custom_fields: Text value expected for custom field {field.gid}")
        return value
    option = next((o for o in field.enum_options if value in {o.gid, o.name}), None)
    if option is None:
        raise ApiError(400, f"custom_fields: {value!r} is not an enum option of custom field {field.gid}")
    return option.gid
