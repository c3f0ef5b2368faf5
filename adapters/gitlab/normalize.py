"""Pure mapping of GitLab issue and merge-request objects (REST and webhook shapes) to `TaskSnapshot`.

REST objects (`GET /projects/:id/issues`) carry `labels` as names and `references.full`; webhook objects
(`object_attributes`, a note hook's `issue`/`merge_request`) carry labels as objects with a `title` and name
their project beside them. Both go through `snapshot_from_item`, so polling and webhooks agree on every field.
A task's external id is GitLab's own reference: `acme/web#12` for an issue, `acme/web!3` for a merge request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.gitlab.config import GitLabSourceConfig
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskSnapshot, TaskState

ISSUE = "issue"
MERGE_REQUEST = "merge_request"
#: The separator of GitLab's references by kind (`acme/web#12`, `acme/web!3`).
SEPARATORS = {ISSUE: "#", MERGE_REQUEST: "!"}
_REFERENCE = re.compile(r"^(?P<project>[^\s#!]+/[^\s#!]+)(?P<sep>[#!])(?P<iid>\d+)$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$")


@dataclass(frozen=True, slots=True)
class TaskId:
    """An issue or merge request by project full path and iid."""

    project: str
    kind: str
    iid: int

    def __str__(self) -> str:
        return f"{self.project}{SEPARATORS[self.kind]}{self.iid}"


def external_id(project: str, kind: str, iid: int) -> str:
    """`acme/web#12` (issue) or `acme/web!3` (merge request)."""
    return str(TaskId(project, kind, iid))


def split_external_id(task_id: str) -> TaskId:
    """`acme/web#12` -> TaskId; ValueError when it is not a GitLab reference."""
    found = _REFERENCE.match(task_id)
    if found is None:
        raise ValueError(f"{task_id!r} is not a GitLab task id (group/project#iid or group/project!iid)")
    kind = ISSUE if found["sep"] == "#" else MERGE_REQUEST
    return TaskId(found["project"], kind, int(found["iid"]))


def parse_timestamp(value: object, *, where: str) -> datetime:
    """GitLab's timestamps (`2016-01-04T15:31:46.176Z`, and `2015-05-17 17:06:40 UTC` in older hooks)."""
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}: expected a timestamp, got {str(value)[:100]!r}")
    text = _TIMESTAMP.sub(r"\1T\2+00:00", value.strip())
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise MalformedPayload(f"{where}: {value[:100]!r} is not a timestamp") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def label_names(item: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """An item's labels as syncd's matching reads them: names (REST) or label objects' titles (webhooks);
    a scoped label `kr::ENG-1.2` reads as `kr:ENG-1.2` (a scope holds one value: one KR per scope)."""
    labels = item.get("labels") or []
    if not isinstance(labels, list):
        raise MalformedPayload(f"{where}: `labels` is not a list")
    names = []
    for label in labels:
        name = label.get("title", label.get("name")) if isinstance(label, Mapping) else label
        if not isinstance(name, str):
            raise MalformedPayload(f"{where}: a label has no name")
        names.append(name.replace("::", ":", 1))
    return tuple(names)


def _assignee(item: Mapping[str, Any]) -> str | None:
    assignees = item.get("assignees")
    first = assignees[0] if isinstance(assignees, list) and assignees else item.get("assignee")
    if isinstance(first, Mapping) and isinstance(first.get("username"), str):
        return str(first["username"])
    ids = item.get("assignee_ids")
    return f"user:{ids[0]}" if isinstance(ids, list) and ids else None


def is_moved(item: Mapping[str, Any]) -> bool:
    """Whether an issue was moved to another project (GitLab closes the old one and sets `moved_to_id`)."""
    return item.get("moved_to_id") not in (None, 0, "")


def is_duplicate(item: Mapping[str, Any]) -> bool:
    """Whether an issue was closed as a duplicate (`duplicated_to_id` in hooks, `_links.closed_as_duplicate_of`
    in REST)."""
    links = item.get("_links")
    linked = links.get("closed_as_duplicate_of") if isinstance(links, Mapping) else None
    return item.get("duplicated_to_id") not in (None, 0, "") or bool(linked)


def task_state(
    config: GitLabSourceConfig, item: Mapping[str, Any], kind: str, labels: tuple[str, ...], assignee: str | None
) -> TaskState:
    """Issues: closed -> done, or dropped when moved, a duplicate or labelled `dropped_labels`; merge requests:
    merged -> done, closed unmerged -> dropped, draft -> in progress; open -> in progress by label or assignee."""
    state = str(item.get("state") or "")
    if kind == MERGE_REQUEST:
        if state == "merged":
            return TaskState.DONE
        if state in ("closed", "locked"):
            return TaskState.DROPPED
    elif state == "closed":
        dropped = is_moved(item) or is_duplicate(item) or config.is_dropped_label(labels)
        return TaskState.DROPPED if dropped else TaskState.DONE
    if config.is_in_progress_label(labels) or (config.in_progress_when_assigned and assignee is not None):
        return TaskState.IN_PROGRESS
    if kind == MERGE_REQUEST and (item.get("draft") or item.get("work_in_progress")):
        return TaskState.IN_PROGRESS
    return TaskState.OPEN


def _iid(item: Mapping[str, Any], where: str) -> int:
    iid = item.get("iid")
    if not isinstance(iid, int) or isinstance(iid, bool):
        raise MalformedPayload(f"{where}: `iid` is missing or not a number")
    return iid


def project_of(item: Mapping[str, Any]) -> str | None:
    """The project full path a REST item names in `references.full` (None when it has no references)."""
    references = item.get("references")
    full = references.get("full") if isinstance(references, Mapping) else None
    found = _REFERENCE.match(full) if isinstance(full, str) else None
    return found["project"] if found else None


def snapshot_from_item(
    config: GitLabSourceConfig, item: Mapping[str, Any], kind: str, project: str | None = None
) -> TaskSnapshot:
    """An issue or merge request (REST or webhook object) of `project` (default: its `references.full`)."""
    where = f"{kind} {str(item.get('iid', '?'))[:30]}"
    container = project or project_of(item)
    if container is None:
        raise MalformedPayload(f"{where}: no project path (references.full) names where it lives")
    iid = _iid(item, where)
    labels, assignee = label_names(item, where), _assignee(item)
    return TaskSnapshot(
        source=config.name,
        external_id=external_id(container, kind, iid),
        url=str(item.get("web_url") or item.get("url") or ""),
        title=str(item.get("title") or ""),
        state=task_state(config, item, kind, labels, assignee),
        updated_at=parse_timestamp(item.get("updated_at"), where=f"{where}.updated_at"),
        labels=labels,
        assignee=assignee,
        container=container,
        kind=kind,
    )
