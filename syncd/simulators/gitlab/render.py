"""GitLab's JSON shapes for the simulator's records: REST objects (issues.md, merge_requests.md, notes.md,
project_webhooks.md) and webhook payloads (webhook_events.md)."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from syncd.simulators.gitlab.state import Hook, Item, ItemEvent, Note, Project

SEPARATOR = {"issue": "#", "merge_request": "!"}
PLURAL = {"issue": "issues", "merge_request": "merge_requests"}


def when(moment: datetime | None) -> str | None:
    """`2016-01-04T15:31:46.176Z`, as GitLab writes times."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stable_id(name: str) -> int:
    """A small id derived from a name, the same in every run (users and labels are not records here)."""
    return zlib.crc32(name.encode()) % 100_000 + 1


def user_json(root: str, username: str) -> dict[str, Any]:
    """A user as GitLab embeds one."""
    return {"id": stable_id(username), "username": username, "name": username, "state": "active",
            "avatar_url": None, "web_url": f"{root}/{username}"}  # fmt: skip


def item_url(root: str, project: Project, item: Item) -> str:
    """The item's page."""
    return f"{root}/{project.path}/-/{PLURAL[item.kind]}/{item.iid}"


def item_json(root: str, project: Project, item: Item) -> dict[str, Any]:
    """An issue or merge request as the REST API serves it."""
    reference = SEPARATOR[item.kind] + str(item.iid)
    api = f"{root}/api/v4/projects/{project.id}/{PLURAL[item.kind]}/{item.iid}"
    body: dict[str, Any] = {
        "id": item.id, "iid": item.iid, "project_id": project.id, "title": item.title, "description": "",
        "state": item.state, "created_at": when(item.created_at), "updated_at": when(item.updated_at),
        "closed_at": when(item.closed_at), "labels": list(item.labels),
        "assignees": [user_json(root, name) for name in item.assignees],
        "assignee": user_json(root, item.assignees[0]) if item.assignees else None,
        "author": user_json(root, "root"), "user_notes_count": 0, "web_url": item_url(root, project, item),
        "references": {"short": reference, "relative": reference, "full": project.path + reference},
    }  # fmt: skip
    if item.kind == "issue":
        links: dict[str, Any] = {
            "self": api,
            "notes": f"{api}/notes",
            "project": f"{root}/api/v4/projects/{project.id}",
        }
        if item.duplicated_to_id is not None:
            links["closed_as_duplicate_of"] = f"{root}/api/v4/projects/{project.id}/issues/{item.duplicated_to_id}"
        body |= {"moved_to_id": item.moved_to_id, "confidential": item.confidential, "issue_type": "issue",
                 "type": "ISSUE", "weight": item.weight, "_links": links}  # fmt: skip
    else:
        body |= {"draft": item.draft, "work_in_progress": item.draft, "merged_at": when(item.merged_at),
                 "source_branch": f"feature-{item.iid}", "target_branch": "main", "merge_status": "can_be_merged",
                 "detailed_merge_status": "mergeable", "sha": f"{item.id:040x}"}  # fmt: skip
    return body


def note_json(root: str, note: Note, item: Item) -> dict[str, Any]:
    """A note as the REST API serves it."""
    return {
        "id": note.id, "type": None, "body": note.body, "author": user_json(root, note.author),
        "created_at": when(note.created_at), "updated_at": when(note.updated_at), "system": note.system,
        "noteable_id": item.id, "noteable_type": "Issue" if item.kind == "issue" else "MergeRequest",
        "noteable_iid": item.iid, "resolvable": False, "confidential": False, "internal": False,
    }  # fmt: skip


def project_json(root: str, project: Project, access_level: int) -> dict[str, Any]:
    """A project as `GET /projects/:id` serves it (with the token's `permissions`)."""
    namespace = project.path.rpartition("/")[0]
    return {
        "id": project.id, "name": project.name, "path": project.name, "path_with_namespace": project.path,
        "name_with_namespace": project.path.replace("/", " / "), "web_url": f"{root}/{project.path}",
        "default_branch": "main", "archived": False, "visibility": "private",
        "namespace": {"full_path": namespace, "path": namespace.rpartition("/")[2], "kind": "group"},
        "permissions": {"project_access": {"access_level": access_level, "notification_level": 3},
                        "group_access": None},
    }  # fmt: skip


