"""The simulated GitLab instance's state: groups, projects, issues and merge requests (labels, assignees,
moved/duplicate/draft), notes, project hooks, and the custom fields of top-level groups (GitLab Premium) with
their values on issues (work items), with the operations people and the API do to them.

Every change stamps the item's `updated_at` (milliseconds, strictly increasing across the instance) and reports
an `ItemEvent` to the listeners (the hook sender). Thread-safe through one lock.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Kind = Literal["issue", "merge_request"]


class NoSuchThing(LookupError):
    """A project, issue, merge request, note or hook the instance does not have (GitLab: 404)."""


@dataclass
class Project:
    """A project: its global id and full path (`acme/platform/api`)."""

    id: int
    path: str

    @property
    def name(self) -> str:
        """The last part of the path."""
        return self.path.rpartition("/")[2]


@dataclass
class Item:
    """An issue or merge request; `iid` counts per project and kind, `id` is global."""

    id: int
    project_id: int
    kind: Kind
    iid: int
    title: str
    state: str = "opened"  # opened | closed | merged (merge requests)
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    draft: bool = False
    confidential: bool = False
    weight: int | None = None
    moved_to_id: int | None = None
    duplicated_to_id: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    deleted: bool = False


@dataclass
class Note:
    """One note on an issue or merge request."""

    id: int
    item_id: int
    body: str
    author: str
    created_at: datetime
    updated_at: datetime
    system: bool = False


@dataclass
class Hook:
    """A project hook: where it posts, its tokens and its event switches."""

    id: int
    project_id: int
    url: str
    token: str | None = None
    signing_token: str | None = None
    events: dict[str, bool] = field(default_factory=dict)
    name: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class CustomField:
    """A custom field of a top-level group (Premium): its type is `NUMBER`, `TEXT`, `SINGLE_SELECT`, ..."""

    id: int
    group: str
    name: str
    field_type: str = "NUMBER"
    active: bool = True


@dataclass(frozen=True)
class ItemEvent:
    """A change worth a hook: `issue`, `merge_request` or `note`, its action, the item after it, the note,
    and the changed attributes (`changes` of the payload)."""

    kind: str
    action: str
    item: Item
    note: Note | None = None
    changes: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[ItemEvent], None]
USER = "syncd-bot"


class GitLabState:
    """The instance's records and the operations on them (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._last = datetime.fromtimestamp(0, UTC)
        self.projects: dict[int, Project] = {}
        self.items: dict[int, Item] = {}
        self.notes: dict[int, Note] = {}
        self.hooks: dict[int, Hook] = {}
        self.project_labels: dict[int, list[str]] = {}
        self.custom_fields: dict[int, CustomField] = {}
        #: Custom field values of work items (issues): (item id, field id) -> value.
        self.field_values: dict[tuple[int, int], float | str] = {}
        self._field_ids = itertools.count(1)
        self._project_ids = itertools.count(1)
        self._item_ids = itertools.count(1001)
        self._note_ids = itertools.count(5001)
        self._hook_ids = itertools.count(1)
        self._iids: dict[tuple[int, str], int] = {}
        self.listeners: list[Listener] = []

    # -- time and events -------------------------------------------------------------------------
    def stamp(self) -> datetime:
        """A new change's time: now to the millisecond, later than every earlier change."""
        with self.lock:
            now = self._clock()
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last

    def _emit(self, event: ItemEvent) -> None:
        for listener in self.listeners:
            listener(event)

    # -- lookups ---------------------------------------------------------------------------------
    def project(self, ref: str) -> Project:
        """A project by global id or full path (case-insensitive, as GitLab routes)."""
        with self.lock:
            for project in self.projects.values():
                if ref == str(project.id) or ref.lower() == project.path.lower():
                    return project
        raise NoSuchThing("404 Project Not Found")

    def group_projects(self, group: str, *, subgroups: bool) -> list[Project]:
        """Projects directly in `group` (or also in its subgroups)."""
        prefix = group.lower().rstrip("/") + "/"
        with self.lock:
            found = [p for p in self.projects.values() if p.path.lower().startswith(prefix)]
        return [p for p in found if subgroups or "/" not in p.path[len(prefix) :]]

    def item(self, project: Project, kind: str, iid: int) -> Item:
        """A live issue or merge request of a project by iid."""
        with self.lock:
            for item in self.items.values():
                if item.project_id == project.id and item.kind == kind and item.iid == iid and not item.deleted:
                    return item
        raise NoSuchThing("404 Issue Not Found" if kind == "issue" else "404 Merge Request Not Found")

    def by_id(self, item_id: int) -> Item:
        """Any item by global id."""
        with self.lock:
            return self.items[item_id]

    def project_items(self, project: Project, kind: str) -> list[Item]:
        """A project's live items of one kind."""
        with self.lock:
            return [i for i in self.items.values() if i.project_id == project.id and i.kind == kind and not i.deleted]

    def item_notes(self, item: Item) -> list[Note]:
        """An item's notes, oldest first."""
        with self.lock:
            return sorted((n for n in self.notes.values() if n.item_id == item.id), key=lambda n: n.id)

    def note(self, item: Item, note_id: int) -> Note:
        """One note of an item."""
        found = self.notes.get(note_id)
        if found is None or found.item_id != item.id:
            raise NoSuchThing("404 Note Not Found")
        return found

    # -- what people do --------------------------------------------------------------------------
    def create_project(self, path: str) -> Project:
        """A project at `path` (its groups need no creating)."""
        with self.lock:
            for project in self.projects.values():
                if project.path.lower() == path.lower():
                    return project
            project = Project(next(self._project_ids), path)
            self.projects[project.id] = project
            return project

    def create_item(
        self,
        path: str,
        kind: Kind,
        title: str,
        *,
        labels: list[str] | None = None,
        draft: bool = False,
        confidential: bool = False,
        emit: bool = True,
    ) -> Item:
        """A new open issue or merge request in project `path`."""
        with self.lock:
            project = self.project(path)
            key = (project.id, kind)
            self._iids[key] = self._iids.get(key, 0) + 1
            at = self.stamp()
            item = Item(next(self._item_ids), project.id, kind, self._iids[key], title, labels=list(labels or []),
                        draft=draft, confidential=confidential, created_at=at, updated_at=at)  # fmt: skip
            self.items[item.id] = item
            known = self.project_labels.setdefault(project.id, [])
            known += [label for label in item.labels if label not in known]
            after = copy.deepcopy(item)
        if emit:
            self._emit(ItemEvent(kind, "open", after))
        return item

    def change(self, item: Item, action: str, change: Callable[[Item], dict[str, Any]], *, emit: bool = True) -> Item:
        """Apply `change` (which returns the `changes` of the hook) to an item, stamp it and report it."""
        with self.lock:
            changes = change(item)
            before = item.updated_at
            item.updated_at = self.stamp()
            changes["updated_at"] = {"previous": before.isoformat(), "current": item.updated_at.isoformat()}
            after = copy.deepcopy(item)
        if emit:
            self._emit(ItemEvent(item.kind, action, after, changes=changes))
        return item

    def close(self, item: Item, *, duplicate_of: Item | None = None, emit: bool = True) -> Item:
        """Close an issue or merge request (an issue may be closed as a duplicate of another)."""

        def closing(target: Item) -> dict[str, Any]:
            target.state, target.closed_at = "closed", self._last
            if duplicate_of is not None:
                target.duplicated_to_id = duplicate_of.id
            return {"state_id": {"previous": 1, "current": 2}}

        return self.change(item, "close", closing, emit=emit)

    def reopen(self, item: Item) -> Item:
        """Reopen a closed item."""

        def reopening(target: Item) -> dict[str, Any]:
            target.state, target.closed_at, target.duplicated_to_id = "opened", None, None
            return {"state_id": {"previous": 2, "current": 1}}

        return self.change(item, "reopen", reopening)

    def merge(self, item: Item) -> Item:
        """Merge a merge request."""

        def merging(target: Item) -> dict[str, Any]:
            target.state, target.merged_at, target.draft = "merged", self._last, False
            return {"state_id": {"previous": 1, "current": 3}}

        return self.change(item, "merge", merging)

    def set_draft(self, item: Item, draft: bool) -> Item:
        """Mark a merge request draft or ready."""

        def drafting(target: Item) -> dict[str, Any]:
            previous, target.draft = target.draft, draft
            return {"draft": {"previous": previous, "current": draft}}

        return self.change(item, "update", drafting)

    def set_labels(self, item: Item, labels: list[str], *, emit: bool = True) -> Item:
        """Replace an item's labels."""

        def relabel(target: Item) -> dict[str, Any]:
            previous, target.labels = target.labels, list(labels)
            known = self.project_labels.setdefault(target.project_id, [])
            known += [label for label in labels if label not in known]
            return {"labels": {"previous": [{"title": t} for t in previous], "current": [{"title": t} for t in labels]}}

        return self.change(item, "update", relabel, emit=emit)

    def assign(self, item: Item, usernames: list[str]) -> Item:
        """Set an item's assignees."""

        def assigning(target: Item) -> dict[str, Any]:
            target.assignees = list(usernames)
            return {"assignees": {"previous": [], "current": [{"username": u} for u in usernames]}}

        return self.change(item, "update", assigning)

    def move(self, item: Item, path: str) -> Item:
        """Move an issue to project `path`: the old one is closed with `moved_to_id`, a new one opened there."""
        with self.lock:
            moved = self.create_item(path, "issue", item.title, labels=item.labels, emit=False)
            for note in self.item_notes(item):
                copied = Note(next(self._note_ids), moved.id, note.body, note.author, note.created_at, note.updated_at)
                self.notes[copied.id] = copied

            def leaving(target: Item) -> dict[str, Any]:
                target.state, target.closed_at, target.moved_to_id = "closed", self._last, moved.id
                return {"state_id": {"previous": 1, "current": 2}}

            self.change(item, "close", leaving)
            after = copy.deepcopy(moved)
        self._emit(ItemEvent("issue", "open", after))
        return moved

    def delete(self, item: Item) -> None:
        """Delete an issue (GitLab sends no hook for it)."""
        with self.lock:
            item.deleted = True

    def rename_label(self, project: Project, old: str, new: str) -> None:
        """Rename a project label everywhere (GitLab sends issue hooks for none of its issues)."""
        with self.lock:
            labels = self.project_labels.setdefault(project.id, [])
            self.project_labels[project.id] = [new if label == old else label for label in labels]
            for item in self.project_items(project, "issue") + self.project_items(project, "merge_request"):
                if old in item.labels:
                    item.labels = [new if label == old else label for label in item.labels]
                    item.updated_at = self.stamp()

    # -- what the API and people write -----------------------------------------------------------
    def add_note(self, item: Item, body: str, author: str = USER, *, system: bool = False) -> Note:
        """A new note (it moves the item's `updated_at`, as in GitLab)."""
        with self.lock:
            at = self.stamp()
            note = Note(next(self._note_ids), item.id, body, author, at, at, system)
            self.notes[note.id] = note
            item.updated_at = at
            after, made = copy.deepcopy(item), copy.deepcopy(note)
        self._emit(ItemEvent("note", "create", after, made))
        return note

    def edit_note(self, item: Item, note_id: int, body: str) -> Note:
        """Replace a note's body."""
        with self.lock:
            note = self.note(item, note_id)
            note.body = body
            note.updated_at = item.updated_at = self.stamp()
            after, made = copy.deepcopy(item), copy.deepcopy(note)
        self._emit(ItemEvent("note", "update", after, made))
        return note

    def delete_note(self, item: Item, note_id: int) -> None:
        """Remove a note (no hook)."""
        with self.lock:
            note = self.note(item, note_id)
            del self.notes[note.id]

    def add_custom_field(
        self, group: str, name: str, field_type: str = "NUMBER", *, active: bool = True
    ) -> CustomField:
        """A custom field of top-level group `group` (as a group owner creates it in the group's settings)."""
        with self.lock:
            made = CustomField(next(self._field_ids), group.strip("/").partition("/")[0], name, field_type, active)
            self.custom_fields[made.id] = made
            return made

    def group_custom_fields(self, group: str) -> list[CustomField]:
        """The custom fields a group sees: those of its top-level group (GitLab defines them there)."""
        root = group.strip("/").partition("/")[0].lower()
        with self.lock:
            return [f for f in self.custom_fields.values() if f.group.lower() == root]

    def set_field_value(self, item: Item, field: CustomField, value: float | str | None) -> Item:
        """Set (or with None clear) a custom field on an issue; it stamps the issue and sends an Issue Hook."""

        def setting(target: Item) -> dict[str, Any]:
            key = (target.id, field.id)
            if value is None:
                self.field_values.pop(key, None)
            else:
                self.field_values[key] = value
            return {}

        return self.change(item, "update", setting)

    def add_hook(self, project: Project, settings: dict[str, Any]) -> Hook:
        """A new project hook with `settings` (an API body: url, name, tokens, event switches)."""
        with self.lock:
            hook = Hook(next(self._hook_ids), project.id, str(settings["url"]), created_at=self.stamp())
            apply_hook_settings(hook, settings)
            self.hooks[hook.id] = hook
            return hook


#: The event switches of a project hook, with GitLab's defaults.
HOOK_EVENTS = {
    "push_events": True, "issues_events": False, "confidential_issues_events": False,
    "merge_requests_events": False, "tag_push_events": False, "note_events": False,
    "confidential_note_events": False, "job_events": False, "pipeline_events": False,
    "wiki_page_events": False, "deployment_events": False, "releases_events": False,
}  # fmt: skip


def apply_hook_settings(hook: Hook, settings: dict[str, Any]) -> None:
    """Set a hook's url, name, tokens and event switches from an API body (unknown keys are left alone)."""
    if not hook.events:
        hook.events = dict(HOOK_EVENTS)
    hook.url = str(settings.get("url", hook.url))
    hook.name = str(settings.get("name", hook.name) or "")
    if "token" in settings:
        hook.token = str(settings["token"]) or None
    if "signing_token" in settings:
        hook.signing_token = str(settings["signing_token"]) or None
    for event in HOOK_EVENTS:
        if event in settings:
            hook.events[event] = _flag(settings[event])


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1")