def hook_json(project: Project, hook: Hook) -> dict[str, Any]:
    """A project hook as the API serves it (tokens never shown back; only whether one is set)."""
    return {"id": hook.id, "url": hook.url, "name": hook.name, "project_id": project.id,
            "created_at": when(hook.created_at), "enable_ssl_verification": True, "alert_status": "executable",
            "disabled_until": None, "token_present": hook.token is not None,
            "signing_token_present": hook.signing_token is not None, **hook.events}  # fmt: skip


def _labels(root: str, project: Project, item: Item) -> list[dict[str, Any]]:
    return [{"id": stable_id(f"{project.id}:{title}"), "title": title, "color": "#428bca",
             "project_id": project.id, "type": "ProjectLabel", "group_id": None} for title in item.labels]  # fmt: skip


def _hook_item(root: str, project: Project, item: Item) -> dict[str, Any]:
    """An issue or merge request as hooks carry it (in `object_attributes`, or beside a note)."""
    body: dict[str, Any] = {
        "id": item.id, "iid": item.iid, "title": item.title, "project_id": project.id, "state": item.state,
        "created_at": when(item.created_at), "updated_at": when(item.updated_at), "closed_at": when(item.closed_at),
        "labels": _labels(root, project, item), "url": item_url(root, project, item), "description": "",
        "assignee_ids": [stable_id(name) for name in item.assignees],
        "state_id": {"opened": 1, "closed": 2, "merged": 3}.get(item.state, 1),
    }  # fmt: skip
    if item.kind == "issue":
        body |= {"moved_to_id": item.moved_to_id, "duplicated_to_id": item.duplicated_to_id,
                 "confidential": item.confidential, "type": "Issue", "weight": item.weight}  # fmt: skip
    else:
        body |= {"draft": item.draft, "work_in_progress": item.draft, "merge_status": "can_be_merged",
                 "source_branch": f"feature-{item.iid}", "target_branch": "main"}  # fmt: skip
    return body


def _project_hook_json(root: str, project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name, "path_with_namespace": project.path,
            "web_url": f"{root}/{project.path}", "namespace": project.path.rpartition("/")[0],
            "default_branch": "main", "visibility_level": 0}  # fmt: skip


def hook_payload(root: str, project: Project, event: ItemEvent) -> dict[str, Any]:
    """The body GitLab posts for `event`."""
    item = event.item
    common = {"user": user_json(root, "root"), "project": _project_hook_json(root, project)}
    if event.kind == "note" and event.note is not None:
        note = event.note
        attributes = {"id": note.id, "note": note.body, "noteable_type": "Issue" if item.kind == "issue" else "MergeRequest",
                      "noteable_id": item.id, "author_id": 1, "created_at": when(note.created_at),
                      "updated_at": when(note.updated_at), "project_id": project.id, "system": note.system,
                      "action": event.action, "url": f"{item_url(root, project, item)}#note_{note.id}"}  # fmt: skip
        return {"object_kind": "note", "event_type": "note", **common, "project_id": project.id,
                "object_attributes": attributes, item.kind: _hook_item(root, project, item)}  # fmt: skip
    attributes = _hook_item(root, project, item) | {"action": event.action}
    event_type = "confidential_issue" if item.kind == "issue" and item.confidential else item.kind
    return {"object_kind": item.kind, "event_type": event_type, **common, "object_attributes": attributes,
            "labels": attributes["labels"], "changes": event.changes,
            "assignees": [user_json(root, name) for name in item.assignees]}  # fmt: skip


def hook_event_header(event: ItemEvent) -> str:
    """`X-Gitlab-Event` of an event."""
    if event.kind == "note":
        return "Confidential Note Hook" if event.item.confidential else "Note Hook"
    if event.kind == "issue":
        return "Confidential Issue Hook" if event.item.confidential else "Issue Hook"
    return "Merge Request Hook"


def hook_switch(event: ItemEvent) -> str:
    """Which event switch of a hook lets `event` through."""
    if event.kind == "note":
        return "confidential_note_events" if event.item.confidential else "note_events"
    if event.kind == "issue":
        return "confidential_issues_events" if event.item.confidential else "issues_events"
    return "merge_requests_events"
